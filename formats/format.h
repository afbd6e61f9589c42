/* format.h — one interface for every output format (qcow2, raw, ova), one
 * file per format, like genimage's image handlers. export.c runs them. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "outfile.h"

struct export_request;

/* The generalized disk, and a sparse raw view of it for the writers that
 * read blocks themselves (raw, ova). */
struct export_source {
	const char *path;         /* as given */
	const char *format;       /* "qcow2" or "raw" */
	int raw_fd;               /* sparse raw view (-1 when no writer needs it) */
	uint64_t virtual_size;    /* bytes */
};

struct export_target {
	const char *dir;          /* output directory */
	const char *base_name;    /* <name>-<os>-<arch>-k8s<ver> */
	const struct export_request *req;
};

/* What a writer produced: a finished file under a temporary name; export.c
 * renames every output at the very end. */
struct export_output {
	struct outfile file;
	char *name;               /* final file name (no directory) */
	const char *format;       /* "qcow2", "raw", "ova" */
	uint64_t size;
	double seconds;
};

struct format_ops {
	const char *name;         /* "ova" */
	const char *ext;          /* file extension */
	unsigned bit;             /* FORMAT_* from targets.h */
	bool needs_raw;           /* reads src->raw_fd */
	int (*write)(const struct export_source *src, const struct export_target *dst, struct export_output *out);
};

extern const struct format_ops format_qcow2_ops;
extern const struct format_ops format_raw_ops;
extern const struct format_ops format_ova_ops;
