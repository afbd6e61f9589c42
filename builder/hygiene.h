/* hygiene.h — what a clean golden image must not hold: one rule table that
 * generalize scrubs by, the build's hygiene gate checks by and `hnbuild
 * inspect` reports from, plus the checks that need more than a path (the
 * build user, its key, unlocked passwords, swap). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <guestfs.h>

/* The comment of the build's SSH key (credential.c); any authorized_keys
 * line carrying it is a finding wherever it is. */
#define HYGIENE_BUILD_KEY_COMMENT "hnbuild-build"
/* The first-boot join's "already done" marker (same as the cloud-init
 * user-data's, user-data/cloudconfig.h). */
#define HYGIENE_NODEADM_MARKER "/var/lib/hnbuild/nodeadm-init.done"

enum hygiene_test {
	HYGIENE_TEST_NONE,     /* scrubbed by generalize, not a finding if present */
	HYGIENE_TEST_PRESENT,  /* anything matching the glob is a finding */
	HYGIENE_TEST_NONEMPTY, /* a regular file with content is a finding (a symlink is fine) */
};

enum hygiene_scrub {
	HYGIENE_SCRUB_KEEP,	/* report only: generalize does not touch it */
	HYGIENE_SCRUB_TRUNCATE, /* emptied in place (mode, owner, label kept) */
	HYGIENE_SCRUB_REMOVE,	/* removed, directories recursively */
};

struct hygiene_rule {
	const char *glob; /* guest path, shell glob */
	enum hygiene_test test;
	enum hygiene_scrub scrub;
	const char *what; /* why it must not be in the image */
};

/* The shared table. */
const struct hygiene_rule *hygiene_rules(size_t *n);

struct hygiene_finding {
	char *path;
	char *what;
};

/* Check an open image with its filesystems mounted (guestimg_open).
 * build_user: the build's login, which must be gone entirely; NULL when the
 * build keeps its user on purpose (then only its key and password are
 * checked). Appends to out and n (start with NULL and 0). Returns 0 (findings or
 * not) or -errno when the image could not be read. */
int hygiene_scan(guestfs_h *g, const char *build_user, struct hygiene_finding **out, size_t *n);

/* Open the image read-only, scan it, close it. format: "qcow2", "raw",
 * "vmdk" or NULL (probe). Returns 0 or -errno (unreadable image). */
int hygiene_check_disk(const char *disk, const char *format, const char *build_user,
		       struct hygiene_finding **out, size_t *n);

/* The gate: 0 when there are no findings; else -EPERM with every finding,
 * one per line, recorded as the build failure (err_fail). */
int hygiene_gate(const struct hygiene_finding *f, size_t n);

void hygiene_findings_free(struct hygiene_finding *f, size_t n);
