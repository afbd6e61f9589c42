/* vmdk.h — a streamOptimized VMDK writer (VMware Virtual Disk Format 5.0):
 * reads a sparse raw disk (SEEK_DATA/SEEK_HOLE, all-zero grains skipped),
 * deflates grains on every core and writes them strictly in order, with
 * grain tables, grain directory, footer and end-of-stream marker. */
#pragma once

#include <stdint.h>

#include "outfile.h"

#define VMDK_MAGIC 0x564d444bu             /* "KDMV" on disk */
#define VMDK_FLAGS 0x00030001u             /* newline test | compressed | markers */
#define VMDK_GRAIN_SECTORS 128u            /* 64 KiB grains */
#define VMDK_GTES_PER_GT 512u              /* one grain table covers 32 MiB */
#define VMDK_DESCRIPTOR_SECTORS 20u
#define VMDK_OVERHEAD_SECTORS 128u         /* header + descriptor, grain aligned */
#define VMDK_GD_AT_END UINT64_C(0xffffffffffffffff)
#define VMDK_MARKER_EOS 0u
#define VMDK_MARKER_GT 1u
#define VMDK_MARKER_GD 2u
#define VMDK_MARKER_FOOTER 3u
#define VMDK_DEFAULT_LEVEL 1               /* zlib level: see formats/README.md */

struct __attribute__((packed)) vmdk_header {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint64_t capacity;          /* sectors */
	uint64_t grain_size;        /* sectors */
	uint64_t descriptor_offset; /* sectors */
	uint64_t descriptor_size;   /* sectors */
	uint32_t num_gtes_per_gt;
	uint64_t rgd_offset;
	uint64_t gd_offset;
	uint64_t overhead;          /* sectors */
	uint8_t unclean_shutdown;
	char single_end_line_char;  /* '\n' */
	char non_end_line_char;     /* ' ' */
	char double_end_line_char1; /* '\r' */
	char double_end_line_char2; /* '\n' */
	uint16_t compress_algorithm; /* 1 = deflate */
	uint8_t pad[433];
};
_Static_assert(sizeof(struct vmdk_header) == 512, "VMDK header is one sector");

/* A metadata marker (GT, GD, footer, EOS) occupies one sector. */
struct __attribute__((packed)) vmdk_marker {
	uint64_t num_sectors;
	uint32_t size;              /* 0 for metadata markers */
	uint32_t type;
	uint8_t pad[496];
};
_Static_assert(sizeof(struct vmdk_marker) == 512, "VMDK marker is one sector");

struct vmdk_options {
	const char *extent_name;    /* file name written in the descriptor */
	const char *adapter_type;   /* ddb.adapterType; NULL = "lsilogic" */
	int level;                  /* zlib level 1..9; 0 = VMDK_DEFAULT_LEVEL */
	unsigned threads;           /* compressing threads; 0 = online CPUs */
	const char *progress_stage; /* log_progress stage, or NULL for none */
};

struct vmdk_stats {
	uint64_t grains_written;    /* non-zero grains stored */
	uint64_t bytes_read;        /* data actually read from the source */
	uint64_t file_size;         /* bytes of VMDK written */
	uint32_t grain_tables;      /* grain tables stored (empty ones are not) */
};

/* Write the VMDK for the first virtual_size bytes of src_fd (a raw disk;
 * bytes past its end read as zeros) to out, starting at out->pos.
 * virtual_size is rounded up to whole sectors. */
int vmdk_write(int src_fd, uint64_t virtual_size, struct outfile *out, const struct vmdk_options *opt,
	       struct vmdk_stats *stats);
