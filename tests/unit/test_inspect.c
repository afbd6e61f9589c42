/* test_inspect.c — `hnbuild inspect` in process on a fake installed Ubuntu
 * image: before generalize it reports the OS, arch, the nodeadm tracker,
 * proxy drop-ins and every hygiene finding and exits 1; after generalize the
 * JSON report (checked by python3's json module) is clean with the
 * first-boot unit enabled and exits 0; an image with no system exits 3;
 * usage errors exit 2 without starting anything. Images are made and
 * inspected in main() (four appliance launches). */
#include <check.h>
#include <fcntl.h>

#include "cleanup.h"
#include "commands.h"
#include "err.h"
#include "fakeimage_test.h"
#include "generalize.h"
#include "guestimg.h"
#include "util.h"
#include "unit_run.h"

struct run {
	int rc;
	char *out;
	char *err;
};

static char *dir, *disk, *empty_disk;
static struct run dirty, clean, nothing, no_image, bad_flag, bad_format, missing, help, real_tracker;
static int json_ok, real_json_ok;

/* cmd_inspect with stdout captured. */
static void run(struct run *r, int argc, char **argv)
{
	char *path = fake_path(dir, "stdout");
	fflush(stdout);
	int saved = dup(1);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fake_need(saved >= 0 && fd >= 0, "capture stdout", NULL);
	dup2(fd, 1);
	close(fd);
	err_clear();
	r->rc = cmd_inspect(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	r->err = xstrdup(err_message());
	err_clear();
	fake_need(read_file(path, &r->out, NULL) == 0, "read stdout", NULL);
	free(path);
}

static void prepare(void)
{
	dir = fake_mkdtemp();
	disk = fake_path(dir, "fake.qcow2");
	guestfs_h *g = fake_new_disk(disk, 128);
	fake_plant(g);
	fake_close(g);

	char *a1[] = {"inspect", disk, NULL};
	run(&dirty, 2, a1);

	struct generalize_params p = {.disk = disk,
				      .format = "qcow2",
				      .build_user = "hnbuild",
				      .remove_build_user = true,
				      .family = FAMILY_UBUNTU};
	fake_need(generalize_disk(&p) == 0, "generalize", NULL);
	char *a2[] = {"inspect", "--json", "--format", "qcow2", disk, NULL};
	run(&clean, 5, a2);
	char *json = fake_path(dir, "clean.json");
	fake_need(write_file_atomic(json, clean.out, strlen(clean.out), 0600) == 0, "write json", NULL);
	char *py[] = {
	    "python3", "-c",
	    "import json,sys; d=json.load(open(sys.argv[1])); "
	    "assert d['clean'] is True and d['findings'] == [], d; "
	    "assert d['os'] == {'id': 'ubuntu', 'version_id': '24.04', 'pretty_name': 'Ubuntu 24.04.1 LTS'}, "
	    "d; "
	    "assert d['arch'] == 'x86_64', d; "
	    "n = d['nodeadm']; assert n['kubernetes_version'] == '1.31' and n['credential_provider'] == "
	    "'ssm' "
	    "and n['containerd_source'] == 'distro' and n['region'] == 'us-west-2' "
	    "and n['version'] == 'v1.0.20-fixture' and n['path'] == '/usr/local/bin/nodeadm', n; "
	    "assert d['first_boot_unit'] == {'name': 'hnbuild-nodeadm-init.service', 'installed': True, "
	    "'enabled': True}, d; "
	    "assert d['proxy_dropins'] == ['/etc/systemd/system/kubelet.service.d/http-proxy.conf', "
	    "'/usr/lib/systemd/system/containerd.service.d/http-proxy.conf'], d",
	    json, NULL};
	json_ok = fake_run(py);
	free(json);

	/* the real nodeadm's tracker (YAML), as aws/eks-hybrid's tests expect it */
	char *tracker = NULL;
	fake_need(read_file("tests/data/nodeadm-tracker-iam.yaml", &tracker, NULL) == 0, "read tracker", NULL);
	struct guestimg_open_params rw = {.disk = disk, .format = "qcow2"};
	guestfs_h *h = NULL;
	fake_need(guestimg_open(&rw, &h) == 0, "open for the real tracker", NULL);
	fake_write(h, "/opt/nodeadm/tracker", tracker);
	fake_need(guestimg_close(h) == 0, "close", NULL);
	free(tracker);
	char *a9[] = {"inspect", "--json", disk, NULL};
	run(&real_tracker, 3, a9);
	char *rj = fake_path(dir, "real.json");
	fake_need(write_file_atomic(rj, real_tracker.out, strlen(real_tracker.out), 0600) == 0, "write json", NULL);
	char *py2[] = {"python3", "-c",
		       "import json,sys; d=json.load(open(sys.argv[1])); n = d['nodeadm']; "
		       "assert n['tracker'] == 'nodeadm' and n['credential_provider'] == 'iam-ra' "
		       "and n['containerd_source'] == 'distro', n",
		       rj, NULL};
	real_json_ok = fake_run(py2);
	free(rj);

	/* a blank disk: no installed system */
	empty_disk = fake_path(dir, "empty.qcow2");
	char *mk[] = {"qemu-img", "create", "-q", "-f", "qcow2", empty_disk, "64M", NULL};
	fake_need(fake_run(mk) == 0, "qemu-img create", NULL);
	char *a3[] = {"inspect", empty_disk, NULL};
	run(&nothing, 2, a3);

	char *a4[] = {"inspect", "--json", NULL};
	run(&no_image, 2, a4);
	char *a5[] = {"inspect", "--frobnicate", disk, NULL};
	run(&bad_flag, 3, a5);
	char *a6[] = {"inspect", "--format", "iso", disk, NULL};
	run(&bad_format, 4, a6);
	char *a7[] = {"inspect", "/nonexistent/image.qcow2", NULL};
	run(&missing, 2, a7);
	char *a8[] = {"inspect", "--help", NULL};
	run(&help, 2, a8);
}

START_TEST(real_nodeadm_tracker)
{
	ck_assert_int_eq(real_tracker.rc, 0);
	ck_assert_msg(real_json_ok == 0, "the real tracker was misread:\n%s", real_tracker.out);
}
END_TEST

START_TEST(dirty_image_reports_and_exits_1)
{
	ck_assert_int_eq(dirty.rc, 1);
	const char *o = dirty.out;
	ck_assert_ptr_nonnull(
	    strstr(o, "os:                  Ubuntu 24.04.1 LTS (id ubuntu, version 24.04)\n"));
	ck_assert_ptr_nonnull(strstr(o, "arch:                x86_64\n"));
	ck_assert_ptr_nonnull(
	    strstr(o, "nodeadm:             /usr/local/bin/nodeadm (version v1.0.20-fixture)\n"));
	ck_assert_ptr_nonnull(strstr(o, "kubernetes:          1.31\n"));
	ck_assert_ptr_nonnull(strstr(o, "credential provider: ssm\n"));
	ck_assert_ptr_nonnull(strstr(o, "first-boot join:     not installed\n"));
	ck_assert_ptr_nonnull(strstr(o, "cloud-init:          not installed\n"));
	ck_assert_ptr_nonnull(strstr(o, "hygiene:             45 findings\n"));
	ck_assert_ptr_nonnull(strstr(o, "\n  /etc/machine-id: machine-id is set"));
	ck_assert_ptr_nonnull(strstr(o, "\n  /etc/ssh/ssh_host_ed25519_key: SSH host key"));
	ck_assert_ptr_nonnull(strstr(o, "\n  /var/log/installer: installer copy of the install data"));
	ck_assert_ptr_nonnull(strstr(o, "\n  /etc/passwd: the build user 'hnbuild' is still defined"));
	ck_assert_ptr_nonnull(
	    strstr(o, "\n  /root/.ssh/authorized_keys: the build's SSH key (hnbuild-build)"));
	ck_assert_ptr_nonnull(strstr(dirty.err, "45 hygiene findings"));
	/* a report, never the secrets themselves */
	ck_assert_ptr_null(strstr(o, FAKE_CANARY));
}
END_TEST

START_TEST(clean_image_json_exits_0)
{
	ck_assert_int_eq(clean.rc, 0);
	ck_assert_int_eq(json_ok, 0);
	ck_assert_ptr_null(clean.err);
}
END_TEST

START_TEST(image_without_a_system_exits_3)
{
	ck_assert_int_eq(nothing.rc, 3);
	ck_assert_str_eq(nothing.out, "");
	ck_assert_ptr_nonnull(strstr(nothing.err, "holds no Linux root filesystem"));
	ck_assert_int_eq(missing.rc, 3);
	ck_assert_ptr_nonnull(strstr(missing.err, "/nonexistent/image.qcow2"));
}
END_TEST

START_TEST(usage_errors_exit_2)
{
	ck_assert_int_eq(no_image.rc, 2);
	ck_assert_ptr_nonnull(strstr(no_image.err, "no IMAGE"));
	ck_assert_int_eq(bad_flag.rc, 2);
	ck_assert_ptr_nonnull(strstr(bad_flag.err, "--frobnicate"));
	ck_assert_int_eq(bad_format.rc, 2);
	ck_assert_ptr_nonnull(strstr(bad_format.err, "--format iso"));
	ck_assert_int_eq(help.rc, 0);
	ck_assert_ptr_nonnull(
	    strstr(help.out, "Exit codes: 0 clean, 1 hygiene findings, 2 usage error, 3 unreadable"));
}
END_TEST

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

int main(void)
{
	prepare();
	Suite *s = suite_create("inspect");
	TCase *tc = tcase_create("inspect");
	tcase_add_test(tc, dirty_image_reports_and_exits_1);
	tcase_add_test(tc, real_nodeadm_tracker);
	tcase_add_test(tc, clean_image_json_exits_0);
	tcase_add_test(tc, image_without_a_system_exits_3);
	tcase_add_test(tc, usage_errors_exit_2);
	suite_add_tcase(s, tc);
	int failed = unit_run(s);
	struct run *runs[] = {&dirty, &clean, &nothing, &no_image, &bad_flag, &bad_format, &missing, &help};
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++)
		run_free(runs[i]);
	rm_rf(dir);
	free(dir);
	free(disk);
	free(empty_disk);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
