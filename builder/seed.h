/* seed.h — the small ISO9660 volume that carries the unattended-install data
 * to the installer: CIDATA (user-data, meta-data) or OEMDRV (ks.cfg). */
#pragma once

#include <stddef.h>

struct seed_file {
	const char *name; /* file name at the root of the volume */
	const void *data;
	size_t len;
};

/* Write an ISO9660 image (Rock Ridge and Joliet names) with volume label
 * `label` holding files at its root, through libarchive's writer. The bytes
 * depend only on the inputs: entries are sorted by name and every time stamp
 * is SOURCE_DATE_EPOCH (or 0). Written to a temporary name and renamed, so
 * nothing half-written is left at path. */
int seed_iso_write(const char *path, const char *label, const struct seed_file *files, size_t n);
