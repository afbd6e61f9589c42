/* iso.h — the installer ISO stage: acquire (local path, or https download
 * into a cache keyed by digest), verify the digest, and inspect what the ISO
 * is (label, distribution, release, arch, kernel and initrd paths). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fetch.h"
#include "spec.h"
#include "targets.h"

struct iso_info {
	char *label; /* primary volume descriptor label, trailing spaces trimmed */
	enum os_family family;
	char *distribution; /* "Ubuntu", "Red Hat Enterprise Linux", ... */
	char *release;	    /* "24.04", "24.04.1", "9.4" */
	char *arch_name;    /* as the ISO names it: "amd64", "x86_64", "aarch64" */
	enum arch_id arch;  /* ARCH__COUNT when hnbuild does not build that arch */
	char *kernel;	    /* installer kernel inside the ISO: "casper/vmlinuz" */
	char *initrd;	    /* "casper/initrd", "images/pxeboot/initrd.img" */
	char *stage2;	    /* RHEL: "images/install.img"; NULL otherwise */
	uint64_t size;	    /* bytes */
};

struct iso_image {
	char *path; /* the verified local file the build uses */
	enum checksum_algo algo;
	char *digest;	 /* verified lowercase hex; NULL when the spec says "none" */
	bool downloaded; /* fetched by this build (not cached, not local) */
	struct iso_info info;
};

/* Where downloads are cached: $XDG_CACHE_HOME/hnbuild, else ~/.cache/hnbuild. */
char *iso_default_cache_dir(void);
/* Where a download verified by algo:hex lives: CACHE/iso/<algo>-<hex>
 * (+ ".iso", ".iso.part", ".lock"). Caller frees. */
char *iso_cache_base(const char *cache_dir, enum checksum_algo algo, const char *hex);

/* The iso stage for one build: a local path (or file://) is verified in
 * place; an http(s) URL is downloaded into cache_dir/iso/<algo>-<hex>.iso
 * under an exclusive lock (concurrent builds download once), resumed when a
 * partial download exists, and verified before use; a cached copy is
 * re-verified. A digest mismatch is an err_verify (exit 3): a downloaded bad
 * file is deleted and never used. `file:` checksums are resolved against the
 * ISO's basename. Then the ISO is inspected and checked against spec->os and
 * spec->arch. Plain http is accepted only when a digest is given. */
int iso_acquire(const struct build_spec *spec, const char *cache_dir, struct iso_image *out);
/* Same, with explicit download options (tests use short retries). */
int iso_acquire_ex(const struct build_spec *spec, const char *cache_dir, const struct fetch_options *fopt,
		   struct iso_image *out);

/* Read the primary volume descriptor and the ISO9660 directory (libarchive):
 * .disk/info (Ubuntu) or .treeinfo (RHEL), else the label. A truncated or
 * non-ISO file, or an ISO of neither kind, is an err_verify (exit 3). */
int iso_inspect(const char *path, struct iso_info *info);

/* Does the ISO hold what --os/--arch ask for? If not, an err_verify such as
 * "ISO x.iso is Ubuntu 24.04 arm64 (label '...') but the build asks for
 * --os ubuntu24 --arch amd64". `name` is the ISO as the user gave it. */
int iso_check_matches(const struct iso_info *info, const char *name, enum os_id os, enum arch_id arch);

/* Copy one file out of the ISO (e.g. "casper/vmlinuz") to dest, atomically. */
int iso_extract_file(const char *iso_path, const char *member, const char *dest);

void iso_info_free(struct iso_info *info);
void iso_image_free(struct iso_image *img);
