/* test_cmd_userdata.c — `hnbuild userdata` end to end in-process: every
 * problem reported at once and nothing written on bad input; each output
 * form; secrets never on stdout in govc mode and files holding them 0600. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "err.h"
#include "guestinfo.h"
#include "log.h"
#include "userdata_test.h"
#include "unit_run.h"

#define CODE "AbCdEfGhIjKlMnOpQrSt0123"
#define ACT_ID "0123abcd-4567-89ab-cdef-0123456789ab"

static char workdir[64];
static char *captured; /* stdout of the last run */

static void setup(void)
{
	strcpy(workdir, "/tmp/hnbuild-cmdud-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(workdir));
	unsetenv("SSM_ACTIVATION_CODE");
	err_clear();
}

static void teardown(void)
{
	rm_rf(workdir);
	free(captured);
	captured = NULL;
	log_forget_secrets();
}

static char *wpath(const char *name)
{
	return path_join(workdir, name);
}

/* Run cmd_userdata with a NULL-terminated argument list; stdout captured. */
static int run(const char *first, ...)
{
	const char *argv[64];
	int argc = 0;
	argv[argc++] = "userdata";
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	char *out = wpath("stdout.txt");
	fflush(stdout);
	int saved = dup(1);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 1);
	close(fd);
	int rc = cmd_userdata(argc, (char **)argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	free(captured);
	size_t len;
	ck_assert_int_eq(read_file(out, &captured, &len), 0);
	unlink(out);
	free(out);
	return rc;
}

static unsigned mode_of(const char *path)
{
	struct stat st;
	ck_assert_msg(stat(path, &st) == 0, "%s missing", path);
	return st.st_mode & 07777;
}

static char *write_code_file(const char *content)
{
	char *p = wpath("code.txt");
	ck_assert_int_eq(write_file_atomic(p, content, strlen(content), 0600), 0);
	return p;
}

static size_t count_lines(const char *s)
{
	size_t n = s && *s ? 1 : 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(every_problem_at_once_and_nothing_written)
{
	char *out = wpath("out");
	int rc = run("--cluster", "bad cluster", "--region", "nowhere", "--ssm-activation-id", "NOPE",
		     "--ssm-activation-code-file", "/nonexistent/code", "--node-name", "Bad_Name", "--proxy",
		     "ftp://x", "--format", "yaml", "--bogus", "--output-dir", out, "stray", NULL);
	ck_assert_int_eq(rc, EXIT_USAGE);
	ck_assert_int_eq(err_exit_code(), EXIT_USAGE);
	const char *msg = err_message();
	ck_assert_ptr_nonnull(msg);
	const char *expect[] = {
	    "--bogus: unknown option",
	    "'stray': unexpected argument",
	    "--ssm-activation-code-file: cannot read /nonexistent/code",
	    "--proxy: 'ftp://x'",
	    "--format: 'yaml' is not files, guestinfo, govc or json",
	    "--node-name: node name 'Bad_Name'",
	    "--cluster (spec.cluster.name): 'bad cluster'",
	    "--region (spec.cluster.region): 'nowhere'",
	    "--ssm-activation-code-file/SSM_ACTIVATION_CODE (spec.hybrid.ssm.activationCode): is required",
	    "--ssm-activation-id (spec.hybrid.ssm.activationId): 'NOPE'",
	};
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		ck_assert_msg(strstr(msg, expect[i]), "missing '%s' in:\n%s", expect[i], msg);
	ck_assert_uint_eq(count_lines(msg), sizeof(expect) / sizeof(expect[0]));
	ck_assert_int_eq(access(out, F_OK), -1);
	ck_assert_str_eq(captured, "");
	free(out);
}
END_TEST

START_TEST(missing_required_flags)
{
	ck_assert_int_eq(run(NULL), EXIT_USAGE);
	const char *msg = err_message();
	ck_assert_ptr_nonnull(strstr(msg, "--cluster (spec.cluster.name): is required"));
	ck_assert_ptr_nonnull(strstr(msg, "--region (spec.cluster.region): is required"));
	ck_assert_ptr_nonnull(strstr(msg, "at least one node is required"));
	ck_assert_ptr_nonnull(strstr(msg, "(spec.hybrid): one credential provider is required"));
	ck_assert_int_eq(run("--cluster", NULL), EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "--cluster: needs a value"));
}
END_TEST

START_TEST(help_tells_the_truth)
{
	ck_assert_int_eq(run("--help", NULL), EXIT_OK);
	ck_assert_ptr_nonnull(strstr(captured, "Usage: hnbuild userdata"));
	ck_assert_ptr_nonnull(strstr(captured, "--ssm-activation-code-file FILE"));
	ck_assert_ptr_nonnull(strstr(captured, "govc has no way to read an ExtraConfig"));
	ck_assert_ptr_nonnull(strstr(captured, "/etc/eks/nodeadm/nodeConfig.yaml"));
}
END_TEST

START_TEST(govc_mode_keeps_secrets_off_stdout)
{
	setenv("SSM_ACTIVATION_CODE", CODE, 1);
	char *out = wpath("out");
	char *nodes = wpath("nodes.csv");
	const char *csv = "node-a,10.0.0.11/24,10.0.0.1,10.0.0.2\nnode-b\n";
	ck_assert_int_eq(write_file_atomic(nodes, csv, strlen(csv), 0644), 0);
	int rc = run("--cluster", "my-cluster", "--region", "us-west-2", "--ssm-activation-id", ACT_ID,
		     "--nodes", nodes, "--format", "govc", "--output-dir", out, NULL);
	ck_assert_msg(rc == EXIT_OK, "rc %d: %s", rc, err_message());
	ck_assert_ptr_null(strstr(captured, CODE));
	ck_assert_ptr_null(strstr(captured, "H4sI")); /* no encoded value either */
	ck_assert_ptr_nonnull(strstr(captured, "govc vm.change -vm 'node-a'"));
	ck_assert_ptr_nonnull(strstr(captured, "-e guestinfo.userdata.encoding=gzip+base64"));
	ck_assert_ptr_nonnull(strstr(captured, "node-b.userdata.b64"));

	const char *files[] = {"node-a.userdata.b64", "node-a.metadata.b64", "node-b.userdata.b64",
			       "node-b.metadata.b64"};
	for (size_t i = 0; i < 4; i++) {
		char *f = path_join(out, files[i]);
		ck_assert_uint_eq(mode_of(f), 0600);
		free(f);
	}
	ck_assert_uint_eq(mode_of(out), 0700);
	/* The script on disk is the same commands, and valid shell. */
	char *script = path_join(out, "govc.sh"), *cmd = NULL;
	ck_assert_uint_eq(mode_of(script), 0700);
	ck_assert(asprintf(&cmd, "sh -n %s", script) > 0);
	ck_assert_int_eq(ud_run(cmd), 0);

	/* What govc would send decodes to the user-data with the code. */
	char *b64path = path_join(out, "node-a.userdata.b64"), *b64 = NULL, *ud = NULL;
	size_t len;
	ck_assert_int_eq(read_file(b64path, &b64, &len), 0);
	ck_assert_int_eq(guestinfo_decode(b64, GUESTINFO_GZIP_BASE64, &ud, NULL), 0);
	ck_assert_ptr_nonnull(strstr(ud, "activationCode: " CODE "\n"));
	free(b64);
	free(ud);
	free(b64path);
	free(cmd);
	free(script);
	free(nodes);
	free(out);
}
END_TEST

START_TEST(files_mode_is_a_nocloud_seed)
{
	char *code = write_code_file(CODE "\n");
	char *out = wpath("seed");
	int rc = run("--cluster", "my-cluster", "--region", "us-west-2", "--ssm-activation-id", ACT_ID,
		     "--ssm-activation-code-file", code, "--node-name", "node-a", "--user", "ops",
		     "--ssh-authorized-key", "ssh-ed25519 AAAAC3Nza ops@x", "--output-dir", out, NULL);
	ck_assert_msg(rc == EXIT_OK, "rc %d: %s", rc, err_message());
	ck_assert_ptr_null(strstr(captured, CODE));
	char *dir = path_join(out, "node-a");
	char *ud = path_join(dir, "user-data"), *md = path_join(dir, "meta-data"),
	     *nc = path_join(dir, "network-config");
	ck_assert_uint_eq(mode_of(dir), 0700);
	ck_assert_uint_eq(mode_of(ud), 0600);
	ck_assert_uint_eq(mode_of(md), 0644);
	ck_assert_uint_eq(mode_of(nc), 0644);
	char *text = NULL;
	size_t len;
	ck_assert_int_eq(read_file(ud, &text, &len), 0);
	/* The trailing newline of the code file is not part of the code. */
	ck_assert_ptr_nonnull(strstr(text, "activationCode: " CODE "\n"));
	struct ud_yaml y;
	ck_assert_int_eq(ud_yaml_load(&y, text), 0);
	ck_assert_str_eq(ud_yaml_str(&y, "users.0.name"), "ops");
	ud_yaml_free(&y);
	free(text);
	ck_assert_int_eq(read_file(md, &text, &len), 0);
	ck_assert_ptr_nonnull(strstr(text, "instance-id: node-a\nlocal-hostname: node-a\n"));
	free(text);
	free(ud);
	free(md);
	free(nc);
	free(dir);
	free(out);
	free(code);
}
END_TEST

START_TEST(guestinfo_file_round_trips_to_files_output)
{
	char *code = write_code_file(CODE);
	char *g = wpath("g"), *f = wpath("f");
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--ssm-activation-code-file", code, "--node-name", "n1", "--format", "guestinfo",
			     "--output-dir", g, "--os", "rhel9", "--proxy", "http://proxy:3128", NULL),
			 EXIT_OK);
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--ssm-activation-code-file", code, "--node-name", "n1", "--output-dir", f,
			     "--os", "rhel", "--proxy", "http://proxy:3128", NULL),
			 EXIT_OK);
	char *gi = path_join(g, "n1.guestinfo"), *text = NULL, *plain_path = path_join(f, "n1/user-data"),
	     *plain = NULL;
	ck_assert_uint_eq(mode_of(gi), 0600);
	size_t len;
	ck_assert_int_eq(read_file(gi, &text, &len), 0);
	ck_assert_int_eq(read_file(plain_path, &plain, &len), 0);
	ck_assert_ptr_nonnull(strstr(text, "guestinfo.userdata.encoding=gzip+base64\n"));
	ck_assert_ptr_nonnull(strstr(text, "guestinfo.metadata.encoding=gzip+base64\n"));
	char *v = strstr(text, "guestinfo.userdata=");
	ck_assert_ptr_nonnull(v);
	v += strlen("guestinfo.userdata=");
	*strchr(v, '\n') = '\0';
	char *dec = NULL;
	ck_assert_int_eq(guestinfo_decode(v, GUESTINFO_GZIP_BASE64, &dec, NULL), 0);
	ck_assert_str_eq(dec, plain);
	ck_assert_ptr_nonnull(strstr(dec, "/etc/yum.conf"));
	free(dec);
	free(text);
	free(plain);
	free(plain_path);
	free(gi);
	free(g);
	free(f);
	free(code);
}
END_TEST

START_TEST(json_mode)
{
	setenv("SSM_ACTIVATION_CODE", CODE, 1);
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--node-name", "n1", "--node-name", "n2", "--format", "json", NULL),
			 EXIT_OK);
	char *path = ud_tmpfile(captured, ".json"), *cmd = NULL;
	ck_assert(asprintf(&cmd,
			   "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
			   "assert [n[\"name\"] for n in d[\"nodes\"]] == [\"n1\", \"n2\"]; "
			   "assert d[\"nodes\"][1][\"guestinfo\"][\"guestinfo.userdata.encoding\"] == "
			   "\"gzip+base64\"' %s",
			   path) > 0);
	ck_assert_int_eq(ud_run(cmd), 0);
	unlink(path);
	free(path);
	free(cmd);

	/* With --output-dir the document goes to a 0600 file, not stdout. */
	char *out = wpath("j");
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--node-name", "n1", "--format", "json", "--output-dir", out, NULL),
			 EXIT_OK);
	char *json = path_join(out, "userdata.json");
	ck_assert_uint_eq(mode_of(json), 0600);
	ck_assert_ptr_null(strstr(captured, "H4sI"));
	free(json);
	free(out);
}
END_TEST

START_TEST(argv_code_warns_and_is_redacted)
{
	char *logp = wpath("log.txt");
	ck_assert_int_eq(log_open_file(logp), 0);
	char *out = wpath("o");
	int rc = run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
		     "--ssm-activation-code", CODE, "--node-name", "n1", "--output-dir", out, NULL);
	log_close_file();
	ck_assert_int_eq(rc, EXIT_OK);
	char *text = NULL;
	size_t len;
	ck_assert_int_eq(read_file(logp, &text, &len), 0);
	ck_assert_ptr_nonnull(strstr(text, "visible to other users"));
	ck_assert_ptr_null(strstr(text, CODE));
	free(text);
	/* Both a file and the argv form: refused. */
	char *code = write_code_file(CODE);
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--ssm-activation-code", CODE, "--ssm-activation-code-file", code, "--node-name",
			     "n1", "--output-dir", out, NULL),
			 EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "give the activation code once"));
	ck_assert_ptr_null(strstr(err_message(), CODE));
	free(code);
	free(out);
	free(logp);
}
END_TEST

START_TEST(bottlerocket_via_command)
{
	setenv("SSM_ACTIVATION_CODE", CODE, 1);
	char *out = wpath("br");
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--node-name", "n1", "--bottlerocket", "--kubelet-flag", "--max-pods=5",
			     "--output-dir", out, NULL),
			 EXIT_USAGE);
	const char *msg = err_message();
	ck_assert_ptr_nonnull(strstr(
	    msg, "--api-server-endpoint (spec.cluster.apiServerEndpoint): is required for Bottlerocket"));
	ck_assert_ptr_nonnull(strstr(msg, "--certificate-authority (spec.cluster.certificateAuthority)"));
	ck_assert_ptr_nonnull(
	    strstr(msg, "--kubelet-flag (spec.kubelet.flags): Bottlerocket takes no kubelet flags"));

	char *ca = wpath("ca.pem");
	const char *pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	ck_assert_int_eq(write_file_atomic(ca, pem, strlen(pem), 0644), 0);
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--node-name", "n1", "--bottlerocket", "--api-server-endpoint",
			     "https://x.eks.amazonaws.com", "--certificate-authority", ca, "--format",
			     "guestinfo", "--output-dir", out, NULL),
			 EXIT_OK);
	char *gi = path_join(out, "n1.guestinfo"), *text = NULL;
	size_t len;
	ck_assert_uint_eq(mode_of(gi), 0600);
	ck_assert_int_eq(read_file(gi, &text, &len), 0);
	/* Bottlerocket: user-data only, base64 as the EKS guide shows. */
	ck_assert_ptr_null(strstr(text, "guestinfo.metadata"));
	ck_assert_ptr_nonnull(strstr(text, "guestinfo.userdata.encoding=base64\n"));
	char *v = strstr(text, "guestinfo.userdata=") + strlen("guestinfo.userdata="), *dec = NULL;
	*strchr(v, '\n') = '\0';
	ck_assert_int_eq(guestinfo_decode(v, GUESTINFO_BASE64, &dec, NULL), 0);
	ck_assert_ptr_nonnull(strstr(dec, "cluster-name = \"c1\"\n"));
	free(dec);
	free(text);
	free(gi);
	free(ca);
	free(out);
}
END_TEST

/* Issue 20.10: an alias in a node list is refused, not expanded. */
START_TEST(node_list_alias_refused)
{
	setenv("SSM_ACTIVATION_CODE", CODE, 1);
	char *nodes = wpath("alias.yaml"), *out = wpath("a");
	const char *y = "- &n {name: n1}\n- *n\n";
	ck_assert_int_eq(write_file_atomic(nodes, y, strlen(y), 0644), 0);
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--nodes", nodes, "--output-dir", out, NULL),
			 EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "alias.yaml:1:3: this value is used again through a YAML alias"));
	ck_assert_int_eq(access(out, F_OK), -1);
	/* Issue 20.12: a NUL in a CSV list is refused, not the end of the list. */
	char *csv = wpath("nul.csv");
	const char c[] = "name,address\nn1,10.0.0.5/24\n\0n2,10.0.0.6/24\n";
	ck_assert_int_eq(write_file_atomic(csv, c, sizeof(c) - 1, 0644), 0);
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--nodes", csv, "--output-dir", out, NULL),
			 EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "nul.csv: holds a NUL byte: not a text file"));
	free(csv);
	free(nodes);
	free(out);
}
END_TEST

/* Issue 20.12: a node list's key given twice, a YAML null value, an unknown
 * root key and 'nodes' twice are problems, not "last wins" or ignored. */
START_TEST(node_list_duplicates_and_nulls_refused)
{
	setenv("SSM_ACTIVATION_CODE", CODE, 1);
	char *nodes = wpath("dup.yaml"), *out = wpath("d");
	const struct {
		const char *yaml, *want;
	} cases[] = {
	    {"- name: n1\n  address: 10.0.0.5/24\n  name: n2\n", "dup.yaml:3:3: 'name' is given twice for this node (first at line 1)"},
	    {"- name: n1\n  dns: [10.0.0.2]\n  dns: 10.0.0.3\n", "dup.yaml:3:3: 'dns' is given twice for this node (first at line 2)"},
	    {"- name: n1\n  address: ~\n", "dup.yaml:2:12: 'address' is null: give a value, or leave the key out"},
	    {"- name: n1\n  gateway:\n", "'gateway' is null"},
	    {"nodes:\n  - name: n1\nextra: 1\n", "dup.yaml:3:1: unknown key 'extra' (a node list holds only 'nodes')"},
	    {"nodes:\n  - name: n1\nnodes:\n  - name: n2\n", "dup.yaml:3:1: 'nodes' is given twice"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(write_file_atomic(nodes, cases[i].yaml, strlen(cases[i].yaml), 0644), 0);
		ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
				     "--nodes", nodes, "--output-dir", out, NULL),
				 EXIT_USAGE);
		ck_assert_msg(strstr(err_message(), cases[i].want), "case %zu: want '%s' in:\n%s", i,
			      cases[i].want, err_message());
		ck_assert_int_eq(access(out, F_OK), -1);
	}
	free(nodes);
	free(out);
}
END_TEST

/* Issue 20.12: an output that exists is not silently replaced: the run
 * stops, names every such file and writes nothing; --force replaces. */
START_TEST(existing_outputs_need_force)
{
	setenv("SSM_ACTIVATION_CODE", CODE, 1);
	char *out = wpath("o");
	char *ud1 = path_join(out, "n1/user-data"), *ud2 = path_join(out, "n2/user-data"),
	     *gi1 = path_join(out, "n1.guestinfo"), *gi2 = path_join(out, "n2.guestinfo");
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--node-name", "n2", "--output-dir", out, NULL),
			 EXIT_OK);
	const char *mine = "hand edited\n";
	ck_assert_int_eq(write_file_atomic(ud2, mine, strlen(mine), 0600), 0);
	/* n1 is new, n2 is there: nothing is written, not even n1 */
	ck_assert_int_eq(run("--cluster", "c2", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--node-name", "n1", "--node-name", "n2", "--output-dir", out, NULL),
			 EXIT_USAGE);
	const char *msg = err_message();
	ck_assert_msg(strstr(msg, "/n2/user-data: exists: remove it, or give --force to replace it"), "%s", msg);
	ck_assert_msg(strstr(msg, "/n2/meta-data: exists"), "%s", msg);
	ck_assert_ptr_null(strstr(msg, "/n1/"));
	ck_assert_int_eq(access(ud1, F_OK), -1);
	char *text = NULL;
	size_t len;
	ck_assert_int_eq(read_file(ud2, &text, &len), 0);
	ck_assert_str_eq(text, mine);
	free(text);
	/* --force replaces */
	ck_assert_int_eq(run("--cluster", "c2", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--node-name", "n1", "--node-name", "n2", "--output-dir", out, "--force", NULL),
			 EXIT_OK);
	ck_assert_int_eq(read_file(ud2, &text, &len), 0);
	ck_assert_ptr_nonnull(strstr(text, "name: c2\n"));
	free(text);
	ck_assert_uint_eq(mode_of(ud1), 0600);
	/* the other forms look too: guestinfo files, govc.sh, userdata.json */
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--node-name", "n1", "--format", "guestinfo", "--output-dir", out, NULL),
			 EXIT_OK);
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--node-name", "n1", "--node-name", "n2", "--format", "guestinfo", "--output-dir",
			     out, NULL),
			 EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "/n1.guestinfo: exists"));
	ck_assert_int_eq(access(gi2, F_OK), -1);
	const char *forms[] = {"govc", "json"};
	for (size_t i = 0; i < 2; i++) {
		ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
				     "--node-name", "n1", "--format", forms[i], "--output-dir", out, "--force",
				     NULL),
				 EXIT_OK);
		ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
				     "--node-name", "n1", "--format", forms[i], "--output-dir", out, NULL),
				 EXIT_USAGE);
		ck_assert_ptr_nonnull(strstr(err_message(), i ? "/userdata.json: exists" : "/govc.sh: exists"));
	}
	free(ud1);
	free(ud2);
	free(gi1);
	free(gi2);
	free(out);
}
END_TEST

START_TEST(rhel_network_needs_exact_interface)
{
	setenv("SSM_ACTIVATION_CODE", CODE, 1);
	char *nodes = wpath("nodes.yaml"), *out = wpath("r");
	const char *y = "- name: n1\n  address: 10.0.0.5/24\n  interface: ens*\n";
	ck_assert_int_eq(write_file_atomic(nodes, y, strlen(y), 0644), 0);
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--nodes", nodes, "--os", "rhel", "--output-dir", out, NULL),
			 EXIT_USAGE);
	ck_assert_ptr_nonnull(
	    strstr(err_message(), ":1:3: interface 'ens*': RHEL's network configuration needs an exact"));
	/* Ubuntu takes the glob; a RHEL DHCP node gets no network-config (fallback). */
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--nodes", nodes, "--node-name", "n2", "--os", "ubuntu24", "--output-dir", out,
			     NULL),
			 EXIT_OK);
	char *f = path_join(out, "n1/network-config");
	ck_assert_uint_eq(mode_of(f), 0644);
	free(f);
	ck_assert_int_eq(run("--cluster", "c1", "--region", "us-east-1", "--ssm-activation-id", ACT_ID,
			     "--node-name", "n3", "--os", "rhel9", "--output-dir", out, NULL),
			 EXIT_OK);
	f = path_join(out, "n3/network-config");
	ck_assert_int_eq(access(f, F_OK), -1);
	free(f);
	free(nodes);
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cmd_userdata");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, every_problem_at_once_and_nothing_written);
	tcase_add_test(tc, missing_required_flags);
	tcase_add_test(tc, help_tells_the_truth);
	tcase_add_test(tc, govc_mode_keeps_secrets_off_stdout);
	tcase_add_test(tc, files_mode_is_a_nocloud_seed);
	tcase_add_test(tc, guestinfo_file_round_trips_to_files_output);
	tcase_add_test(tc, node_list_alias_refused);
	tcase_add_test(tc, node_list_duplicates_and_nulls_refused);
	tcase_add_test(tc, existing_outputs_need_force);
	tcase_add_test(tc, json_mode);
	tcase_add_test(tc, argv_code_warns_and_is_redacted);
	tcase_add_test(tc, bottlerocket_via_command);
	tcase_add_test(tc, rhel_network_needs_exact_interface);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
