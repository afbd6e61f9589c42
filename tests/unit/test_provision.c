/* test_provision.c — provisioning over a real SSH server: the host's own
 * sshd started by the test on 127.0.0.1 with the build credential's key.
 * Steps stream output, failures carry the step's tail, uploads arrive
 * intact, and secrets fed to a step never appear on any command line. */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "credential.h"
#include "err.h"
#include "log.h"
#include "provision.h"
#include "util.h"
#include "unit_run.h"

static char *dir;
static pid_t sshd_pid;
static unsigned port;
static struct build_credential cred;
static struct build_spec spec;
static struct provision_params params;

static void sh(const char *fmt, const char *arg)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), fmt, arg, arg, arg);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void setup(void)
{
	dir = xstrdup("/tmp/hnbuild-test-sshd-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	sh("ssh-keygen -q -t ed25519 -N '' -f %s/hostkey", dir);
	/* The build user is never root in a build; here the host's sshd only
	 * lets root in, so the credential's key logs in as root. */
	ck_assert_int_eq(credential_create(NULL, NULL, &cred), 0);
	free(cred.user);
	cred.user = xstrdup("root");
	char *ak = path_join(dir, "authorized_keys");
	ck_assert_int_eq(write_file_atomic(ak, cred.public_key, strlen(cred.public_key), 0600), 0);
	ck_assert_int_eq(provision_free_port(&port), 0);
	char *conf = path_join(dir, "sshd_config");
	char text[2048];
	snprintf(text, sizeof(text),
		 "ListenAddress 127.0.0.1:%u\nHostKey %s/hostkey\nAuthorizedKeysFile %s\nPermitRootLogin "
		 "prohibit-password\nPasswordAuthentication no\nUsePAM no\nStrictModes no\nPidFile %s/sshd.pid\n",
		 port, dir, ak, dir);
	ck_assert_int_eq(write_file_atomic(conf, text, strlen(text), 0600), 0);
	mkdir_p("/run/sshd", 0755);
	sshd_pid = fork();
	if (sshd_pid == 0) {
		setsid(); /* sshd signals its whole process group when it stops */
		execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", conf, (char *)NULL);
		_exit(127);
	}
	free(ak);
	free(conf);
	memset(&spec, 0, sizeof(spec));
	params = (struct provision_params){.spec = &spec, .cred = &cred, .ssh_port = port, .timeout = 60};
}

static void teardown(void)
{
	if (sshd_pid > 0) {
		kill(sshd_pid, SIGTERM);
		waitpid(sshd_pid, NULL, 0);
	}
	credential_free(&cred);
	rm_rf(dir);
	free(dir);
	log_forget_secrets();
}

START_TEST(shell_runs_as_root_and_reports_failure_tail)
{
	struct provision_conn *c = NULL;
	ck_assert_msg(provision_connect(&params, &c) == 0, "%s", err_message());
	const char *ok = "id -u; echo to-stderr >&2; exit 0\n";
	ck_assert_int_eq(provision_shell(c, "ok step", ok, strlen(ok)), 0);
	const char *bad = "for i in 1 2 3 4 5; do echo line-$i; done; echo boom >&2; exit 7\n";
	ck_assert_int_lt(provision_shell(c, "failing step", bad, strlen(bad)), 0);
	const char *m = err_message();
	ck_assert_ptr_nonnull(strstr(m, "provision step 'failing step' failed with exit status 7"));
	ck_assert_ptr_nonnull(strstr(m, "line-5"));
	ck_assert_ptr_nonnull(strstr(m, "boom"));
	err_clear();
	/* The connection survives a failed step. */
	const char *again = "true\n";
	ck_assert_int_eq(provision_shell(c, "after", again, strlen(again)), 0);
	provision_close(c);
}
END_TEST

START_TEST(upload_arrives_intact)
{
	struct provision_conn *c = NULL;
	ck_assert_int_eq(provision_connect(&params, &c), 0);
	char *src = path_join(dir, "payload.bin");
	char *dst = path_join(dir, "uploaded.bin");
	sh("head -c 3000000 /dev/urandom > %s", src);
	ck_assert_int_eq(provision_upload(c, src, dst), 0);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cmp %s %s && test \"$(stat -c %%a %s)\" = 600", src, dst, dst);
	ck_assert_int_eq(system(cmd), 0);
	provision_close(c);
	free(src);
	free(dst);
}
END_TEST

static bool any_cmdline_contains(const char *needle)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;
	while (d && (de = readdir(d)) && !found) {
		char path[300], buf[8192];
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = 0;
		if (strstr(buf, needle))
			found = true;
	}
	if (d)
		closedir(d);
	return found;
}

START_TEST(secrets_in_a_step_stay_off_command_lines)
{
	/* A proxy password reaches a step the way every step variable does
	 * (inside the script hnbuild sends on the channel); while the user's
	 * script sleeps, no process anywhere may show it in its argv. */
	char *marker = path_join(dir, "started");
	char *script = path_join(dir, "sleeper.sh");
	char *remote = path_join(dir, "sleeper-uploaded");
	char text[512];
	snprintf(text, sizeof(text), "#!/bin/sh\ntouch %s\nsleep 3\ncase $HTTPS_PROXY in *Canary-Argv-90210*) ;; *) exit 9 ;; esac\n",
		 marker);
	ck_assert_int_eq(write_file_atomic(script, text, strlen(text), 0700), 0);
	struct build_spec sp = {.proxy = "http://builder:Canary-Argv-90210@proxy.test:3128"};
	pid_t child = fork();
	if (child == 0) {
		struct provision_params pp = params;
		pp.spec = &sp;
		struct provision_conn *c = NULL;
		int r = provision_connect(&pp, &c);
		if (r == 0)
			r = provision_user_script(c, script, remote);
		provision_close(c);
		_exit(r == 0 ? 0 : 1);
	}
	for (int i = 0; i < 100 && access(marker, F_OK) != 0; i++)
		usleep(50000);
	ck_assert_int_eq(access(marker, F_OK), 0);
	ck_assert(!any_cmdline_contains("Canary-Argv-90210"));
	int status;
	waitpid(child, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(marker);
	free(script);
	free(remote);
}
END_TEST

/* What a user script sees of the proxy: the variables, sorted, one a line. */
static char *proxy_env_seen(const struct build_spec *sp)
{
	struct provision_params pp = params;
	pp.spec = sp;
	char *script = path_join(dir, "show-env.sh");
	char *seen = path_join(dir, "env.seen");
	char text[512];
	snprintf(text, sizeof(text), "#!/bin/sh\nenv | grep -i '_proxy=' | LC_ALL=C sort > %s\n", seen);
	ck_assert_int_eq(write_file_atomic(script, text, strlen(text), 0700), 0);
	char *remote = path_join(dir, "uploaded-script");
	struct provision_conn *c = NULL;
	ck_assert_int_eq(provision_connect(&pp, &c), 0);
	ck_assert_msg(provision_user_script(c, script, remote) == 0, "%s", err_message());
	provision_close(c);
	ck_assert_int_ne(access(remote, F_OK), 0); /* removed after the run */
	char *out = NULL;
	size_t len = 0;
	ck_assert_int_eq(read_file(seen, &out, &len), 0);
	unlink(seen);
	free(script);
	free(seen);
	free(remote);
	return out;
}

START_TEST(steps_run_with_the_proxy_in_their_environment)
{
	struct build_spec sp = {.proxy = "http://builder:Pw-1x@proxy.test:3128"};
	char *out = proxy_env_seen(&sp);
	ck_assert_str_eq(out, "HTTPS_PROXY=http://builder:Pw-1x@proxy.test:3128\n"
			      "HTTP_PROXY=http://builder:Pw-1x@proxy.test:3128\n"
			      "NO_PROXY=localhost,127.0.0.1,169.254.169.254,.svc,.cluster.local\n"
			      "http_proxy=http://builder:Pw-1x@proxy.test:3128\n"
			      "https_proxy=http://builder:Pw-1x@proxy.test:3128\n"
			      "no_proxy=localhost,127.0.0.1,169.254.169.254,.svc,.cluster.local\n");
	free(out);
	sp.no_proxy = "10.0.0.0/8,.corp.example";
	out = proxy_env_seen(&sp);
	ck_assert_ptr_nonnull(strstr(out, "\nNO_PROXY=10.0.0.0/8,.corp.example\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nno_proxy=10.0.0.0/8,.corp.example\n"));
	free(out);
	/* Without --proxy a step gets none. */
	struct build_spec none = {0};
	out = proxy_env_seen(&none);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

/* Every descendant of pid (sshd's per-connection processes). */
static size_t descendants(pid_t pid, pid_t *out, size_t max)
{
	size_t n = 0;
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "pgrep -P %d", (int)pid);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	int c;
	while (n < max && fscanf(f, "%d", &c) == 1)
		out[n++] = c;
	pclose(f);
	for (size_t i = 0, m = n; i < m && n < max; i++)
		n += descendants(out[i], out + n, max - n);
	return n;
}

/* Issue 20.15: the guest's sshd answers a channel request only after more
 * than libssh's 5 s session timeout (a loaded TCG guest). libssh then
 * returned SSH_AGAIN with no error, and the build failed with "cannot run a
 * command over SSH: " and an empty reason. Here the connection's sshd
 * processes are stopped for 7 s right after the login. */
START_TEST(slow_sshd_after_login_is_waited_for)
{
	struct provision_conn *c = NULL;
	ck_assert_msg(provision_connect(&params, &c) == 0, "%s", err_message());
	pid_t kids[16];
	size_t n = descendants(sshd_pid, kids, 16);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++)
		kill(kids[i], SIGSTOP);
	pid_t waker = fork();
	if (waker == 0) {
		sleep(7);
		for (size_t i = 0; i < n; i++)
			kill(kids[i], SIGCONT);
		_exit(0);
	}
	double t0 = now_monotonic();
	const char *cmd = "echo after-the-stall\n";
	int r = provision_shell(c, "first step", cmd, strlen(cmd));
	ck_assert_msg(r == 0, "%s", err_message());
	ck_assert_double_ge(now_monotonic() - t0, 6.5);
	waitpid(waker, NULL, 0);
	provision_close(c);
}
END_TEST

/* The connect-and-first-command path, many times, with every core busy. */
START_TEST(connect_and_first_command_under_load)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	pid_t busy[8];
	size_t nb = cores > 8 ? 8 : (size_t)cores;
	for (size_t i = 0; i < nb; i++) {
		busy[i] = fork();
		if (busy[i] == 0)
			for (volatile unsigned long x = 0;; x++)
				;
	}
	for (int i = 0; i < 25; i++) {
		struct provision_conn *c = NULL;
		ck_assert_msg(provision_connect(&params, &c) == 0, "round %d: %s", i, err_message());
		const char *cmd = "echo first\n";
		ck_assert_msg(provision_shell(c, "first", cmd, strlen(cmd)) == 0, "round %d: %s", i, err_message());
		provision_close(c);
	}
	for (size_t i = 0; i < nb; i++) {
		kill(busy[i], SIGKILL);
		waitpid(busy[i], NULL, 0);
	}
}
END_TEST

START_TEST(no_server_times_out_clearly)
{
	unsigned dead;
	ck_assert_int_eq(provision_free_port(&dead), 0);
	struct provision_params p = params;
	p.ssh_port = dead;
	p.timeout = 3;
	struct provision_conn *c = NULL;
	ck_assert_int_lt(provision_connect(&p, &c), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "did not accept SSH within the timeout"));
	err_clear();
}
END_TEST

START_TEST(nodeadm_url)
{
	struct build_spec s = {.arch = ARCH_ARM64, .nodeadm_version = "v1.0.6"};
	char *u = provision_nodeadm_url(&s);
	ck_assert_str_eq(u, "https://hybrid-assets.eks.amazonaws.com/releases/v1.0.6/bin/linux/arm64/nodeadm");
	free(u);
	s.nodeadm_url = "http://10.0.2.100/{version}/{arch}/nodeadm";
	u = provision_nodeadm_url(&s);
	ck_assert_str_eq(u, "http://10.0.2.100/v1.0.6/arm64/nodeadm");
	free(u);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provision");
	TCase *tc = tcase_create("provision");
	tcase_add_unchecked_fixture(tc, setup, teardown); /* one sshd for all tests */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, shell_runs_as_root_and_reports_failure_tail);
	tcase_add_test(tc, upload_arrives_intact);
	tcase_add_test(tc, secrets_in_a_step_stay_off_command_lines);
	tcase_add_test(tc, steps_run_with_the_proxy_in_their_environment);
	tcase_add_test(tc, no_server_times_out_clearly);
	tcase_add_test(tc, slow_sshd_after_login_is_waited_for);
	tcase_add_test(tc, connect_and_first_command_under_load);
	tcase_add_test(tc, nodeadm_url);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
