/* basecache.h — install once, build many: installed base disks stored in
 * CACHE/bases, keyed by a digest of everything that decides what the
 * installer writes (the ISO's digest, the rendered install data, the kernel
 * command line, OS, arch, firmware, disk size, BASECACHE_FORMAT). A build
 * provisions a copy-on-write overlay on the base; the base is never
 * written. The install data carry no build credential (the key is granted
 * offline, generalize.h), so a base holds no identity a later build reuses.
 *
 * Layout (directory 0700, files 0600):
 *   bases/KEY/disk.qcow2   the installed disk
 *   bases/KEY/info         "name value" lines: key, os, arch, created, size,
 *                          one "input NAME VALUE" per key input (digests and
 *                          settings, never a secret)
 *   bases/KEY/last-use     touched by every build that uses the base
 *   bases/KEY/mounts       how the base's filesystems mount in libguestfs
 *                          (guestimg_mounts), written by the first build
 *                          that inspects it: later builds skip inspection
 *   bases/KEY.lock         flock: shared while a build uses KEY, exclusive
 *                          while one installs it or prune removes it
 *   bases/KEY.tmp-XXXXXX   an install in progress; renamed to KEY when it
 *                          succeeds, so nothing incomplete looks complete */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "strbuf.h"

/* Bump when hnbuild's install code changes what a base holds. */
#define BASECACHE_FORMAT "1"

struct basecache_file {
	const char *name; /* "user-data", "ks.cfg" */
	const char *data;
	size_t len;
};

struct basecache_key_params {
	const char *os, *arch, *firmware;
	uint64_t disk_size;
	const char *iso_sha256;
	const char *cmdline; /* the installer kernel's command line */
	const struct basecache_file *files;
	size_t n_files;
};

struct basecache_key {
	char hex[65];
	struct strbuf inputs; /* "input NAME VALUE\n" lines, in key order */
};

/* Compute the key. Never fails except on bad parameters (-EINVAL). */
int basecache_key_make(const struct basecache_key_params *p, struct basecache_key *out);
void basecache_key_free(struct basecache_key *k);

/* CACHE/bases, created 0700. Caller frees. */
char *basecache_dir(const char *cache_dir);

struct basecache_entry {
	char *bases;   /* CACHE/bases */
	char *dir;     /* bases/KEY */
	char *tmp;     /* bases/KEY.tmp-XXXXXX while this build installs it */
	char *disk;    /* the base disk: dir/disk.qcow2, or tmp/disk.qcow2 to install into */
	char key[65];
	int lock_fd;
	bool hit;      /* a complete base was found: lock held shared */
};

/* Find KEY in the cache. A complete base: *e->hit, the lock held shared
 * (prune leaves it alone). None: the lock held exclusive and e->disk is
 * where to install (in a fresh e->tmp). While another build installs the
 * same key this waits for it, saying so, and then uses its result. */
int basecache_acquire(const char *cache_dir, const struct basecache_key *key, struct basecache_entry *e);

/* The install into e->disk succeeded: write info, publish the entry under
 * its key, hold it shared. */
int basecache_commit(struct basecache_entry *e, const struct basecache_key *key, const char *os,
		     const char *arch);

/* A note kept beside a committed base (NAME is a plain file name, e.g.
 * "mounts"): its text (caller frees), or NULL when there is none. */
char *basecache_note_read(const struct basecache_entry *e, const char *name);
/* Write a note (atomically, 0600). Builds sharing the base write the same
 * text, so no lock beyond the shared one is needed. */
int basecache_note_write(const struct basecache_entry *e, const char *name, const char *text);

/* Drop the lock; an uncommitted install directory is removed. Safe twice. */
void basecache_release(struct basecache_entry *e);

/* Without locking: is KEY complete in the cache? (validate) */
bool basecache_has(const char *cache_dir, const char *key_hex);

struct basecache_item {
	char *key, *os, *arch, *inputs; /* inputs: "NAME=VALUE, ..." */
	uint64_t bytes;			/* allocated size of the disk */
	time_t created, last_use;
	bool in_use;			/* a build holds it now */
};

/* Every complete entry, most recently used first. */
int basecache_list(const char *cache_dir, struct basecache_item **items, size_t *n);
void basecache_items_free(struct basecache_item *items, size_t n);

/* Remove entries not in use that were last used more than older_than
 * seconds ago, then, while the rest is larger than max_bytes, the least
 * recently used; with both 0, every entry not in use. Stale install directories (of a
 * killed build) go too. Each removal is logged; *removed counts them. */
int basecache_prune(const char *cache_dir, unsigned long long older_than, uint64_t max_bytes, unsigned *removed,
		    uint64_t *freed);
