/* export_bench.c — times hnbuild's export (export_all) of one disk to one
 * format and prints "seconds size" for tests/bench/run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "export.h"
#include "log.h"
#include "util.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s DISK OUTDIR ova|qcow2|raw\n", argv[0]);
		return 2;
	}
	log_setup(LOG_FORMAT_TEXT, -1);
	struct export_request req = {
		.source_path = argv[1],
		.output_dir = argv[2],
		.formats = format_lookup(argv[3]),
		.base_name = "bench-ubuntu24-amd64-k8s1.31",
		.os = OS_UBUNTU24,
		.arch = ARCH_AMD64,
		.firmware = FIRMWARE_UEFI,
		.k8s_version = "1.31",
	};
	const char *level = getenv("BENCH_LEVEL"); /* VMDK zlib level, default VMDK_DEFAULT_LEVEL */
	if (level)
		req.compression_level = atoi(level);
	struct export_result res;
	double t0 = now_monotonic();
	if (export_all(&req, &res) < 0) {
		fprintf(stderr, "export failed: %s\n", err_message());
		return 1;
	}
	printf("%.2f %llu\n", now_monotonic() - t0, (unsigned long long)res.files[0].size);
	export_result_free(&res);
	return 0;
}
