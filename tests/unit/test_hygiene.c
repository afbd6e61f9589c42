/* test_hygiene.c — the hygiene scan on a fake installed system (libguestfs,
 * TCG): every planted leftover is reported before generalize, nothing after;
 * report-only findings (an unlocked root password, swap) survive generalize;
 * hygiene_check_disk opens an image file itself (its filesystem found by
 * inspection or the fallback); the gate fails with every finding listed.
 * The images are made and scanned in main() (two appliance launches), the
 * test cases check the recorded results. */
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

struct scan {
	int rc;
	struct hygiene_finding *f;
	size_t n;
};

static char *dir, *disk;
static struct scan before, after, report_only, from_file, missing;
static int generalize_rc;

static void do_scan(guestfs_h *g, struct scan *s)
{
	s->rc = hygiene_scan(g, "hnbuild", &s->f, &s->n);
}

static void print_scan(const char *name, const struct scan *s)
{
	fprintf(stderr, "%s (rc %d, %zu findings):\n", name, s->rc, s->n);
	for (size_t i = 0; i < s->n; i++)
		fprintf(stderr, "  %s: %s\n", s->f[i].path, s->f[i].what);
}

static size_t count(const struct scan *s, const char *path, const char *what)
{
	size_t c = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->f[i].path, path) && (!what || strstr(s->f[i].what, what)))
			c++;
	return c;
}

static void prepare(void)
{
	dir = fake_mkdtemp();
	disk = fake_path(dir, "fake.qcow2");
	guestfs_h *g = fake_new_disk(disk, 256);
	fake_plant(g);
	/* the build's SSH access, as generalize_grant_access leaves it */
	fake_write(g, GENERALIZE_ACCESS_DROPIN, "AuthorizedKeysFile /etc/ssh/authorized_keys/%u\n");
	fake_write(g, "/etc/ssh/sshd_config",
		   GENERALIZE_ACCESS_BEGIN "\nAuthorizedKeysFile /etc/ssh/authorized_keys/%u\n" GENERALIZE_ACCESS_END
					   "\nPasswordAuthentication no\n");
	do_scan(g, &before);
	struct generalize_params p = {.disk = disk,
				      .format = "qcow2",
				      .build_user = "hnbuild",
				      .remove_build_user = true,
				      .family = FAMILY_UBUNTU};
	generalize_rc = generalize_guest(g, &p);
	do_scan(g, &after);
	/* what generalize leaves alone on purpose: a usable root password, swap */
	fake_write(g, "/etc/shadow",
		   "root:$6$abc$def:19700:0:99999:7:::\nops:!:19700:0:99999:7:::\nnopw::19700::::::\n");
	fake_write(g, "/etc/fstab",
		   "LABEL=root / ext4 defaults 0 1\n# /swap.img none swap sw 0 0\n"
		   "UUID=1234-abcd none swap sw 0 0\n");
	do_scan(g, &report_only);
	fake_close(g);
	/* the same, through an image file opened by hygiene_check_disk */
	from_file.rc = hygiene_check_disk(disk, "qcow2", "hnbuild", &from_file.f, &from_file.n);
	missing.rc =
	    hygiene_check_disk("/nonexistent/image.qcow2", "qcow2", "hnbuild", &missing.f, &missing.n);
	print_scan("before generalize", &before);
	print_scan("after generalize", &after);
	print_scan("report-only", &report_only);
}

START_TEST(every_planted_item_is_found)
{
	static const struct {
		const char *path, *what;
	} expected[] = {
	    {"/etc/machine-id", "machine-id"},
	    {"/var/lib/dbus/machine-id", "machine-id"},
	    {"/etc/ssh/ssh_host_ed25519_key", "host key"},
	    {"/etc/ssh/ssh_host_ed25519_key.pub", "host key"},
	    {"/etc/ssh/ssh_host_rsa_key", "host key"},
	    {"/var/lib/cloud/instance", "cloud-init state"},
	    {"/var/lib/cloud/instances", "cloud-init state"},
	    {"/var/lib/cloud/data", "cloud-init state"},
	    {"/var/lib/cloud/seed", "cloud-init state"},
	    {"/var/log/cloud-init.log", "cloud-init log"},
	    {"/var/log/cloud-init-output.log", "cloud-init log"},
	    {"/etc/cloud/cloud-init.disabled", "disabled"},
	    {"/etc/cloud/cloud.cfg.d/99-installer.cfg", "installer"},
	    {"/var/log/installer", "install data"},
	    {"/root/anaconda-ks.cfg", "kickstart"},
	    {"/root/original-ks.cfg", "kickstart"},
	    {"/root/ks-post.log", "%post"},
	    {"/var/log/anaconda", "installer logs"},
	    {"/etc/pki/consumer/cert.pem", "RHSM"},
	    {"/etc/pki/consumer/key.pem", "RHSM"},
	    {"/etc/pki/entitlement/1234.pem", "entitlement"},
	    {"/var/lib/amazon/ssm/registration", "SSM registration"},
	    {"/var/lib/amazon/ssm/Vault", "SSM"},
	    {"/etc/eks/nodeadm/nodeConfig.yaml", "NodeConfig"},
	    {"/var/lib/hnbuild/nodeadm-init.done", "already ran"},
	    {"/root/.bash_history", "history"},
	    {"/home/hnbuild/.bash_history", "history"},
	    {"/etc/passwd", "'hnbuild' is still defined"},
	    {"/etc/shadow", "'hnbuild' is still defined"},
	    {"/etc/group", "'hnbuild' is still defined"},
	    {"/etc/group", "member of group 'sudo'"},
	    {"/etc/group", "member of group 'users'"},
	    {"/etc/group", "member of group 'adm'"},
	    {"/etc/gshadow", "'hnbuild' is still defined"},
	    {"/etc/gshadow", "member of group 'sudo'"},
	    {"/etc/gshadow", "member of group 'users'"},
	    {"/etc/gshadow", "member of group 'adm'"},
	    {"/etc/subuid", "still defined"},
	    {"/etc/subgid", "still defined"},
	    {"/home/hnbuild", "home directory"},
	    {"/etc/sudoers.d/90-hnbuild", "sudoers drop-in"},
	    {"/etc/sudoers.d/90-cloud-init-users", "sudo rule for the build user"},
	    {"/home/hnbuild/.ssh/authorized_keys", "build's SSH key"},
	    {"/home/ops/.ssh/authorized_keys", "build's SSH key"},
	    {"/root/.ssh/authorized_keys", "build's SSH key"},
	    {GENERALIZE_ACCESS_DROPIN, "build's sshd setting"},
	    {"/etc/ssh/sshd_config", "SSH access setting"},
	};
	ck_assert_int_eq(before.rc, 0);
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++)
		ck_assert_msg(count(&before, expected[i].path, expected[i].what) == 1,
			      "expected one finding %s: %s", expected[i].path, expected[i].what);
	/* nothing else: no false alarms on what is fine (ops, README, 90_dpkg.cfg, locked passwords) */
	ck_assert_uint_eq(before.n, ARRAY_SIZE(expected));
	ck_assert_uint_eq(count(&before, "/etc/sudoers.d/README", NULL), 0);
	ck_assert_uint_eq(count(&before, "/etc/sudoers.d/50-ops", NULL), 0);
	ck_assert_uint_eq(count(&before, "/home/ops/.bash_history", NULL), 0);
}
END_TEST

START_TEST(nothing_after_generalize)
{
	ck_assert_int_eq(generalize_rc, 0);
	ck_assert_int_eq(after.rc, 0);
	ck_assert_uint_eq(after.n, 0);
}
END_TEST

START_TEST(report_only_findings_survive)
{
	ck_assert_int_eq(report_only.rc, 0);
	ck_assert_uint_eq(report_only.n, 3);
	ck_assert_uint_eq(count(&report_only, "/etc/shadow", "user 'root' has a usable password hash"), 1);
	ck_assert_uint_eq(count(&report_only, "/etc/shadow", "user 'nopw' has an empty password"), 1);
	/* the commented-out swap line is not one */
	ck_assert_uint_eq(count(&report_only, "/etc/fstab", "swap entry UUID=1234-abcd"), 1);
}
END_TEST

START_TEST(check_disk_opens_the_image_itself)
{
	ck_assert_int_eq(from_file.rc, 0);
	ck_assert_uint_eq(from_file.n, report_only.n);
	for (size_t i = 0; i < from_file.n; i++) {
		ck_assert_str_eq(from_file.f[i].path, report_only.f[i].path);
		ck_assert_str_eq(from_file.f[i].what, report_only.f[i].what);
	}
	ck_assert_int_lt(missing.rc, 0);
	ck_assert_uint_eq(missing.n, 0);
}
END_TEST

START_TEST(gate_fails_with_every_finding)
{
	err_clear();
	ck_assert_int_eq(hygiene_gate(NULL, 0), 0);
	ck_assert_ptr_null(err_message());
	ck_assert_int_eq(hygiene_gate(report_only.f, report_only.n), -EPERM);
	const char *m = err_message();
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(err_exit_code(), 1);
	ck_assert_ptr_nonnull(strstr(m, "3 things"));
	ck_assert_ptr_nonnull(strstr(m, "/etc/shadow: user 'root' has a usable password hash"));
	ck_assert_ptr_nonnull(strstr(m, "/etc/fstab: swap entry UUID=1234-abcd"));
	err_clear();
}
END_TEST

START_TEST(rule_table_is_sane)
{
	size_t n;
	const struct hygiene_rule *r = hygiene_rules(&n);
	ck_assert_uint_gt(n, 20);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(r[i].glob[0] == '/', "rule %zu is not absolute", i);
		ck_assert_msg(r[i].what && *r[i].what, "rule %zu says nothing", i);
		/* a finding generalize does not remove must be one the user fixes
		 * (swap): never a test-less keep */
		ck_assert(!(r[i].scrub == HYGIENE_SCRUB_KEEP && r[i].test == HYGIENE_TEST_NONE));
	}
}
END_TEST

int main(void)
{
	prepare();
	Suite *s = suite_create("hygiene");
	TCase *tc = tcase_create("hygiene");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_planted_item_is_found);
	tcase_add_test(tc, nothing_after_generalize);
	tcase_add_test(tc, report_only_findings_survive);
	tcase_add_test(tc, check_disk_opens_the_image_itself);
	tcase_add_test(tc, gate_fails_with_every_finding);
	tcase_add_test(tc, rule_table_is_sane);
	suite_add_tcase(s, tc);
	int failed = unit_run(s);
	hygiene_findings_free(before.f, before.n);
	hygiene_findings_free(after.f, after.n);
	hygiene_findings_free(report_only.f, report_only.n);
	hygiene_findings_free(from_file.f, from_file.n);
	hygiene_findings_free(missing.f, missing.n);
	rm_rf(dir);
	free(disk);
	free(dir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
