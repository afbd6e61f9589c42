/* cmd_validate.c — `hnbuild validate` and `hnbuild list`: resolve a build
 * without building, and show every target with its Packer-style names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "commands.h"
#include "err.h"
#include "log.h"
#include "spec.h"
#include "strbuf.h"

extern char **environ;

static void print_build_help(const char *command)
{
	char *flags = spec_flags_help();
	char *secrets = spec_env_help();
	if (!strcmp(command, "validate"))
		printf("Usage: hnbuild validate [FLAGS]\n\n"
		       "Resolves the build exactly as `hnbuild build` would (flags > environment >\n"
		       "build file > defaults), checks everything a build needs, reports every problem\n"
		       "at once, and prints the resolved spec with secrets masked, and the installed-base\n"
		       "cache key the build would use (read from a local or already downloaded ISO) and\n"
		       "whether it is cached. Builds nothing and downloads nothing.\n\n");
	else
		printf("Usage: hnbuild build [FLAGS]\n\n"
		       "Builds one image per target: boots the installer ISO with generated install\n"
		       "data (direct kernel boot, no typed boot commands), installs, runs nodeadm\n"
		       "install in the guest, generalizes the disk and writes the chosen formats to\n"
		       "--output-dir with SHA256SUMS and manifest.json.\n\n"
		       "Examples:\n"
		       "  hnbuild build --os ubuntu24 --format qcow2\n"
		       "  hnbuild build --os rhel9 --iso rhel-9.4-x86_64-dvd.iso --iso-checksum sha256:... \\\n"
		       "                --format ova   (with RH_USERNAME/RH_PASSWORD in the environment)\n"
		       "  hnbuild build --only 'general-build.qemu.*' --config hnbuild.yaml\n\n");
	printf("Settings (each also HNBUILD_<NAME> in the environment, and a key in hnbuild.yaml;\n"
	       "[VARS] are the AWS Packer templates' variables, honoured with the same meaning):\n%s\n"
	       "Secrets, never taken on the command line:\n%s\n"
	       "Run control:\n"
	       "  --config FILE                      build file (hnbuild.yaml): the same settings, plus\n"
	       "                                     `targets:`, a list of settings for several builds\n"
	       "  --only PATTERN                     Packer build names to run, globs allowed\n"
	       "                                     (general-build.qemu.ubuntu22, 'general-build.*.rhel*')\n"
	       "  --log-format text|json             json: one event per line (stage, progress, log)\n"
	       "  -v, --verbose                      also show the guest console and debug lines\n"
	       "  -q, --quiet                        warnings and errors only\n"
	       "  -h, --help                         this help\n\n"
	       "A failed build (exit 1) leaves <output-dir>/<image>.failure/: the VM's screen\n"
	       "(PNG), its consoles and domain XML, the install data, the installer's logs\n"
	       "from the disk, stage timings and a README naming the failed stage (secrets\n"
	       "masked; kept whatever --on-error says).\n"
	       "Precedence: flag > environment > build file > built-in default.\n"
	       "Exit codes: 0 success, 1 build failed, 2 usage or configuration error,\n"
	       "            3 input verification failed (bad digest, unreadable ISO), 130 interrupted.\n",
	       flags, secrets);
	free(flags);
	free(secrets);
}

int cmd_validate(int argc, char **argv)
{
	struct spec_sources src = {argc, argv, environ, "validate"};
	struct build_plan plan;
	int r = spec_resolve(&src, &plan);
	if (r == 1) {
		print_build_help("validate");
		return EXIT_OK;
	}
	if (r < 0)
		return err_exit_code();
	printf("# hnbuild %s: %u target%s, valid\n", HNBUILD_VERSION, plan.n_specs, plan.n_specs == 1 ? "" : "s");
	printf("targets:\n");
	struct build_env env = {0};
	for (unsigned i = 0; i < plan.n_specs; i++) {
		char *d = spec_describe(&plan.specs[i]);
		char *red = log_redact(d); /* a proxy URL's password */
		fputs(red, stdout);
		free(red);
		free(d);
		char *cache = NULL;
		if (build_describe_cache(&plan.specs[i], &env, &cache) < 0) {
			/* The spec is valid; the ISO is what cannot be read. */
			printf("  installed-base: unknown  # %s\n", err_message());
			err_clear();
		} else {
			printf("  installed-base: %s\n", cache);
		}
		free(cache);
	}
	build_plan_free(&plan);
	return EXIT_OK;
}

/* Shared with cmd_build.c through commands.h's contract: --help text. */
void cmd_print_build_help(void);
void cmd_print_build_help(void) { print_build_help("build"); }

int cmd_list(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: hnbuild list\n\nPrints every target hnbuild can build (os x arch x format) and the\n"
		       "Packer build names (-only / --only) that select it.\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		err_usage("list: unexpected argument '%s' (list takes no arguments)", argv[1]);
		return EXIT_USAGE;
	}
	printf("%-9s %-6s %-22s %-5s %-34s %s\n", "OS", "ARCH", "INSTALLER", "FW", "PACKER NAMES (--only)",
	       "FORMATS");
	for (unsigned o = 0; o < OS__COUNT; o++) {
		const struct os_info *os = os_by_id((enum os_id)o);
		for (unsigned a = 0; a < ARCH__COUNT; a++) {
			const struct arch_info *arch = arch_by_id((enum arch_id)a);
			char qemu[96], vsphere[96];
			packer_build_name(qemu, sizeof(qemu), "qemu", os->id);
			packer_build_name(vsphere, sizeof(vsphere), "vsphere-iso", os->id);
			printf("%-9s %-6s %-22s %-5s %-34s %s\n", os->name, arch->name,
			       os->family == FAMILY_UBUNTU ? "subiquity autoinstall" : "anaconda kickstart",
			       a == ARCH_ARM64 ? "uefi" : "both", qemu, "qcow2 raw ova");
			printf("%-9s %-6s %-22s %-5s %-34s %s\n", "", "", "", "", vsphere, "ova -> vSphere template");
		}
	}
	printf("\nNot in the AWS templates: ubuntu20 and every arm64 target. general-build.amazon-ebs.* (AMIs)\n"
	       "is not built by hnbuild. ISO defaults: Ubuntu amd64 from releases.ubuntu.com; RHEL and arm64\n"
	       "need --iso.\n");
	return EXIT_OK;
}
