/* test_spec.c — flag/env/file precedence, every kind of bad input, Packer
 * names, and that secrets never show in errors or in validate output. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fetch.h"
#include "log.h"
#include "nodeadm.h"
#include "spec.h"
#include "strbuf.h"
#include "util.h"
#include "unit_run.h"

static char *tmp_yaml(const char *text)
{
	char path[] = "/tmp/hnbuild-test-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return xstrdup(path);
}

/* Resolve with argv given as a NULL-terminated list and env likewise. */
static int resolve(struct build_plan *plan, const char *const *args, const char *const *env)
{
	char *argv[64] = {"build"};
	int argc = 1;
	for (int i = 0; args && args[i]; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	struct spec_sources src = {argc, argv, (char **)env, "build"};
	err_clear();
	return spec_resolve(&src, plan);
}

static const char *rhel_env[] = {"RH_USERNAME=user", "RH_PASSWORD=Pw-Canary-7781", NULL};

START_TEST(defaults_are_sane)
{
	struct build_plan plan;
	ck_assert_int_eq(resolve(&plan, NULL, NULL), 0);
	ck_assert_uint_eq(plan.n_specs, 1);
	struct build_spec *s = &plan.specs[0];
	ck_assert_int_eq(s->os, OS_UBUNTU24);
	ck_assert_int_eq(s->arch, ARCH_AMD64);
	ck_assert_uint_eq(s->formats, FORMAT_QCOW2);
	ck_assert_str_eq(s->k8s_version, "1.31");
	ck_assert_int_eq(s->firmware, FIRMWARE_UEFI);
	ck_assert_ptr_nonnull(s->iso);
	ck_assert_int_eq(s->iso_checksum.algo, CHECKSUM_SHA256);
	ck_assert_str_eq(containerd_source_name(s), "distro");
	ck_assert_uint_eq(s->disk_size, 20ull << 30);
	build_plan_free(&plan);
}
END_TEST

START_TEST(flag_beats_env_beats_file)
{
	char *file = tmp_yaml("k8s-version: \"1.29\"\nregion: eu-west-1\nname: from-file\ncpus: 3\n");
	const char *args[] = {"--config", file, "--k8s-version", "1.30", NULL};
	const char *env[] = {"K8S_VERSION=1.28", "AWS_REGION=ap-south-1", NULL};
	struct build_plan plan;
	ck_assert_int_eq(resolve(&plan, args, env), 0);
	struct build_spec *s = &plan.specs[0];
	ck_assert_str_eq(s->k8s_version, "1.30");   /* flag */
	ck_assert_str_eq(s->region, "ap-south-1"); /* env over file */
	ck_assert_str_eq(s->name, "from-file");    /* file over default */
	ck_assert_uint_eq(s->cpus, 3);
	build_plan_free(&plan);
	unlink(file);
	free(file);
}
END_TEST

START_TEST(packer_environment_is_honoured)
{
	const char *env[] = {"CREDENTIAL_PROVIDER=iam", "NODEADM_ARCH=arm", "PACKER_OUTPUT_FORMAT=raw",
			     "ISO_URL=/isos/u.iso", "ISO_CHECKSUM=sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			     "K8S_VERSION=1.30", "AWS_PROFILE=", "VSPHERE_SERVER=", NULL};
	struct build_plan plan;
	ck_assert_int_eq(resolve(&plan, NULL, env), 0);
	struct build_spec *s = &plan.specs[0];
	ck_assert_int_eq(s->credential_provider, CRED_IAM_RA);
	ck_assert_int_eq(s->arch, ARCH_ARM64);
	ck_assert_uint_eq(s->formats, FORMAT_RAW);
	ck_assert_str_eq(s->iso, "/isos/u.iso");
	ck_assert_str_eq(s->k8s_version, "1.30");
	build_plan_free(&plan);
}
END_TEST

START_TEST(hnbuild_env_names)
{
	const char *env[] = {"HNBUILD_OS=rhel8", "HNBUILD_ISO=/x.iso", "HNBUILD_DISK_SIZE=30G", "RH_USERNAME=u",
			     "RH_PASSWORD=pass-word", NULL};
	struct build_plan plan;
	ck_assert_int_eq(resolve(&plan, NULL, env), 0);
	ck_assert_int_eq(plan.specs[0].os, OS_RHEL8);
	ck_assert_uint_eq(plan.specs[0].disk_size, 30ull << 30);
	ck_assert_str_eq(containerd_source_name(&plan.specs[0]), "docker");
	build_plan_free(&plan);
}
END_TEST

START_TEST(arch_and_format_aliases)
{
	const char *args[] = {"--arch", "aarch64", "--format", "qcow2,ova", "--format", "raw", NULL};
	struct build_plan plan;
	ck_assert_int_eq(resolve(&plan, args, (const char *[]){"ISO_URL=/a.iso", NULL}), 0);
	ck_assert_int_eq(plan.specs[0].arch, ARCH_ARM64);
	ck_assert_uint_eq(plan.specs[0].formats, FORMAT_QCOW2 | FORMAT_OVA | FORMAT_RAW);
	build_plan_free(&plan);
	const char *args2[] = {"--arch", "x86_64", "--format", "all", NULL};
	ck_assert_int_eq(resolve(&plan, args2, NULL), 0);
	ck_assert_int_eq(plan.specs[0].arch, ARCH_AMD64);
	ck_assert_uint_eq(plan.specs[0].formats, FORMAT_ALL);
	build_plan_free(&plan);
}
END_TEST

START_TEST(checksum_forms)
{
	struct checksum c;
	ck_assert_int_eq(checksum_parse("sha512:" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "x", &c), 0);
	ck_assert_int_eq(c.algo, CHECKSUM_SHA512);
	checksum_free(&c);
	ck_assert_int_eq(checksum_parse("ABCDEF0123456789ABCDEF0123456789ABCDEF01", "x", &c), 0);
	ck_assert_int_eq(c.algo, CHECKSUM_SHA1);
	ck_assert_str_eq(c.hex, "abcdef0123456789abcdef0123456789abcdef01");
	checksum_free(&c);
	ck_assert_int_eq(checksum_parse("md5:0123456789abcdef0123456789abcdef", "x", &c), 0);
	ck_assert_int_eq(c.algo, CHECKSUM_MD5);
	checksum_free(&c);
	ck_assert_int_eq(checksum_parse("file:https://example.com/SHA256SUMS", "x", &c), 0);
	ck_assert_int_eq(c.algo, CHECKSUM_FILE);
	ck_assert_str_eq(c.file_ref, "https://example.com/SHA256SUMS");
	checksum_free(&c);
	ck_assert_int_lt(checksum_parse("sha3:abcd", "--iso-checksum", &c), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "unknown checksum algorithm 'sha3'"));
	ck_assert_int_lt(checksum_parse("abcd", "--iso-checksum", &c), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "4 hex digits match no algorithm"));
	ck_assert_int_lt(checksum_parse("sha256:zz", "--iso-checksum", &c), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "not a hex digit"));
	err_clear();
}
END_TEST

/* Every bad input gets one line naming the input, all reported in one run, exit 2. */
START_TEST(all_problems_in_one_run)
{
	const char *args[] = {"--os", "debian12", "--arch", "sparc", "--format", "vhd", "--iso-checksum", "sha256:12",
			      "--disk-size", "lots", "--memory", "12X", "--cpus", "zero", "--timeout", "soon",
			      "--accel", "hvf", "--on-error", "panic", "--credential-provider", "oidc", "-v", "-q",
			      "--log-format", "xml", NULL};
	struct build_plan plan;
	ck_assert_int_lt(resolve(&plan, args, NULL), 0);
	ck_assert_int_eq(err_exit_code(), EXIT_USAGE);
	const char *m = err_message();
	const char *expect[] = {"--os: unknown os 'debian12'", "--arch: unknown arch 'sparc'",
				"--format: unknown format 'vhd'", "--iso-checksum: malformed checksum",
				"--disk-size: 'lots' is not a size", "--memory: '12X' is not a size",
				"--cpus: 'zero' is not a CPU count", "--timeout: 'soon' is not a duration",
				"--accel: unknown accelerator 'hvf'", "--on-error: unknown choice 'panic'",
				"--credential-provider: unknown credential provider 'oidc'",
				"-v and -q: conflicting flags", "--log-format: unknown format 'xml'"};
	for (unsigned i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		ck_assert_msg(strstr(m, expect[i]), "missing '%s' in:\n%s", expect[i], m);
	err_clear();
}
END_TEST

START_TEST(env_errors_name_the_variable)
{
	const char *env[] = {"CREDENTIAL_PROVIDER=kerberos", "PACKER_OUTPUT_FORMAT=vmdk", "K8S_VERSION=latest", NULL};
	struct build_plan plan;
	ck_assert_int_lt(resolve(&plan, NULL, env), 0);
	const char *m = err_message();
	ck_assert_ptr_nonnull(strstr(m, "environment CREDENTIAL_PROVIDER: unknown credential provider 'kerberos'"));
	ck_assert_ptr_nonnull(strstr(m, "environment PACKER_OUTPUT_FORMAT: unknown format 'vmdk'"));
	ck_assert_ptr_nonnull(strstr(m, "environment K8S_VERSION: 'latest' is not a Kubernetes version"));
	err_clear();
}
END_TEST

/* A version list is one build per version, in order, each a full copy. */
START_TEST(k8s_version_matrix)
{
	char *file = tmp_yaml("targets:\n  - os: ubuntu22\n    k8s-version: [\"1.29\", \"1.30\"]\n  - os: ubuntu24\n");
	const char *args[] = {"--config", file, "--late-command", "echo x", NULL};
	struct build_plan plan;
	ck_assert_int_eq(resolve(&plan, args, NULL), 0);
	ck_assert_uint_eq(plan.n_specs, 3);
	ck_assert_int_eq(plan.specs[0].os, OS_UBUNTU22);
	ck_assert_str_eq(plan.specs[0].k8s_version, "1.29");
	ck_assert_str_eq(plan.specs[1].k8s_version, "1.30");
	ck_assert_int_eq(plan.specs[1].os, OS_UBUNTU22);
	ck_assert_str_eq(plan.specs[1].late_commands[0], "echo x");
	ck_assert_ptr_ne(plan.specs[1].late_commands, plan.specs[0].late_commands);
	ck_assert_ptr_ne(plan.specs[1].name, plan.specs[0].name);
	ck_assert_int_eq(plan.specs[2].os, OS_UBUNTU24);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_ptr_null(plan.specs[i].k8s_versions);
	build_plan_free(&plan);
	unlink(file);
	free(file);

	const char *flags[] = {"--k8s-version", "1.30, v1.31", "--k8s-version", "1.32", NULL};
	ck_assert_int_eq(resolve(&plan, flags, NULL), 0);
	ck_assert_uint_eq(plan.n_specs, 3);
	ck_assert_str_eq(plan.specs[0].k8s_version, "1.30");
	ck_assert_str_eq(plan.specs[1].k8s_version, "1.31");
	ck_assert_str_eq(plan.specs[2].k8s_version, "1.32");
	build_plan_free(&plan);
	const char *twice[] = {"--k8s-version", "1.30,1.30", NULL};
	ck_assert_int_lt(resolve(&plan, twice, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "1.30 is listed twice"));
	const char *resume[] = {"--resume", "--no-cache", NULL};
	ck_assert_int_lt(resolve(&plan, resume, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "drop --no-cache"));
}
END_TEST

START_TEST(k8s_versions_not_frozen)
{
	const char *ok[] = {"1.26", "1.33", "1.40", "1.31.2", "v1.32"};
	for (unsigned i = 0; i < 5; i++) {
		struct build_plan plan;
		const char *args[] = {"--k8s-version", ok[i], NULL};
		ck_assert_msg(resolve(&plan, args, NULL) == 0, "%s rejected", ok[i]);
		build_plan_free(&plan);
	}
	const char *bad[] = {"2.1", "1.", "1.x", "1.31.2.1", ""};
	for (unsigned i = 0; i < 5; i++) {
		struct build_plan plan;
		const char *args[] = {"--k8s-version", bad[i], NULL};
		ck_assert_msg(resolve(&plan, args, NULL) < 0, "'%s' accepted", bad[i]);
	}
	err_clear();
}
END_TEST

START_TEST(rhel_requirements)
{
	struct build_plan plan;
	const char *args[] = {"--os", "rhel9", NULL};
	ck_assert_int_lt(resolve(&plan, args, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "rhel9 amd64 has no public ISO download: give --iso"));
	ck_assert_ptr_nonnull(strstr(err_message(), "needs a Red Hat subscription"));
	const char *args2[] = {"--os", "rhel9", "--iso", "/isos/rhel.iso", NULL};
	ck_assert_int_eq(resolve(&plan, args2, rhel_env), 0);
	build_plan_free(&plan);
	/* RHEL_VERSION must agree with the os. */
	const char *env[] = {"RHEL_VERSION=8", "RH_USERNAME=u", "RH_PASSWORD=pass-word", NULL};
	ck_assert_int_lt(resolve(&plan, args2, env), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "environment RHEL_VERSION: RHEL_VERSION 8 conflicts with --os rhel9"));
	err_clear();
}
END_TEST

/* Issue 20: values that would inject into the image or overrun a buffer
 * are refused by validate, each on its own line naming the input. */
START_TEST(hostile_values)
{
	struct build_plan plan;
	const char *proxies[] = {"http://p:3128\"\nExecStartPre=/bin/touch /tmp/pwn\n#",
				 "http://p\"; APT::Update::Pre-Invoke {\"touch /tmp/pwn\"}; //",
				 "http://p\nsslverify=0", "http://p:3128/x", "http://p:99999", "http://%ZZ@p",
				 "http://p q", "http://", "http://p#x"};
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++) {
		const char *args[] = {"--os", "ubuntu24", "--proxy", proxies[i], NULL};
		ck_assert_int_lt(resolve(&plan, args, NULL), 0);
		ck_assert_int_eq(err_exit_code(), EXIT_USAGE);
		ck_assert_msg(str_startswith(err_message(), "--proxy: not a proxy URL"), "%zu: %s", i,
			      err_message());
		ck_assert_msg(!strchr(err_message(), '\n'), "%zu: the value was echoed: %s", i, err_message());
	}
	const char *good[] = {"http://proxy:3128", "https://u:p%40ss@proxy.example.com:8443/", "http://[fd00::1]:3128"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *args[] = {"--os", "ubuntu24", "--proxy", good[i], "--no-proxy", "localhost,10.0.0.0/8,.svc", NULL};
		ck_assert_msg(resolve(&plan, args, NULL) == 0, "%s: %s", good[i], err_message());
		build_plan_free(&plan);
	}
	const char *np[] = {"--os", "ubuntu24", "--proxy", "http://p:3128", "--no-proxy", "localhost\"\nX=1", NULL};
	ck_assert_int_lt(resolve(&plan, np, NULL), 0);
	ck_assert_str_eq(err_message(), "--no-proxy: not a NO_PROXY list: comma-separated hosts, domains, IPs or CIDRs");

	/* A kickstart section opened by a later line of a late command. */
	const char *ks[] = {"--os", "rhel9", "--iso", "/r.iso", "--late-command", "true",
			    "--late-command", "true\n%end\n%pre\ntouch /tmp/pwn-pre\n%end\n%post\ntrue", NULL};
	ck_assert_int_lt(resolve(&plan, ks, rhel_env), 0);
	ck_assert_str_eq(err_message(),
			 "--late-command: value 2, line 2, starts a kickstart section with '%' (%end, %pre, ...)");
	/* ... which means nothing special to Ubuntu's late-commands list */
	const char *ub[] = {"--os", "ubuntu24", "--late-command", "true\n%end", NULL};
	ck_assert_int_eq(resolve(&plan, ub, NULL), 0);
	build_plan_free(&plan);

	/* Issue 20.13: a value cannot forge an error line or reach the terminal raw. */
	const char *forge[] = {"--os", "x\nhnbuild: error: forged\x1b[31m", NULL};
	ck_assert_int_lt(resolve(&plan, forge, NULL), 0);
	ck_assert_ptr_null(strchr(err_message(), '\n'));
	ck_assert_ptr_null(strchr(err_message(), '\x1b'));
	ck_assert_ptr_nonnull(strstr(err_message(), "'x\\x0ahnbuild: error: forged\\x1b[31m'"));
	/* Issue 20.11: validate's listing quotes the checksum reference like every value. */
	const char *ckf[] = {"--os", "ubuntu24", "--iso", "/u.iso", "--iso-checksum", "file:/x\"\nrh-password: \"leak", NULL};
	ck_assert_int_eq(resolve(&plan, ckf, NULL), 0);
	char *desc = spec_describe(&plan.specs[0]);
	ck_assert_ptr_nonnull(strstr(desc, "  iso-checksum: \"file:/x\\\"\\x0arh-password: \\\"leak\"\n"));
	ck_assert_ptr_null(strstr(desc, "\nrh-password"));
	free(desc);
	build_plan_free(&plan);

	/* Issue 20.10 and 20.12: aliases (a few KB expanding into millions of
	 * values), a second document, endless input, and endless problems. */
	char *al = tmp_yaml("os: ubuntu24\nlate-command: &a [x, y]\nprovision-script: *a\n");
	const char *ala[] = {"--config", al, NULL};
	ck_assert_int_lt(resolve(&plan, ala, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), ":2:15: this value is used again through a YAML alias"));
	unlink(al);
	free(al);
	char *two = tmp_yaml("os: ubuntu24\n---\nos: rhel9\n");
	const char *twoa[] = {"--config", two, NULL};
	ck_assert_int_lt(resolve(&plan, twoa, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), ":3:1: a second YAML document: the file must hold one"));
	unlink(two);
	free(two);
	const char *zero[] = {"--os", "rhel9", "--iso", "/r.iso", "--rh-password-file", "/dev/zero", NULL};
	const char *user_only[] = {"RH_USERNAME=user", NULL};
	alarm(10);
	ck_assert_int_lt(resolve(&plan, zero, user_only), 0);
	alarm(0);
	ck_assert_ptr_nonnull(strstr(err_message(), "--rh-password-file: cannot read /dev/zero: File too large"));
	struct strbuf many = STRBUF_INIT;
	sb_init(&many);
	sb_adds(&many, "os: ubuntu24\n");
	for (int i = 0; i < 500; i++)
		sb_addf(&many, "bogus%d: 1\n", i);
	char *mf = tmp_yaml(many.buf);
	sb_release(&many);
	const char *mfa[] = {"--config", mf, NULL};
	ck_assert_int_lt(resolve(&plan, mfa, NULL), 0);
	size_t lines = 1;
	for (const char *c = err_message(); *c; c++)
		lines += *c == '\n';
	ck_assert_uint_eq(lines, LOG_PROBLEMS_MAX + 1);
	ck_assert_ptr_nonnull(strstr(err_message(), "\n... and 450 more problems (the first 50 are shown)"));
	unlink(mf);
	free(mf);

	/* Issue 20.12: a key given twice, a null, nested targets: refused, not
	 * "the last wins", "the text null" or ignored. */
	char *dy = tmp_yaml("os: ubuntu24\nos: rhel9\nregion: ~\niso:\ntargets:\n  - os: ubuntu22\n    targets: [x]\n");
	const char *dya[] = {"--config", dy, NULL};
	ck_assert_int_lt(resolve(&plan, dya, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), ":2:1: 'os' is given twice in this mapping (first at line 1)"));
	ck_assert_ptr_nonnull(strstr(err_message(), ":3:9: 'region' is null: give a value, or leave the key out"));
	ck_assert_ptr_nonnull(strstr(err_message(), "'iso' is null"));
	ck_assert_ptr_nonnull(strstr(err_message(), ":7:5: 'targets' inside a target: targets do not nest"));
	unlink(dy);
	free(dy);

	/* Issue 20.13: right messages for what used to pass, or fail oddly. */
	const struct {
		const char *flag, *value, *message;
	} wrong[] = {
	    {"--late-command", "\xff\xfe", "--late-command: not valid UTF-8"},
	    {"--iso-checksum", "file:ftp://x", "--iso-checksum: 'file:ftp://x': a checksum file is a path or an https URL"},
	    {"--timeout", "5124095576030432h", "--timeout: '5124095576030432h' is not a duration (e.g. 90m, 2h, 600s)"},
	    {"--iso", "", "--iso: an empty path names no file or directory"},
	    {"--output-dir", "/etc/hostname", "--output-dir: /etc/hostname exists and is not a directory"},
	    {"--provision-script", "/nonexistent/x.sh", "--provision-script: cannot read /nonexistent/x.sh: No such file or directory"},
	    {"--autoinstall", "/nonexistent/ai.yaml", "--autoinstall: cannot read /nonexistent/ai.yaml: No such file or directory"},
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		const char *wa[] = {"--os", "ubuntu24", "--iso", "/u.iso", wrong[i].flag, wrong[i].value, NULL};
		ck_assert_int_lt(resolve(&plan, wa, NULL), 0);
		ck_assert_msg(strstr(err_message(), wrong[i].message), "%s: got %s", wrong[i].flag, err_message());
	}
	const char *pub[] = {"--os", "ubuntu24", "--publish=maybe", NULL};
	ck_assert_int_lt(resolve(&plan, pub, NULL), 0);
	ck_assert_str_eq(err_message(), "--publish: takes no value (it is a flag; in the build file: true or false)");
	const char *pw[] = {"--os", "ubuntu24", "--vsphere-password", "hunter22", NULL};
	ck_assert_int_lt(resolve(&plan, pw, NULL), 0);
	ck_assert_ptr_null(strstr(err_message(), "hunter22"));

	/* A FIFO (or a directory) as the ISO: refused by stat, without opening it. */
	char fdir[] = "/tmp/hnbuild-test-fifo-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(fdir));
	char *fifo = path_join(fdir, "x.iso");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	const char *fa[] = {"--os", "ubuntu24", "--iso", fifo, NULL};
	alarm(10);
	ck_assert_int_lt(resolve(&plan, fa, NULL), 0);
	alarm(0);
	ck_assert_ptr_nonnull(strstr(err_message(), "is not an ISO file (not a regular file or block device)"));
	unlink(fifo);
	rmdir(fdir);
	free(fifo);

	/* An empty path, as a flag and in a build file. */
	const char *empty[] = {"--os", "ubuntu24", "--output-dir", "", NULL};
	ck_assert_int_lt(resolve(&plan, empty, NULL), 0);
	ck_assert_str_eq(err_message(), "--output-dir: an empty path names no file or directory");
	char *file = tmp_yaml("os: ubuntu24\noutput-dir: ''\n");
	const char *from_file[] = {"--config", file, NULL};
	ck_assert_int_lt(resolve(&plan, from_file, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "an empty path names no file or directory"));
	unlink(file);
	free(file);
	err_clear();
}
END_TEST

/* Issue 20.1 and 20.7: the host's proxy is not the image's, and no secret
 * variable stays in the environment the build's tools inherit. */
START_TEST(environment_kept_apart)
{
	struct build_plan plan;
	const char *args[] = {"--os", "ubuntu24", NULL};
	const char *ci[] = {"HTTPS_PROXY=http://ci-proxy:3128", "https_proxy=http://ci-proxy:3128",
			    "HTTP_PROXY=http://ci-proxy:3128", "NO_PROXY=ci.internal", NULL};
	ck_assert_int_eq(resolve(&plan, args, ci), 0);
	ck_assert_ptr_null(plan.specs[0].proxy);
	ck_assert_ptr_null(plan.specs[0].no_proxy);
	build_plan_free(&plan);

	const char *vars[] = {"RH_PASSWORD", "PKR_SSH_PASSWORD", "RH_ACTIVATION_KEY", "VSPHERE_PASSWORD",
			      "HNBUILD_RH_PASSWORD", "HNBUILD_PROXY"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		ck_assert_int_eq(setenv(vars[i], "Env-Canary-0042", 1), 0);
	setenv("https_proxy", "http://u:Proxy-Canary-9@proxy:3128", 1);
	setenv("http_proxy", "http://plain-proxy:3128", 1);
	setenv("HOME_CANARY_KEEP", "kept", 1);
	spec_scrub_environment();
	fetch_take_host_proxy();
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		ck_assert_msg(!getenv(vars[i]), "%s is still in the environment", vars[i]);
	ck_assert_ptr_null(getenv("https_proxy")); /* has a password: libcurl gets it directly */
	ck_assert_str_eq(getenv("http_proxy"), "http://plain-proxy:3128");
	ck_assert_str_eq(getenv("HOME_CANARY_KEEP"), "kept");
	unsetenv("http_proxy");
	unsetenv("HOME_CANARY_KEEP");
}
END_TEST

START_TEST(conflicting_flags)
{
	struct build_plan plan;
	const char *args[] = {"--os", "ubuntu22", "--kickstart", "ks.cfg", "--arch", "arm64", "--firmware", "bios",
			      "--private-mode", "--iso", "/u.iso", "--sign-key", "k.pem", NULL};
	ck_assert_int_lt(resolve(&plan, args, NULL), 0);
	const char *m = err_message();
	ck_assert_ptr_nonnull(strstr(m, "--kickstart: --kickstart is for RHEL"));
	ck_assert_ptr_nonnull(strstr(m, "--firmware: arm64 boots only with UEFI"));
	ck_assert_ptr_nonnull(strstr(m, "--private-mode: --private-mode needs --manifest-override"));
	ck_assert_ptr_nonnull(strstr(m, "--sign-key and --sign-cert go together"));
	const char *args2[] = {"--os", "rhel9", "--iso", "/r.iso", "--containerd-source", "distro", NULL};
	ck_assert_int_lt(resolve(&plan, args2, rhel_env), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "rejects containerd source 'distro' on RHEL"));
	err_clear();
}
END_TEST

START_TEST(yaml_unknown_key_and_syntax)
{
	char *file = tmp_yaml("os: ubuntu22\nfromat: qcow2\ntargets:\n  - arch: amd64\n    diks-size: 30G\n");
	const char *args[] = {"--config", file, NULL};
	struct build_plan plan;
	ck_assert_int_lt(resolve(&plan, args, NULL), 0);
	char want[512];
	snprintf(want, sizeof(want), "%s:2:1: unknown key 'fromat' (did you mean 'format'?)", file);
	ck_assert_msg(strstr(err_message(), want), "got: %s", err_message());
	snprintf(want, sizeof(want), "%s:5:5: unknown key 'diks-size' (did you mean 'disk-size'?)", file);
	ck_assert_msg(strstr(err_message(), want), "got: %s", err_message());
	unlink(file);
	free(file);

	file = tmp_yaml("os: ubuntu22\narch: [amd64\n");
	const char *args2[] = {"--config", file, NULL};
	ck_assert_int_lt(resolve(&plan, args2, NULL), 0);
	snprintf(want, sizeof(want), "%s:3:1: YAML syntax error", file);
	ck_assert_msg(strstr(err_message(), want), "got: %s", err_message());
	unlink(file);
	free(file);

	file = tmp_yaml("rh-password: hunter2-canary\n");
	const char *args3[] = {"--config", file, NULL};
	ck_assert_int_lt(resolve(&plan, args3, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "does not belong in a build file (it is a secret)"));
	ck_assert_ptr_null(strstr(err_message(), "hunter2-canary"));
	unlink(file);
	free(file);
	err_clear();
}
END_TEST

START_TEST(yaml_targets)
{
	char *file = tmp_yaml("k8s-version: \"1.30\"\n"
			      "formats: [qcow2, ova]\n"
			      "targets:\n"
			      "  - os: ubuntu22\n"
			      "  - os: ubuntu24\n"
			      "    arch: arm64\n"
			      "    iso: /isos/u24-arm.iso\n"
			      "  - os: rhel9\n"
			      "    iso: /isos/rhel9.iso\n"
			      "    format: raw\n");
	const char *args[] = {"--config", file, NULL};
	struct build_plan plan;
	ck_assert_int_eq(resolve(&plan, args, rhel_env), 0);
	ck_assert_uint_eq(plan.n_specs, 3);
	ck_assert_int_eq(plan.specs[0].os, OS_UBUNTU22);
	ck_assert_uint_eq(plan.specs[0].formats, FORMAT_QCOW2 | FORMAT_OVA);
	ck_assert_int_eq(plan.specs[1].arch, ARCH_ARM64);
	ck_assert_str_eq(plan.specs[1].k8s_version, "1.30");
	ck_assert_uint_eq(plan.specs[2].formats, FORMAT_RAW);
	build_plan_free(&plan);
	/* --only filters the file's targets. */
	const char *args2[] = {"--config", file, "--only", "general-build.qemu.rhel*", NULL};
	ck_assert_int_eq(resolve(&plan, args2, rhel_env), 0);
	ck_assert_uint_eq(plan.n_specs, 1);
	ck_assert_int_eq(plan.specs[0].os, OS_RHEL9);
	ck_assert_str_eq(plan.specs[0].packer_builder, "qemu");
	build_plan_free(&plan);
	unlink(file);
	free(file);
}
END_TEST

START_TEST(packer_names)
{
	struct build_plan plan;
	const char *args[] = {"--only", "general-build.qemu.ubuntu22", NULL};
	ck_assert_int_eq(resolve(&plan, args, NULL), 0);
	ck_assert_uint_eq(plan.n_specs, 1);
	ck_assert_int_eq(plan.specs[0].os, OS_UBUNTU22);
	ck_assert_str_eq(plan.specs[0].packer_builder, "qemu");
	build_plan_free(&plan);

	const char *args2[] = {"--only", "general-build.qemu.ubuntu*", NULL};
	ck_assert_int_eq(resolve(&plan, args2, NULL), 0);
	ck_assert_uint_eq(plan.n_specs, 3);
	build_plan_free(&plan);

	/* vsphere-iso means an OVA published to vSphere: needs VSPHERE_*. */
	const char *args3[] = {"--only", "general-build.vsphere-iso.rhel9", "--iso", "/r.iso", NULL};
	ck_assert_int_lt(resolve(&plan, args3, rhel_env), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "publishing to vSphere needs VSPHERE_SERVER"));
	const char *venv[] = {"RH_USERNAME=u", "RH_PASSWORD=pass-word", "VSPHERE_SERVER=vc.example", "VSPHERE_USER=admin",
			      "VSPHERE_PASSWORD=Vs-Canary-991", "VSPHERE_DATACENTER=dc", "VSPHERE_CLUSTER=c",
			      "VSPHERE_DATASTORE=ds", NULL};
	ck_assert_int_eq(resolve(&plan, args3, venv), 0);
	ck_assert(plan.specs[0].publish);
	ck_assert(plan.specs[0].formats & FORMAT_OVA);
	char *d = spec_describe(&plan.specs[0]);
	ck_assert_ptr_null(strstr(d, "Vs-Canary-991"));
	ck_assert_ptr_nonnull(strstr(d, "vsphere-password: \"********\""));
	free(d);
	build_plan_free(&plan);

	const char *args4[] = {"--only", "general-build.amazon-ebs.ubuntu22", NULL};
	ck_assert_int_lt(resolve(&plan, args4, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "does not build AMIs"));
	const char *args5[] = {"--only", "general-build.qemu.windows", NULL};
	ck_assert_int_lt(resolve(&plan, args5, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "--only general-build.qemu.windows: matches no build"));
	err_clear();
}
END_TEST

START_TEST(secrets_never_echoed)
{
	struct build_plan plan;
	const char *env[] = {"PKR_SSH_PASSWORD=Ssh-Canary-4412", "RH_USERNAME=u", "RH_PASSWORD=Rh-Canary-5521", NULL};
	const char *args[] = {"--os", "rhel9", "--iso", "/r.iso", NULL};
	ck_assert_int_eq(resolve(&plan, args, env), 0);
	ck_assert_str_eq(plan.specs[0].rh_password, "Rh-Canary-5521");
	char *d = spec_describe(&plan.specs[0]);
	ck_assert_ptr_null(strstr(d, "Rh-Canary-5521"));
	ck_assert_ptr_null(strstr(d, "Ssh-Canary-4412"));
	ck_assert_ptr_nonnull(strstr(d, "rh-password: \"********\""));
	free(d);
	build_plan_free(&plan);
	/* A secret on the command line is refused without echoing it. */
	const char *args2[] = {"--rh-password=Rh-Canary-5521", NULL};
	ck_assert_int_lt(resolve(&plan, args2, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "secrets are not taken on the command line"));
	ck_assert_ptr_null(strstr(err_message(), "Rh-Canary-5521"));
	/* A bad value that happens to hold a secret is redacted in errors. */
	const char *env3[] = {"PKR_SSH_PASSWORD=Ssh-Canary-4412", NULL};
	const char *args3[] = {"--name", "x/Ssh-Canary-4412", NULL};
	ck_assert_int_lt(resolve(&plan, args3, env3), 0);
	ck_assert_ptr_null(strstr(err_message(), "Ssh-Canary-4412"));
	err_clear();
	/* A proxy URL's password is a secret too: redacted from every log line. */
	const char *env4[] = {"HNBUILD_PROXY=http://me:Proxy-Canary-6630@proxy:3128", NULL};
	ck_assert_int_eq(resolve(&plan, NULL, env4), 0);
	char *red = log_redact(plan.specs[0].proxy);
	ck_assert_str_eq(red, "http://me:********@proxy:3128");
	free(red);
	build_plan_free(&plan);
	const char *env5[] = {"HNBUILD_PROXY=http://me:pw@proxy:3128", NULL};
	ck_assert_int_lt(resolve(&plan, NULL, env5), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "proxy password of fewer than 4 characters"));
	err_clear();
	log_forget_secrets();
}
END_TEST

START_TEST(secret_files)
{
	char *pw = tmp_yaml("File-Canary-3321\n");
	const char *args[] = {"--os", "rhel8", "--iso", "/r.iso", "--rh-username", "me", "--rh-password-file", pw, NULL};
	struct build_plan plan;
	ck_assert_int_eq(resolve(&plan, args, NULL), 0);
	ck_assert_str_eq(plan.specs[0].rh_password, "File-Canary-3321");
	build_plan_free(&plan);
	const char *args2[] = {"--ssh-password-file", "/nonexistent/pw", NULL};
	ck_assert_int_lt(resolve(&plan, args2, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "--ssh-password-file: cannot read /nonexistent/pw"));
	unlink(pw);
	free(pw);
	err_clear();
	log_forget_secrets();
}
END_TEST

START_TEST(downloads_need_a_checksum)
{
	struct build_plan plan;
	const char *args[] = {"--iso", "https://mirror.example/u.iso", NULL};
	ck_assert_int_lt(resolve(&plan, args, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "--iso: downloads are verified: give --iso-checksum"));
	const char *args2[] = {"--iso", "https://mirror.example/u.iso", "--iso-checksum", "file:https://mirror.example/SHA256SUMS", NULL};
	ck_assert_int_eq(resolve(&plan, args2, NULL), 0);
	build_plan_free(&plan);
	err_clear();
}
END_TEST

/* Issue 14 (the pin) and issue 20.6: the default nodeadm can register SSM
 * activations, an older one cannot; a plain-http mirror needs a digest
 * that did not come down the same channel. */
/* The table of what nodeadm install refuses (nodeadm.c, with sources). */
START_TEST(nodeadm_containerd_rules)
{
	ck_assert_str_eq(nodeadm_containerd_refusal(FAMILY_RHEL, CONTAINERD_DISTRO),
			 "rejects containerd source 'distro' on RHEL (use docker or none)");
	ck_assert_ptr_null(nodeadm_containerd_refusal(FAMILY_RHEL, CONTAINERD_DOCKER));
	ck_assert_ptr_null(nodeadm_containerd_refusal(FAMILY_RHEL, CONTAINERD_NONE));
	ck_assert_ptr_null(nodeadm_containerd_refusal(FAMILY_UBUNTU, CONTAINERD_DISTRO));
	ck_assert_ptr_null(nodeadm_containerd_refusal(FAMILY_UBUNTU, CONTAINERD_DOCKER));
	ck_assert_ptr_null(nodeadm_containerd_refusal(FAMILY_UBUNTU, CONTAINERD_NONE));
}
END_TEST

START_TEST(nodeadm_pin_gate_and_digest)
{
	struct build_plan plan;
	ck_assert_int_eq(resolve(&plan, NULL, NULL), 0);
	ck_assert_str_eq(plan.specs[0].nodeadm_version, NODEADM_DEFAULT_VERSION);
	ck_assert_int_ge(nodeadm_version_cmp(NODEADM_DEFAULT_VERSION, NODEADM_SSM_MIN_VERSION), 0);
	build_plan_free(&plan);

	const char *old[] = {"--nodeadm-version", "1.0.6", NULL};
	ck_assert_int_lt(resolve(&plan, old, NULL), 0);
	ck_assert_int_eq(err_exit_code(), EXIT_USAGE);
	ck_assert_msg(strstr(err_message(), "--nodeadm-version: nodeadm v1.0.6 registers SSM hybrid activations only "
					    "from v1.0.19 on"),
		      "%s", err_message());
	const char *older_iam[] = {"--nodeadm-version", "v1.0.18", "--credential-provider", "iam-ra", NULL};
	ck_assert_int_eq(resolve(&plan, older_iam, NULL), 0);
	build_plan_free(&plan);
	const char *edge[] = {"--nodeadm-version", "v1.0.19", NULL};
	ck_assert_int_eq(resolve(&plan, edge, NULL), 0);
	build_plan_free(&plan);
	const char *latest[] = {"--nodeadm-version", "latest", NULL};
	ck_assert_int_eq(resolve(&plan, latest, NULL), 0);
	build_plan_free(&plan);
	const char *bad[] = {"--nodeadm-version", "v1.x", NULL};
	ck_assert_int_lt(resolve(&plan, bad, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "'v1.x' is not a nodeadm version"));

	/* order is numeric, not by text */
	ck_assert_int_lt(nodeadm_version_cmp("v1.0.9", "v1.0.19"), 0);
	ck_assert_int_gt(nodeadm_version_cmp("v1.1.0", "v1.0.20"), 0);
	ck_assert_int_eq(nodeadm_version_cmp("v1.0.20-rc1", "1.0.20"), 0);

	const char *http[] = {"--nodeadm-url", "http://mirror.example/nodeadm", NULL};
	ck_assert_int_lt(resolve(&plan, http, NULL), 0);
	ck_assert_msg(strstr(err_message(), "--nodeadm-url: 'http://mirror.example/nodeadm' is plain http, so the "
					    ".sha256 beside it proves nothing: give --nodeadm-sha256"),
		      "%s", err_message());
	const char *hex = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *http_pinned[] = {"--nodeadm-url", "http://mirror.example/nodeadm", "--nodeadm-sha256", hex, NULL};
	ck_assert_int_eq(resolve(&plan, http_pinned, NULL), 0);
	ck_assert_str_eq(plan.specs[0].nodeadm_sha256,
			 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	build_plan_free(&plan);
	const char *https[] = {"--nodeadm-url", "https://mirror.example/nodeadm", NULL};
	ck_assert_int_eq(resolve(&plan, https, NULL), 0);
	build_plan_free(&plan);
	const char *local[] = {"--nodeadm-url", "/srv/nodeadm/{arch}/nodeadm", NULL};
	ck_assert_int_eq(resolve(&plan, local, NULL), 0);
	build_plan_free(&plan);
	const char *short_hex[] = {"--nodeadm-sha256", "abc123", NULL};
	ck_assert_int_lt(resolve(&plan, short_hex, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "--nodeadm-sha256: 'abc123' is not a SHA-256 digest"));
}
END_TEST

START_TEST(help_flag)
{
	struct build_plan plan;
	const char *args[] = {"--help", NULL};
	ck_assert_int_eq(resolve(&plan, args, NULL), 1);
	char *h = spec_flags_help();
	ck_assert_ptr_nonnull(strstr(h, "--iso-checksum SUM"));
	ck_assert_ptr_nonnull(strstr(h, "[ISO_CHECKSUM]"));
	ck_assert_ptr_null(strstr(h, "--rh-password "));
	free(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spec");
	TCase *tc = tcase_create("spec");
	tcase_add_test(tc, defaults_are_sane);
	tcase_add_test(tc, flag_beats_env_beats_file);
	tcase_add_test(tc, packer_environment_is_honoured);
	tcase_add_test(tc, hnbuild_env_names);
	tcase_add_test(tc, arch_and_format_aliases);
	tcase_add_test(tc, checksum_forms);
	tcase_add_test(tc, all_problems_in_one_run);
	tcase_add_test(tc, env_errors_name_the_variable);
	tcase_add_test(tc, k8s_versions_not_frozen);
	tcase_add_test(tc, k8s_version_matrix);
	tcase_add_test(tc, rhel_requirements);
	tcase_add_test(tc, conflicting_flags);
	tcase_add_test(tc, yaml_unknown_key_and_syntax);
	tcase_add_test(tc, yaml_targets);
	tcase_add_test(tc, packer_names);
	tcase_add_test(tc, secrets_never_echoed);
	tcase_add_test(tc, secret_files);
	tcase_add_test(tc, downloads_need_a_checksum);
	tcase_add_test(tc, help_flag);
	tcase_add_test(tc, nodeadm_pin_gate_and_digest);
	tcase_add_test(tc, nodeadm_containerd_rules);
	tcase_add_test(tc, hostile_values);
	tcase_add_test(tc, environment_kept_apart);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
