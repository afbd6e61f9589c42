/* test_machine.c — the domain XML, and real boots under libvirt (TCG) of the
 * host's Debian kernel: events decide the outcome, console lines are seen,
 * failure patterns, timeouts and a silent guest (no console output, no disk
 * writes: a stall) end a boot, a running guest's screen is a PNG, nothing
 * is left defined; a
 * libvirtd that does not answer, or stops answering mid-boot (a proxy in
 * front of the real daemon's socket that goes silent), fails in bounded
 * time with libvirtd named. */
#include <check.h>
#include <errno.h>
#include <glob.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
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
	/* No console pipe given: no serial device, and never a pty (libvirt's
	 * console stream is what deadlocked libvirtd, issue 21). */
	ck_assert_ptr_null(strstr(xml, "<serial"));
	ck_assert_ptr_null(strstr(xml, "pty"));
	free(xml);

	cfg.console_pipe = "/w/console";
	cfg.disk = NULL;
	ck_assert_int_eq(machine_domain_xml(&cfg, &xml), 0);
	ck_assert_ptr_nonnull(strstr(xml, "<serial type=\"pipe\">"));
	ck_assert_ptr_nonnull(strstr(xml, "<source path=\"/w/console\"/>"));
	ck_assert_ptr_null(strstr(xml, "pty"));
	ck_assert_ptr_null(strstr(xml, "vda"));
	free(xml);
	cfg.disk = "/d.qcow2";
	cfg.console_pipe = NULL;

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

START_TEST(a_silent_guest_stalls)
{
	char *k = host_kernel();
	/* panic=0: after the panic the guest prints nothing and writes nothing. */
	struct machine_config cfg = probe_config("hnbuild-test-stall", k, "console=ttyS0 panic=0 root=/dev/none");
	struct machine *m = NULL;
	ck_assert_int_eq(machine_start(URI, &cfg, true, &m), 0);
	struct machine_watch w = {.stage = "test", .timeout = 300, .stall_timeout = 12};
	struct machine_result res;
	machine_wait(m, &w, &res);
	ck_assert_msg(res.outcome == MACHINE_STALLED, "outcome %s, tail:\n%s", machine_outcome_name(res.outcome),
		      res.console_tail);
	/* It booted and printed first: the stall began at the panic. */
	ck_assert_ptr_nonnull(strstr(res.console_tail, "Kernel panic"));
	ck_assert_double_ge(res.seconds, 12.0);
	machine_result_free(&res);
	machine_free(m, false);
	ck_assert(!machine_domain_exists(URI, "hnbuild-test-stall"));
	free(k);
}
END_TEST

START_TEST(a_running_guest_has_a_screenshot)
{
	char *k = host_kernel();
	/* The panic stays on the VGA screen: panic=0 never reboots. */
	struct machine_config cfg =
	    probe_config("hnbuild-test-shot", k, "console=tty0 console=ttyS0 panic=0 root=/dev/none");
	struct machine *m = NULL;
	ck_assert_int_eq(machine_start(URI, &cfg, true, &m), 0);
	ck_assert_ptr_nonnull(strstr(machine_xml(m), "<video>"));
	static const char *const panic[] = {"Kernel panic", NULL};
	struct machine_watch w = {.stage = "test", .timeout = 300, .failure_patterns = panic};
	struct machine_result res;
	machine_wait(m, &w, &res);
	ck_assert_msg(res.outcome == MACHINE_FAILED_LINE, "outcome %s", machine_outcome_name(res.outcome));
	machine_result_free(&res);
	char *png = path_join(workdir, "screen.png");
	ck_assert_msg(machine_screenshot(m, png) == 0, "%s", err_message());
	char *data = NULL;
	size_t len = 0;
	ck_assert_int_eq(read_file(png, &data, &len), 0);
	ck_assert_uint_gt(len, 33);
	ck_assert_int_eq(memcmp(data, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16), 0);
	const unsigned char *u = (const unsigned char *)data;
	unsigned width = (unsigned)u[16] << 24 | (unsigned)u[17] << 16 | (unsigned)u[18] << 8 | u[19];
	unsigned height = (unsigned)u[20] << 24 | (unsigned)u[21] << 16 | (unsigned)u[22] << 8 | u[23];
	ck_assert_msg(width >= 640 && height >= 400, "a %ux%u screen", width, height);
	/* The file ends with the IEND chunk: a PNG a viewer opens. */
	ck_assert_int_eq(memcmp(data + len - 8, "IEND\xae\x42\x60\x82", 8), 0);
	free(data);
	free(png);
	machine_free(m, false);
	ck_assert_int_lt(machine_screenshot(m = NULL, "/nonexistent/x.png"), 0);
	err_clear();
	ck_assert(!machine_domain_exists(URI, "hnbuild-test-shot"));
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
	/* Whatever this host does (here KVM exists but hangs Linux guests),
	 * auto must return an accelerator that boots the host's kernel to its
	 * panic-reboot: a hanging KVM fails the wait with a timeout. */
	enum accel_kind a = machine_pick_accel(URI, 0, ACCEL_AUTO, ARCH_AMD64, k);
	struct machine_config cfg = probe_config("hnbuild-test-accel", k, "console=ttyS0 panic=-1 root=/dev/none");
	cfg.accel = a;
	struct machine *m = NULL;
	ck_assert_int_eq(machine_start(URI, &cfg, true, &m), 0);
	struct machine_watch w = {.stage = "test", .timeout = 120};
	struct machine_result res;
	machine_wait(m, &w, &res);
	ck_assert_msg(res.outcome == MACHINE_REBOOTED, "the picked accelerator (%s) did not boot: %s",
		      a == ACCEL_KVM ? "kvm" : "tcg", machine_outcome_name(res.outcome));
	machine_result_free(&res);
	machine_free(m, false);
	/* No KVM for another architecture's guest. */
	ck_assert_int_eq(machine_pick_accel(URI, 0, ACCEL_AUTO, ARCH_ARM64, k), ACCEL_TCG);
	free(k);
}
END_TEST


/* ---- a daemon that does not answer ---- */

/* A unix socket in front of libvirtd's: it forwards both ways until
 * `silent` is set, then swallows everything (a wedged daemon whose socket
 * is still open); with no upstream it never answers at all. */
struct proxy {
	char path[108];
	int listen_fd;
	const char *upstream;
	atomic_int silent, stop;
	pthread_t thread;
};

static int unix_connect(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *proxy_run(void *arg)
{
	struct proxy *p = arg;
	int fds[64], n = 0;
	while (!atomic_load(&p->stop)) {
		struct pollfd pf[65] = {{.fd = p->listen_fd, .events = POLLIN}};
		for (int i = 0; i < n; i++)
			pf[i + 1] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (poll(pf, n + 1, 100) <= 0)
			continue;
		if (pf[0].revents && n + 2 <= 64) {
			int c = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			int u = p->upstream ? unix_connect(p->upstream) : -1;
			if (c >= 0) {
				fds[n++] = c;
				fds[n++] = u; /* pairs: client, upstream (-1: none) */
			}
		}
		for (int i = 0; i < n; i++) {
			if (!(pf[i + 1].revents & (POLLIN | POLLHUP)) || fds[i] < 0)
				continue;
			char buf[65536];
			ssize_t got = read(fds[i], buf, sizeof(buf));
			int peer = fds[i ^ 1];
			if (got > 0 && peer >= 0 && !atomic_load(&p->silent))
				ck_assert_int_eq(write(peer, buf, (size_t)got), got);
		}
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return NULL;
}

static char *proxy_start(struct proxy *p, const char *upstream)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s/libvirt-sock", workdir);
	p->upstream = upstream;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", p->path);
	p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(p->listen_fd, 0);
	ck_assert_int_eq(bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(p->listen_fd, 8), 0);
	ck_assert_int_eq(pthread_create(&p->thread, NULL, proxy_run, p), 0);
	char *uri = NULL;
	ck_assert_int_ge(asprintf(&uri, "qemu+unix:///system?socket=%s", p->path), 0);
	return uri;
}

static void proxy_stop(struct proxy *p)
{
	atomic_store(&p->stop, 1);
	pthread_join(p->thread, NULL);
	close(p->listen_fd);
}

START_TEST(a_daemon_that_never_answers_fails_in_bounded_time)
{
	struct proxy p;
	char *uri = proxy_start(&p, NULL);
	struct machine_config cfg = probe_config("hnbuild-test-silent", "/k", "console=ttyS0");
	cfg.call_timeout = 3;
	struct machine *m = NULL;
	double t0 = now_monotonic();
	ck_assert_int_eq(machine_start(uri, &cfg, true, &m), -ETIMEDOUT);
	double took = now_monotonic() - t0;
	ck_assert_msg(took >= 3 && took < 10, "took %.1f s", took);
	ck_assert_msg(strstr(err_message(), "libvirtd at qemu+unix:///system?socket=") &&
			      strstr(err_message(), "did not answer within 3 s (connecting)"),
		      "%s", err_message());
	err_clear();
	proxy_stop(&p);
	free(uri);
}
END_TEST

START_TEST(a_daemon_that_stops_answering_mid_boot_ends_the_wait)
{
	char *k = host_kernel();
	struct proxy p;
	char *uri = proxy_start(&p, "/var/run/libvirt/libvirt-sock");
	/* panic=0: the guest hangs after its panic; only libvirtd's silence can
	 * end this wait before its 600 s limit. */
	struct machine_config cfg = probe_config("hnbuild-test-wedge", k, "console=ttyS0 panic=0 root=/dev/none");
	cfg.call_timeout = 5;
	struct machine *m = NULL;
	ck_assert_msg(machine_start(uri, &cfg, true, &m) == 0, "%s", err_message());
	atomic_store(&p.silent, 1);
	double t0 = now_monotonic();
	struct machine_watch w = {.stage = "test", .timeout = 600};
	struct machine_result res;
	machine_wait(m, &w, &res);
	ck_assert_msg(res.outcome == MACHINE_DAEMON_LOST, "outcome %s", machine_outcome_name(res.outcome));
	/* keepalive: 5 s interval, 3 unanswered */
	ck_assert_msg(now_monotonic() - t0 < 60, "took %.1f s", now_monotonic() - t0);
	machine_result_free(&res);
	t0 = now_monotonic();
	machine_free(m, false);
	ck_assert_msg(now_monotonic() - t0 < 30, "machine_free took %.1f s", now_monotonic() - t0);
	err_clear();
	/* The proxy's end closes the daemon's side: autodestroy removes the VM. */
	proxy_stop(&p);
	for (int i = 0; i < 50 && machine_domain_exists(URI, "hnbuild-test-wedge"); i++)
		usleep(200000);
	ck_assert(!machine_domain_exists(URI, "hnbuild-test-wedge"));
	free(uri);
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
	tcase_add_test(tc, a_silent_guest_stalls);
	tcase_add_test(tc, a_running_guest_has_a_screenshot);
	tcase_add_test(tc, bad_config_is_a_clear_error);
	tcase_add_test(tc, accel_auto_never_picks_a_hanging_kvm);
	tcase_add_test(tc, a_daemon_that_never_answers_fails_in_bounded_time);
	tcase_add_test(tc, a_daemon_that_stops_answering_mid_boot_ends_the_wait);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
