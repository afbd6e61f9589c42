/* test_machine.c — the domain XML, and real boots under libvirt (TCG) of the
 * host's Debian kernel: events decide the outcome, console lines are seen,
 * failure patterns and timeouts end a boot, nothing is left defined. */
#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "machine.h"
#include "util.h"
#include "unit_run.h"

#define URI "qemu:///system"

static char *host_kernel(void)
{
	glob_t g;
	char *k = NULL;
	if (glob("/boot/vmlinuz-*", 0, NULL, &g) == 0 && g.gl_pathc > 0)
		k = xstrdup(g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	ck_assert_msg(k, "no kernel in /boot (make deps installs linux-image-amd64)");
	return k;
}

static char *workdir;
static char *disk;

static void setup(void)
{
	workdir = xstrdup("/tmp/hnbuild-test-machine-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(workdir));
	disk = path_join(workdir, "disk.qcow2");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "qemu-img create -q -f qcow2 %s 64M", disk);
	ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
	rm_rf(workdir);
	free(workdir);
	free(disk);
}

START_TEST(xml_user_network_is_restricted_and_loopback_only)
{
	char *fw[] = {"10.0.2.100:80=127.0.0.1:8080", NULL};
	struct machine_config cfg = {.name = "t<&>1", .arch = ARCH_AMD64, .firmware = FIRMWARE_UEFI,
				     .accel = ACCEL_TCG, .cpus = 2, .memory_mib = 2048, .kernel = "/k",
				     .initrd = "/i", .cmdline = "autoinstall console=ttyS0,115200 ds=nocloud;s=/x/",
				     .disk = "/d.qcow2", .cdroms = {"/iso", "/seed"}, .nvram = "/w/VARS.fd",
				     .restrict_network = true, .ssh_port = 2222, .guest_forwards = fw};
	char *xml = NULL;
	ck_assert_int_eq(machine_domain_xml(&cfg, &xml), 0);
	ck_assert_ptr_nonnull(strstr(xml, "<name>t&lt;&amp;&gt;1</name>"));
	ck_assert_ptr_nonnull(strstr(xml, "<domain type=\"qemu\""));
	ck_assert_ptr_nonnull(strstr(xml, "machine=\"q35\""));
	ck_assert_ptr_nonnull(strstr(xml, "<os firmware=\"efi\">"));
	ck_assert_ptr_nonnull(strstr(xml, "<feature enabled=\"no\" name=\"secure-boot\"/>"));
	ck_assert_ptr_nonnull(strstr(xml, "<cmdline>autoinstall console=ttyS0,115200 ds=nocloud;s=/x/</cmdline>"));
	ck_assert_ptr_nonnull(strstr(xml, "user,id=hn0,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22,"
					  "guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:8080"));
	ck_assert_ptr_nonnull(strstr(xml, "bus=\"sata\""));
	ck_assert_ptr_null(strstr(xml, "<interface"));
	free(xml);

	cfg.arch = ARCH_ARM64;
	cfg.network = "buildnet";
	ck_assert_int_eq(machine_domain_xml(&cfg, &xml), 0);
	ck_assert_ptr_nonnull(strstr(xml, "machine=\"virt\""));
	ck_assert_ptr_nonnull(strstr(xml, "<model>cortex-a57</model>"));
	ck_assert_ptr_nonnull(strstr(xml, "bus=\"scsi\""));
	ck_assert_ptr_nonnull(strstr(xml, "model=\"virtio-scsi\""));
	ck_assert_ptr_nonnull(strstr(xml, "<source network=\"buildnet\"/>"));
	ck_assert_ptr_null(strstr(xml, "qemu:commandline"));
	free(xml);
}
END_TEST

struct seen {
	int lines;
	int saw_linux;
};

static void count_line(void *ud, const char *line)
{
	struct seen *s = ud;
	s->lines++;
	if (strstr(line, "Linux version"))
		s->saw_linux = 1;
}

static struct machine_config probe_config(const char *name, const char *kernel, const char *cmdline)
{
	struct machine_config cfg = {.name = name, .arch = ARCH_AMD64, .firmware = FIRMWARE_BIOS,
				     .accel = ACCEL_TCG, .cpus = 1, .memory_mib = 512, .kernel = kernel,
				     .cmdline = cmdline, .disk = disk, .restrict_network = true,
				     .run_as_caller = true};
	return cfg;
}

START_TEST(reboot_is_seen_by_events_and_console_streams)
{
	char *k = host_kernel();
	struct machine_config cfg = probe_config("hnbuild-test-reboot", k, "console=ttyS0 panic=-1 root=/dev/none");
	struct machine *m = NULL;
	ck_assert_msg(machine_start(URI, &cfg, true, &m) == 0, "%s", err_message());
	struct seen s = {0};
	char *log = path_join(workdir, "console.log");
	struct machine_watch w = {.stage = "test", .timeout = 120, .on_line = count_line, .userdata = &s,
				  .console_log = log};
	struct machine_result res;
	machine_wait(m, &w, &res);
	ck_assert_msg(res.outcome == MACHINE_REBOOTED, "outcome %s, tail:\n%s", machine_outcome_name(res.outcome),
		      res.console_tail);
	ck_assert_int_gt(s.lines, 10);
	ck_assert(s.saw_linux);
	ck_assert_ptr_nonnull(strstr(res.console_tail, "Kernel panic"));
	char *text = NULL;
	size_t len;
	ck_assert_int_eq(read_file(log, &text, &len), 0);
	ck_assert_ptr_nonnull(strstr(text, "Linux version"));
	free(text);
	machine_result_free(&res);
	machine_free(m, false);
	ck_assert(!machine_domain_exists(URI, "hnbuild-test-reboot"));
	free(log);
	free(k);
}
END_TEST

START_TEST(failure_pattern_ends_the_boot)
{
	char *k = host_kernel();
	/* panic=0: the guest hangs after the panic, so only the pattern can end it. */
	struct machine_config cfg = probe_config("hnbuild-test-fail", k, "console=ttyS0 panic=0 root=/dev/none");
	struct machine *m = NULL;
	ck_assert_int_eq(machine_start(URI, &cfg, true, &m), 0);
	const char *patterns[] = {"Kernel panic - not syncing", NULL};
	struct machine_watch w = {.stage = "test", .timeout = 180, .failure_patterns = patterns};
	struct machine_result res;
	machine_wait(m, &w, &res);
	ck_assert_int_eq(res.outcome, MACHINE_FAILED_LINE);
	ck_assert_ptr_nonnull(strstr(res.failure_line, "Kernel panic - not syncing"));
	machine_result_free(&res);
	machine_free(m, false);
	ck_assert(!machine_domain_exists(URI, "hnbuild-test-fail"));
	free(k);
}
END_TEST

START_TEST(timeout_ends_the_boot)
{
	char *k = host_kernel();
	struct machine_config cfg = probe_config("hnbuild-test-timeout", k, "console=ttyS0 panic=0 root=/dev/none");
	struct machine *m = NULL;
	ck_assert_int_eq(machine_start(URI, &cfg, true, &m), 0);
	struct machine_watch w = {.stage = "test", .timeout = 3};
	struct machine_result res;
	machine_wait(m, &w, &res);
	ck_assert_int_eq(res.outcome, MACHINE_TIMEOUT);
	ck_assert_double_ge(res.seconds, 3.0);
	machine_result_free(&res);
	machine_free(m, false);
	ck_assert(!machine_domain_exists(URI, "hnbuild-test-timeout"));
	free(k);
}
END_TEST

START_TEST(bad_config_is_a_clear_error)
{
	struct machine_config cfg = probe_config("hnbuild-test-bad", "/nonexistent/vmlinuz", "console=ttyS0");
	struct machine *m = NULL;
	ck_assert_int_lt(machine_start(URI, &cfg, true, &m), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "cannot start the hnbuild-test-bad VM"));
	ck_assert(!machine_domain_exists(URI, "hnbuild-test-bad"));
	err_clear();
	ck_assert_int_lt(machine_start("qemu+unix:///system?socket=/nonexistent", &cfg, true, &m), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "cannot connect to libvirt"));
	err_clear();
}
END_TEST

START_TEST(accel_auto_never_picks_a_hanging_kvm)
{
	char *k = host_kernel();
	/* Whatever this host does, auto must return an accelerator that boots. */
	enum accel_kind a = machine_pick_accel(URI, ACCEL_AUTO, ARCH_AMD64, k);
	ck_assert(a == ACCEL_KVM || a == ACCEL_TCG);
	ck_assert_int_eq(machine_pick_accel(URI, ACCEL_AUTO, ARCH_ARM64, k), ACCEL_TCG);
	ck_assert_int_eq(machine_pick_accel(URI, ACCEL_TCG, ARCH_AMD64, k), ACCEL_TCG);
	if (a == ACCEL_KVM) {
		struct machine_config cfg = probe_config("hnbuild-test-kvm", k, "console=ttyS0 panic=-1 root=/dev/none");
		cfg.accel = ACCEL_KVM;
		struct machine *m = NULL;
		ck_assert_int_eq(machine_start(URI, &cfg, true, &m), 0);
		struct machine_watch w = {.stage = "test", .timeout = 30};
		struct machine_result res;
		machine_wait(m, &w, &res);
		ck_assert_int_eq(res.outcome, MACHINE_REBOOTED);
		machine_result_free(&res);
		machine_free(m, false);
	}
	free(k);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("machine");
	TCase *tc = tcase_create("machine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, xml_user_network_is_restricted_and_loopback_only);
	tcase_add_test(tc, reboot_is_seen_by_events_and_console_streams);
	tcase_add_test(tc, failure_pattern_ends_the_boot);
	tcase_add_test(tc, timeout_ends_the_boot);
	tcase_add_test(tc, bad_config_is_a_clear_error);
	tcase_add_test(tc, accel_auto_never_picks_a_hanging_kvm);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
