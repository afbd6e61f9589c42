/* test_generalize.c — generalize_disk on a fake installed Ubuntu system
 * (libguestfs, TCG): the build user goes and every other account line stays
 * byte for byte; sudoers, keys, machine-id, logs, caches and temporary files
 * are scrubbed while proxy drop-ins, the nodeadm tracker and configuration
 * stay; the first-boot unit is installed and enabled (golden file); free
 * space is zeroed (the image compacts and no canary survives in its bytes).
 * A second copy goes through generalize_guest keeping its build user (RHEL,
 * SELinux enforcing: password locked, image relabels itself). Images are
 * made, generalized and read back in main() (four appliance launches); the
 * test cases check what was recorded. */
#include <check.h>
#include <errno.h>

#include "cleanup.h"
#include "err.h"
#include "fakeimage_test.h"
#include "generalize.h"
#include "guestimg.h"
#include "hygiene.h"
#include "util.h"
#include "unit_run.h"

/* What one generalized image holds, read back after the fact. */
struct readback {
	char *passwd, *shadow, *group, *gshadow, *subuid, *subgid;
	char *sudo_readme, *sudo_ops, *ops_keys, *unit, *script, *dbus_link, *wants_link, *hostkeys_wants;
	char *tracker, *proxy, *nodeadm;
	int script_mode;
	long long machine_id_size, syslog_size, apt_history_size;
	bool sudo_hnbuild, sudo_cloud_init, root_keys, home_hnbuild, hnbuild_keys, mail, syslog1, auth_gz,
	    installer, deb, apt_lock, lists_file, lists_lock, dpkg_cfg, sshd_config, cloud_disabled,
	    installer_cfg, nodeconfig, marker, autorelabel, hostkeys_unit, host_keys, journal_dir;
	int journal_entries, tmp_entries, var_tmp_entries, cloud_entries;
};

static char *dir, *disk_a, *disk_b;
static int rc_a, rc_b, rc_missing, rc_bad_user, rc_open_a;
static char *msg_missing, *msg_bad_user;
/* how A mounted when inspected, and again when opened from that list */
static char *mounts_inspected, *mounts_listed;
static int rc_open_b_bogus;
static long long size_before, size_after;
static int canary_in_raw;
static struct readback a, b;

/* The build's SSH access: granted (A: sshd_config includes sshd_config.d;
 * B: RHEL 8 style, no include, SELinux on), then removed by generalize. */
#define INCLUDE_CONFIG "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n"
#define NEW_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGrantedOfflineForTheProvisionBoot0123456 hnbuild-build"
struct access_seen {
	int rc;
	char *dropin, *keys, *config, *label;
	char *config_after;
	bool dropin_after, keys_dir_after;
};
static struct access_seen acc_a, acc_b;
static char *rd(guestfs_h *g, const char *path);

static void grant_and_read(guestfs_h *g, struct access_seen *s)
{
	s->rc = generalize_grant_access(g, "hnbuild", NEW_KEY);
	if (s->rc < 0)
		fprintf(stderr, "grant: %s\n", err_message());
	s->dropin = rd(g, GENERALIZE_ACCESS_DROPIN);
	s->keys = rd(g, GENERALIZE_ACCESS_KEYS "/hnbuild");
	s->config = rd(g, "/etc/ssh/sshd_config");
	size_t n = 0;
	s->label = guestfs_getxattr(g, GENERALIZE_ACCESS_KEYS "/hnbuild", "security.selinux", &n);
}

static void read_after(guestfs_h *g, struct access_seen *s)
{
	s->config_after = rd(g, "/etc/ssh/sshd_config");
	s->dropin_after = guestimg_exists(g, GENERALIZE_ACCESS_DROPIN);
	s->keys_dir_after = guestimg_exists(g, GENERALIZE_ACCESS_KEYS);
}

static void access_free(struct access_seen *s)
{
	free(s->dropin);
	free(s->keys);
	free(s->config);
	free(s->label);
	free(s->config_after);
}

static char *rd(guestfs_h *g, const char *path)
{
	char *data = NULL;
	if (guestimg_read(g, path, &data, NULL) < 0)
		return NULL;
	return data;
}

static char *link_of(guestfs_h *g, const char *path)
{
	return guestimg_is_symlink(g, path) ? guestfs_readlink(g, path) : NULL;
}

static int entries(guestfs_h *g, const char *path)
{
	if (!guestimg_is_dir(g, path))
		return -1;
	char **l = guestfs_ls(g, path);
	int n = 0;
	for (char **p = l; p && *p; p++, n++)
		free(*p);
	free(l);
	return n;
}

static void read_back(guestfs_h *g, struct readback *r)
{
	r->passwd = rd(g, "/etc/passwd");
	r->shadow = rd(g, "/etc/shadow");
	r->group = rd(g, "/etc/group");
	r->gshadow = rd(g, "/etc/gshadow");
	r->subuid = rd(g, "/etc/subuid");
	r->subgid = rd(g, "/etc/subgid");
	r->sudo_readme = rd(g, "/etc/sudoers.d/README");
	r->sudo_ops = rd(g, "/etc/sudoers.d/50-ops");
	r->sudo_hnbuild = guestimg_exists(g, "/etc/sudoers.d/90-hnbuild");
	r->sudo_cloud_init = guestimg_exists(g, "/etc/sudoers.d/90-cloud-init-users");
	r->ops_keys = rd(g, "/home/ops/.ssh/authorized_keys");
	r->root_keys = guestimg_exists(g, "/root/.ssh/authorized_keys");
	r->home_hnbuild = guestimg_exists(g, "/home/hnbuild");
	r->hnbuild_keys = guestimg_exists(g, "/home/hnbuild/.ssh/authorized_keys");
	r->mail = guestimg_exists(g, "/var/mail/hnbuild");
	r->machine_id_size = guestimg_file_size(g, "/etc/machine-id");
	r->dbus_link = link_of(g, "/var/lib/dbus/machine-id");
	r->host_keys = guestimg_exists(g, "/etc/ssh/ssh_host_ed25519_key");
	r->unit = rd(g, GENERALIZE_INIT_UNIT_PATH);
	r->wants_link = link_of(g, GENERALIZE_INIT_WANTS);
	r->script = rd(g, "/usr/local/sbin/hnbuild-nodeadm-init");
	struct guestfs_statns *st = guestfs_lstatns(g, "/usr/local/sbin/hnbuild-nodeadm-init");
	r->script_mode = st ? (int)(st->st_mode & 07777) : -1;
	if (st)
		guestfs_free_statns(st);
	r->hostkeys_unit = guestimg_exists(g, "/etc/systemd/system/" GENERALIZE_HOSTKEYS_UNIT);
	r->hostkeys_wants =
	    link_of(g, "/etc/systemd/system/multi-user.target.wants/" GENERALIZE_HOSTKEYS_UNIT);
	r->syslog_size = guestimg_file_size(g, "/var/log/syslog");
	r->syslog1 = guestimg_exists(g, "/var/log/syslog.1");
	r->auth_gz = guestimg_exists(g, "/var/log/auth.log.2.gz");
	r->apt_history_size = guestimg_file_size(g, "/var/log/apt/history.log");
	r->journal_dir = guestimg_is_dir(g, "/var/log/journal");
	r->journal_entries = entries(g, "/var/log/journal");
	r->installer = guestimg_exists(g, "/var/log/installer");
	r->deb = guestimg_exists(g, "/var/cache/apt/archives/curl_8.5.0_amd64.deb");
	r->apt_lock = guestimg_exists(g, "/var/cache/apt/archives/lock");
	r->lists_file =
	    guestimg_exists(g, "/var/lib/apt/lists/archive.ubuntu.com_ubuntu_dists_noble_InRelease");
	r->lists_lock = guestimg_exists(g, "/var/lib/apt/lists/lock");
	r->tmp_entries = entries(g, "/tmp");
	r->var_tmp_entries = entries(g, "/var/tmp");
	r->cloud_entries = entries(g, "/var/lib/cloud");
	r->dpkg_cfg = guestimg_exists(g, "/etc/cloud/cloud.cfg.d/90_dpkg.cfg");
	r->installer_cfg = guestimg_exists(g, "/etc/cloud/cloud.cfg.d/99-installer.cfg");
	r->cloud_disabled = guestimg_exists(g, "/etc/cloud/cloud-init.disabled");
	r->sshd_config = guestimg_exists(g, "/etc/ssh/sshd_config");
	r->nodeconfig = guestimg_exists(g, "/etc/eks/nodeadm/nodeConfig.yaml");
	r->marker = guestimg_exists(g, HYGIENE_NODEADM_MARKER);
	r->autorelabel = guestimg_exists(g, "/.autorelabel");
	r->tracker = rd(g, "/opt/nodeadm/tracker");
	r->proxy = rd(g, "/etc/systemd/system/kubelet.service.d/http-proxy.conf");
	r->nodeadm = rd(g, "/usr/local/bin/nodeadm");
}

static void readback_free(struct readback *r)
{
	char **strs[] = {&r->passwd, &r->shadow,      &r->group,      &r->gshadow,	  &r->subuid,
			 &r->subgid, &r->sudo_readme, &r->sudo_ops,   &r->ops_keys,	  &r->unit,
			 &r->script, &r->dbus_link,   &r->wants_link, &r->hostkeys_wants, &r->tracker,
			 &r->proxy,  &r->nodeadm};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		free(*strs[i]);
}

static long long converted_size(const char *src, const char *fmt, const char *name)
{
	char *out = fake_path(dir, name);
	char *argv[] = {"qemu-img", "convert",	 "-q",	      "-f", "qcow2",
			"-O",	    (char *)fmt, (char *)src, out,  NULL};
	fake_need(fake_run(argv) == 0, "qemu-img convert", NULL);
	struct stat st;
	fake_need(stat(out, &st) == 0, "stat", NULL);
	long long size = strcmp(fmt, "raw") ? (long long)st.st_size : (long long)st.st_blocks * 512;
	if (!strcmp(fmt, "raw"))
		canary_in_raw = fake_file_contains(out, FAKE_CANARY);
	if (!getenv("HNBUILD_TEST_KEEP"))
		unlink(out);
	free(out);
	return size;
}

static void prepare(void)
{
	dir = fake_mkdtemp();
	disk_a = fake_path(dir, "a.qcow2");
	disk_b = fake_path(dir, "b.qcow2");
	guestfs_h *g = fake_new_disk(disk_a, 256);
	fake_plant(g);
	fake_dirty_free_space(g, 24);
	fake_close(g);
	char *cp[] = {"cp", "--sparse=always", disk_a, disk_b, NULL};
	fake_need(fake_run(cp) == 0, "cp", NULL);
	size_before = converted_size(disk_a, "qcow2", "before.qcow2");

	struct guestimg_open_params rw_a = {.disk = disk_a, .format = "qcow2"};
	guestfs_h *ga = NULL;
	fake_need(guestimg_open(&rw_a, &ga) == 0, "open a", NULL);
	mounts_inspected = guestimg_mounts(ga);
	fake_write(ga, "/etc/ssh/sshd_config", INCLUDE_CONFIG);
	grant_and_read(ga, &acc_a);
	fake_need(guestimg_close(ga) == 0, "close a", NULL);

	/* A: the build's call, removing the user, zeroing free space */
	struct generalize_params p = {.disk = disk_a,
				      .format = "qcow2",
				      .build_user = "hnbuild",
				      .remove_build_user = true,
				      .family = FAMILY_UBUNTU,
				      .zero_free_space = true,
				      .proxy_for_image = "http://proxy.example:3128"};
	rc_a = generalize_disk(&p);
	if (rc_a < 0)
		fprintf(stderr, "generalize_disk: %s\n", err_message());

	/* bad input fails before any appliance starts */
	struct generalize_params missing = p;
	missing.disk = "/nonexistent/disk.qcow2";
	err_clear();
	rc_missing = generalize_disk(&missing);
	msg_missing = xstrdup(err_message());
	struct generalize_params bad_user = p;
	bad_user.build_user = "Bad User";
	err_clear();
	rc_bad_user = generalize_disk(&bad_user);
	msg_bad_user = xstrdup(err_message());
	err_clear();

	/* mounted from the list the first open found, without inspection */
	struct guestimg_open_params ro = {
	    .disk = disk_a, .format = "qcow2", .readonly = true, .mounts = mounts_inspected};
	guestfs_h *h = NULL;
	rc_open_a = guestimg_open(&ro, &h);
	if (rc_open_a == 0) {
		mounts_listed = guestimg_mounts(h);
		read_back(h, &a);
		read_after(h, &acc_a);
		guestimg_close(h);
	}
	size_after = converted_size(disk_a, "qcow2", "after.qcow2");
	converted_size(disk_a, "raw", "after.raw");

	/* B: RHEL with SELinux, keeping the build user, in an open handle */
	/* a recorded list that does not fit the disk: inspection after all */
	struct guestimg_open_params rw = {.disk = disk_b, .format = "qcow2", .mounts = "/dev/sdz9 /\n"};
	rc_open_b_bogus = guestimg_open(&rw, &h);
	fake_need(rc_open_b_bogus == 0, "open b", NULL);
	fake_write(h, "/etc/selinux/config", "SELINUX=enforcing\nSELINUXTYPE=targeted\n");
	grant_and_read(h, &acc_b);
	struct generalize_params pb = {.build_user = NULL, .remove_build_user = false, .family = FAMILY_RHEL};
	rc_b = generalize_guest(h, &pb);
	read_back(h, &b);
	read_after(h, &acc_b);
	fake_need(guestimg_close(h) == 0, "close b", NULL);
}

START_TEST(generalize_succeeds)
{
	ck_assert_int_eq(rc_a, 0);
	ck_assert_int_eq(rc_open_a, 0);
	ck_assert_int_eq(rc_b, 0);
}
END_TEST

START_TEST(recorded_mounts_reused)
{
	ck_assert_ptr_nonnull(mounts_inspected);
	ck_assert_msg(strstr(mounts_inspected, " /\n") != NULL, "no root in %s", mounts_inspected);
	ck_assert_int_eq(rc_open_a, 0);
	ck_assert_ptr_nonnull(mounts_listed);
	ck_assert_str_eq(mounts_listed, mounts_inspected);
	ck_assert_int_eq(rc_open_b_bogus, 0);
}
END_TEST

START_TEST(bad_input_fails_early)
{
	ck_assert_int_eq(rc_missing, -ENOENT);
	ck_assert_ptr_nonnull(strstr(msg_missing, "/nonexistent/disk.qcow2"));
	ck_assert_int_eq(rc_bad_user, -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg_bad_user, "Bad User"));
}
END_TEST

START_TEST(build_user_removed_others_intact)
{
	ck_assert_str_eq(a.passwd, FAKE_PASSWD_AFTER);
	ck_assert_str_eq(a.shadow, FAKE_SHADOW_AFTER);
	ck_assert_str_eq(a.group, FAKE_GROUP_AFTER);
	ck_assert_str_eq(a.gshadow, FAKE_GSHADOW_AFTER);
	ck_assert_str_eq(a.subuid, FAKE_SUBUID_AFTER);
	ck_assert_str_eq(a.subgid, FAKE_SUBUID_AFTER);
	ck_assert(!a.home_hnbuild);
	ck_assert(!a.mail);
}
END_TEST

START_TEST(sudoers_and_keys)
{
	ck_assert(!a.sudo_hnbuild);
	ck_assert(!a.sudo_cloud_init);
	ck_assert_str_eq(a.sudo_readme, FAKE_SUDOERS_README); /* comments only, not ours: kept */
	ck_assert_str_eq(a.sudo_ops, FAKE_SUDOERS_OPS);
	ck_assert_str_eq(a.ops_keys, FAKE_OPS_KEY "\n");
	ck_assert(!a.root_keys); /* held only the build key */
}
END_TEST

START_TEST(machine_identity_scrubbed)
{
	ck_assert_int_eq(a.machine_id_size, 0);
	ck_assert_str_eq(a.dbus_link, "/etc/machine-id");
	ck_assert(!a.host_keys);
	ck_assert(a.sshd_config);
	ck_assert_int_eq(a.cloud_entries, 0);
	ck_assert(!a.cloud_disabled);
	ck_assert(!a.installer_cfg);
	ck_assert(a.dpkg_cfg);
	ck_assert(!a.installer);
	ck_assert(!a.nodeconfig);
	ck_assert(!a.marker);
}
END_TEST

START_TEST(first_boot_unit_installed)
{
	char *golden = NULL;
	ck_assert_int_eq(read_file("tests/golden/generalize-nodeadm-init.service", &golden, NULL), 0);
	char *rendered = NULL;
	ck_assert_int_eq(generalize_render_unit(&rendered), 0);
	ck_assert_str_eq(rendered, golden);
	ck_assert_ptr_nonnull(a.unit);
	ck_assert_str_eq(a.unit, golden);
	ck_assert_ptr_nonnull(strstr(golden, "\nConditionPathExists=/etc/eks/nodeadm/nodeConfig.yaml\n"));
	ck_assert_ptr_nonnull(strstr(golden, "\nConditionPathExists=!/var/lib/hnbuild/nodeadm-init.done\n"));
	ck_assert_ptr_nonnull(strstr(golden, "\nExecStart=/usr/local/sbin/hnbuild-nodeadm-init\n"));
	ck_assert_ptr_nonnull(strstr(golden, "cloud-final.service"));
	ck_assert_str_eq(a.wants_link, GENERALIZE_INIT_UNIT_PATH);
	ck_assert_ptr_nonnull(a.script);
	ck_assert_ptr_nonnull(strstr(a.script, "nodeadm init -c \"file://$config\""));
	ck_assert_ptr_nonnull(strstr(a.script, "marker='/var/lib/hnbuild/nodeadm-init.done'"));
	ck_assert_int_eq(a.script_mode, 0755);
	ck_assert(a.hostkeys_unit);
	ck_assert_str_eq(a.hostkeys_wants, "/etc/systemd/system/" GENERALIZE_HOSTKEYS_UNIT);
	ck_assert(!a.autorelabel); /* no SELinux in this image */
	free(rendered);
	free(golden);
}
END_TEST

START_TEST(logs_caches_and_tmp)
{
	ck_assert_int_eq(a.syslog_size, 0);
	ck_assert_int_eq(a.apt_history_size, 0);
	ck_assert(!a.syslog1);
	ck_assert(!a.auth_gz);
	ck_assert(a.journal_dir);
	ck_assert_int_eq(a.journal_entries, 0);
	ck_assert(!a.deb);
	ck_assert(a.apt_lock);
	ck_assert(!a.lists_file);
	ck_assert(a.lists_lock);
	ck_assert_int_eq(a.tmp_entries, 0);
	ck_assert_int_eq(a.var_tmp_entries, 0);
}
END_TEST

START_TEST(what_must_stay_stays)
{
	ck_assert_str_eq(a.tracker, FAKE_TRACKER);
	ck_assert_str_eq(a.proxy, FAKE_PROXY_DROPIN);
	ck_assert_ptr_nonnull(a.nodeadm);
}
END_TEST

START_TEST(free_space_zeroed)
{
	/* 24 MiB of random data were freed before generalize */
	fprintf(stderr, "converted qcow2: %lld bytes before, %lld after\n", size_before, size_after);
	ck_assert_int_gt(size_before - size_after, 20LL << 20);
	ck_assert_int_eq(canary_in_raw, 0);
}
END_TEST

START_TEST(kept_build_user_is_locked)
{
	ck_assert_str_eq(b.passwd, FAKE_PASSWD);
	ck_assert_ptr_nonnull(strstr(b.shadow, "\nhnbuild:!$6$saltsaltsaltsalt$"));
	ck_assert_ptr_nonnull(strstr(b.shadow, "\nops:!:19700:"));
	ck_assert(b.home_hnbuild);
	ck_assert(!b.hnbuild_keys); /* the build key goes either way */
	ck_assert_str_eq(b.ops_keys, FAKE_OPS_KEY "\n");
	ck_assert_ptr_nonnull(b.unit);
	ck_assert(!b.hostkeys_unit); /* RHEL's sshd-keygen makes host keys */
	ck_assert(b.autorelabel);    /* new files unlabeled: relabel at first boot */
	ck_assert_int_eq(b.machine_id_size, 0);
}
END_TEST

START_TEST(build_access_granted_then_removed)
{
	/* A: a drop-in that sshd reads first, the key in a root-owned file */
	ck_assert_int_eq(acc_a.rc, 0);
	ck_assert_ptr_nonnull(acc_a.dropin);
	ck_assert_str_eq(acc_a.dropin, "AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2 "
				       "/etc/ssh/authorized_keys/%u\n");
	ck_assert_str_eq(acc_a.keys, NEW_KEY "\n");
	ck_assert_str_eq(acc_a.config, INCLUDE_CONFIG);
	ck_assert_ptr_null(acc_a.label); /* no SELinux in A */
	ck_assert(!acc_a.dropin_after);
	ck_assert(!acc_a.keys_dir_after);
	ck_assert_str_eq(acc_a.config_after, INCLUDE_CONFIG);
	/* B: no include: a marked block first in sshd_config, labelled files */
	ck_assert_int_eq(acc_b.rc, 0);
	ck_assert_ptr_null(acc_b.dropin);
	ck_assert_ptr_nonnull(acc_b.config);
	ck_assert(strncmp(acc_b.config, GENERALIZE_ACCESS_BEGIN "\nAuthorizedKeysFile ", 
			  strlen(GENERALIZE_ACCESS_BEGIN) + 20) == 0);
	ck_assert_ptr_nonnull(strstr(acc_b.config, GENERALIZE_ACCESS_END "\nPasswordAuthentication no\n"));
	ck_assert_ptr_nonnull(acc_b.label);
	ck_assert_str_eq(acc_b.label, "system_u:object_r:etc_t:s0");
	ck_assert_str_eq(acc_b.config_after, "PasswordAuthentication no\n");
	ck_assert(!acc_b.keys_dir_after);
}
END_TEST

int main(void)
{
	prepare();
	Suite *s = suite_create("generalize");
	TCase *tc = tcase_create("generalize");
	tcase_add_test(tc, generalize_succeeds);
	tcase_add_test(tc, bad_input_fails_early);
	tcase_add_test(tc, recorded_mounts_reused);
	tcase_add_test(tc, build_user_removed_others_intact);
	tcase_add_test(tc, sudoers_and_keys);
	tcase_add_test(tc, machine_identity_scrubbed);
	tcase_add_test(tc, first_boot_unit_installed);
	tcase_add_test(tc, logs_caches_and_tmp);
	tcase_add_test(tc, what_must_stay_stays);
	tcase_add_test(tc, free_space_zeroed);
	tcase_add_test(tc, kept_build_user_is_locked);
	tcase_add_test(tc, build_access_granted_then_removed);
	suite_add_tcase(s, tc);
	int failed = unit_run(s);
	access_free(&acc_a);
	access_free(&acc_b);
	readback_free(&a);
	readback_free(&b);
	free(msg_missing);
	free(mounts_inspected);
	free(mounts_listed);
	free(msg_bad_user);
	if (getenv("HNBUILD_TEST_KEEP"))
		fprintf(stderr, "kept %s\n", dir);
	else
		rm_rf(dir);
	free(dir);
	free(disk_a);
	free(disk_b);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
