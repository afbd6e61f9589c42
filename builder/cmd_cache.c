/* cmd_cache.c — `hnbuild cache list|prune`: the installed bases that
 * builds share (basecache.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basecache.h"
#include "cleanup.h"
#include "commands.h"
#include "err.h"
#include "iso.h"
#include "log.h"
#include "util.h"

static const char cache_usage[] =
	"Usage: hnbuild cache list\n"
	"       hnbuild cache prune [--older-than DUR] [--max-size SIZE]\n"
	"\n"
	"Installed bases: a build installs the OS once per key (the ISO's digest, the\n"
	"install data, kernel command line, OS, arch, firmware and disk size) and keeps\n"
	"the installed disk in $XDG_CACHE_HOME/hnbuild/bases (else ~/.cache/hnbuild);\n"
	"later builds with the same key, e.g. for another Kubernetes version, provision a\n"
	"copy-on-write overlay on it and skip the install. `hnbuild validate` prints the\n"
	"key a build would use. `build --no-cache` neither uses nor stores a base.\n"
	"\n"
	"  list                  key, OS, arch, size, last use and inputs of each base\n"
	"  prune                 remove every base no build is using\n"
	"    --older-than DUR    only those not used within DUR (e.g. 7d, 12h, 90m)\n"
	"    --max-size SIZE     then the least recently used until the rest fits in SIZE\n"
	"                        (e.g. 50G)\n"
	"\n"
	"A base in use by a running build is never removed.\n";

static void when(char *buf, size_t n, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cache_list(const char *dir)
{
	struct basecache_item *items = NULL;
	size_t n = 0;
	if (basecache_list(dir, &items, &n) < 0)
		return err_exit_code();
	if (!n) {
		printf("no installed bases in %s/bases\n", dir);
		return EXIT_OK;
	}
	printf("%-16s %-9s %-6s %9s  %-20s %s\n", "KEY", "OS", "ARCH", "SIZE", "LAST USE", "INPUTS");
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		char used[32];
		when(used, sizeof(used), items[i].last_use);
		printf("%.16s %-9s %-6s %8.1fM  %-20s %s%s\n", items[i].key, items[i].os ? items[i].os : "?",
		       items[i].arch ? items[i].arch : "?", (double)items[i].bytes / (1 << 20), used,
		       items[i].in_use ? "(in use) " : "", items[i].inputs);
		total += items[i].bytes;
	}
	printf("%zu base%s, %.1f MiB in %s/bases\n", n, n == 1 ? "" : "s", (double)total / (1 << 20), dir);
	basecache_items_free(items, n);
	return EXIT_OK;
}

static int cache_prune(int argc, char **argv, const char *dir)
{
	static const struct option opts[] = {
		{"older-than", required_argument, NULL, 'o'},
		{"max-size", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned older = 0;
	uint64_t max = 0;
	optind = 1;
	opterr = 0;
	for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (c) {
		case 'o':
			if (parse_duration(optarg, &older) < 0 || !older) {
				err_usage("cache prune --older-than '%s': not a duration (e.g. 7d, 12h, 90m)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			if (parse_size(optarg, &max) < 0 || !max) {
				err_usage("cache prune --max-size '%s': not a size (e.g. 50G)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(cache_usage, stdout);
			return EXIT_OK;
		default:
			err_usage("cache prune: unknown or incomplete flag '%s' (see hnbuild cache --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err_usage("cache prune: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	unsigned removed = 0;
	uint64_t freed = 0;
	if (basecache_prune(dir, older, max, &removed, &freed) < 0)
		return err_exit_code();
	printf("removed %u installed base%s (%.1f MiB)\n", removed, removed == 1 ? "" : "s",
	       (double)freed / (1 << 20));
	return EXIT_OK;
}

int cmd_cache(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(cache_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	log_setup(LOG_FORMAT_TEXT, 0);
	_cleanup_free_ char *dir = iso_default_cache_dir();
	if (!strcmp(argv[1], "list")) {
		if (argc > 2) {
			err_usage("cache list: unexpected argument '%s'", argv[2]);
			return EXIT_USAGE;
		}
		return cache_list(dir);
	}
	if (!strcmp(argv[1], "prune"))
		return cache_prune(argc - 1, argv + 1, dir);
	err_usage("cache: unknown subcommand '%s' (list or prune)", argv[1]);
	return EXIT_USAGE;
}
