/* main.c — hnbuild's command line: picks the subcommand, prints results and
 * errors, and chooses the exit code. The only place that talks to the user. */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "spec.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "version") == 0) {
		printf("hnbuild %s\n", HNBUILD_VERSION);
		return EXIT_OK;
	}
	fprintf(stderr, "hnbuild: not yet implemented\n");
	return EXIT_USAGE;
}
