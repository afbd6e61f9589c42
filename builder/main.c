/* main.c — hnbuild's command line: picks the subcommand, prints errors and
 * chooses the exit code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "err.h"
#include "log.h"
#include "nodeadm.h"
#include "spec.h"
#include "strbuf.h"

static const char usage[] =
	"Usage: hnbuild COMMAND [FLAGS]\n"
	"\n"
	"Builds golden OS images for Amazon EKS Hybrid Nodes: boots an Ubuntu or RHEL\n"
	"installer ISO under libvirt/QEMU with generated unattended-install data, runs\n"
	"`nodeadm install` in the guest, generalizes the disk and exports qcow2, raw or OVA\n"
	"for amd64 and arm64.\n"
	"\n"
	"Commands:\n"
	"  build      build images (hnbuild build --os ubuntu24 --format qcow2)\n"
	"  validate   resolve and check a build without building; prints the spec\n"
	"  render     print the install data (autoinstall, kickstart) a build would use\n"
	"  list       every target: os x arch x format, with Packer build names\n"
	"  inspect    report what an output image holds and what it should not\n"
	"  userdata   render node user-data/metadata for deploy-time cluster join\n"
	"  publish    upload an OVA to vSphere as a template\n"
	"  cache      list or prune the installed bases builds share\n"
	"  version    print the version\n"
	"\n"
	"Run `hnbuild COMMAND --help` for a command's flags.\n"
	"\n"
	"Exit codes: 0 success, 1 build failed, 2 usage or configuration error,\n"
	"            3 input verification failed (bad digest, unreadable ISO), 130 interrupted.\n";

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("hnbuild %s (default nodeadm %s)\n", HNBUILD_VERSION, NODEADM_DEFAULT_VERSION);
	return EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"build", cmd_build},       {"validate", cmd_validate}, {"list", cmd_list},
	{"inspect", cmd_inspect},   {"userdata", cmd_userdata}, {"publish", cmd_publish},
	{"cache", cmd_cache},       {"render", cmd_render},     {"version", cmd_version},
};

static void print_error(const char *msg)
{
	/* No byte of a message (an ISO label, a guest's console) reaches the
	 * terminal as a control character. */
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_add_printable(&sb, msg, true);
	const char *p = sb_str(&sb);
	while (p && *p) {
		size_t n = strcspn(p, "\n");
		fprintf(stderr, "hnbuild: error: %.*s\n", (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
	sb_release(&sb);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(name, "--version"))
		name = "version";
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name))
			continue;
		int rc = commands[i].run(argc - 1, argv + 1);
		if (rc != EXIT_OK && err_message())
			print_error(err_message());
		err_clear();
		log_close_file();
		log_forget_secrets();
		return rc;
	}
	fprintf(stderr, "hnbuild: error: unknown command '%s' (try hnbuild --help)\n", name);
	return EXIT_USAGE;
}
