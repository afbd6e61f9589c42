/* basecache.c — the installed-base cache (basecache.h): the key, the lock
 * protocol, list and prune. */
#include "basecache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "err.h"
#include "log.h"
#include "signals.h"
#include "util.h"

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* ---- the key ---- */

static void add_input(struct strbuf *sb, const char *name, const char *value)
{
	sb_addf(sb, "input %s %s\n", name, value);
}

int basecache_key_make(const struct basecache_key_params *p, struct basecache_key *out)
{
	memset(out, 0, sizeof(*out));
	if (!p->os || !p->arch || !p->firmware || !p->iso_sha256 || strlen(p->iso_sha256) != 64 || !p->cmdline)
		return -EINVAL;
	sb_init(&out->inputs);
	char hex[DIGEST_HEX_MAX], size[32];
	add_input(&out->inputs, "format", BASECACHE_FORMAT);
	add_input(&out->inputs, "os", p->os);
	add_input(&out->inputs, "arch", p->arch);
	add_input(&out->inputs, "firmware", p->firmware);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)p->disk_size);
	add_input(&out->inputs, "disk-size", size);
	add_input(&out->inputs, "iso-sha256", p->iso_sha256);
	digest_buffer(p->cmdline, strlen(p->cmdline), CHECKSUM_SHA256, hex);
	add_input(&out->inputs, "cmdline-sha256", hex);
	for (size_t i = 0; i < p->n_files; i++) {
		_cleanup_free_ char *name = NULL;
		if (asprintf(&name, "%s-sha256", p->files[i].name) < 0)
			abort();
		digest_buffer(p->files[i].data, p->files[i].len, CHECKSUM_SHA256, hex);
		add_input(&out->inputs, name, hex);
	}
	digest_buffer(out->inputs.buf, out->inputs.len, CHECKSUM_SHA256, hex);
	memcpy(out->hex, hex, 64);
	out->hex[64] = '\0';
	return 0;
}

void basecache_key_free(struct basecache_key *k)
{
	sb_release(&k->inputs);
}

/* ---- paths and locks ---- */

char *basecache_dir(const char *cache_dir)
{
	return path_join(cache_dir, "bases");
}

static char *entry_path(const char *bases, const char *key, const char *suffix)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s%s", bases, key, suffix) < 0)
		abort();
	return p;
}

static bool entry_complete(const char *dir)
{
	_cleanup_free_ char *info = path_join(dir, "info");
	_cleanup_free_ char *disk = path_join(dir, "disk.qcow2");
	struct stat st;
	return stat(info, &st) == 0 && S_ISREG(st.st_mode) && stat(disk, &st) == 0 && S_ISREG(st.st_mode);
}

static void touch_last_use(const char *dir)
{
	_cleanup_free_ char *p = path_join(dir, "last-use");
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		futimens(fd, NULL);
		close(fd);
	}
}

/* Stale install directories of KEY (or of any key when key is NULL); the
 * caller holds KEY's lock exclusive, or checks each key's lock itself. */
static unsigned sweep_tmp(const char *bases, const char *key)
{
	_cleanup_(closedirp) DIR *d = opendir(bases);
	unsigned n = 0;
	for (struct dirent *de; d && (de = readdir(d));) {
		const char *t = strstr(de->d_name, ".tmp-");
		if (!t || t - de->d_name != 64)
			continue;
		if (key && strncmp(de->d_name, key, 64))
			continue;
		_cleanup_free_ char *path = path_join(bases, de->d_name);
		if (!key) {
			char k[65];
			memcpy(k, de->d_name, 64);
			k[64] = '\0';
			_cleanup_free_ char *lp = entry_path(bases, k, ".lock");
			_cleanup_close_ int fd = open(lp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
			if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
				continue; /* an install of that key is running */
		}
		if (rm_rf(path) == 0) {
			log_debug("cache: removed %s (an install that did not finish)", path);
			n++;
		}
	}
	return n;
}

static int prepare_bases(const char *cache_dir, char **bases_out)
{
	_cleanup_free_ char *bases = basecache_dir(cache_dir);
	int r = mkdir_p(bases, 0700);
	if (r < 0)
		return err_fail_errno(r, "cannot create the cache directory %s", bases);
	/* Private to the user whatever umask made it. */
	if (chmod(bases, 0700) < 0)
		return err_fail_errno(-errno, "cannot make %s private", bases);
	*bases_out = TAKE_PTR(bases);
	return 0;
}

int basecache_acquire(const char *cache_dir, const struct basecache_key *key, struct basecache_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->lock_fd = -1;
	memcpy(e->key, key->hex, sizeof(e->key));
	int r = prepare_bases(cache_dir, &e->bases);
	if (r < 0)
		return r;
	e->dir = entry_path(e->bases, e->key, "");
	_cleanup_free_ char *lp = entry_path(e->bases, e->key, ".lock");
	e->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (e->lock_fd < 0)
		return err_fail_errno(-errno, "cannot open the cache lock %s", lp);
	/* Shared to use a complete base; exclusive to install one. Shared
	 * waits while another build installs (it holds the lock exclusive
	 * until its base is published) and then finds the base complete. */
	bool said = false;
	for (;;) {
		if (flock(e->lock_fd, LOCK_SH | LOCK_NB) < 0) {
			if (!said)
				log_info("cache: another build is installing the same base (key %.16s); waiting for it",
					 e->key);
			said = true;
			r = signals_flock(e->lock_fd, LOCK_SH);
			if (r == -EINTR)
				return err_interrupted("the wait for the cache");
			if (r < 0)
				return err_fail_errno(r, "cannot lock %s", lp);
		}
		if (entry_complete(e->dir))
			goto hit;
		flock(e->lock_fd, LOCK_UN);
		if (flock(e->lock_fd, LOCK_EX | LOCK_NB) == 0) {
			if (!entry_complete(e->dir))
				break; /* ours to install */
			flock(e->lock_fd, LOCK_UN);
			continue;
		}
		/* Another build is about to install it: wait for that. */
		struct timespec ts = {0, 200 * 1000 * 1000};
		nanosleep(&ts, NULL);
		if (signals_interrupted())
			return err_interrupted("the wait for the cache");
	}
	sweep_tmp(e->bases, e->key);
	rm_rf(e->dir); /* an entry without its info: not complete, not ours */
	e->tmp = entry_path(e->bases, e->key, ".tmp-XXXXXX");
	if (!mkdtemp(e->tmp)) {
		r = err_fail_errno(-errno, "cannot create %s", e->tmp);
		free(e->tmp);
		e->tmp = NULL;
		return r;
	}
	e->disk = path_join(e->tmp, "disk.qcow2");
	return 0;
hit:
	e->hit = true;
	e->disk = path_join(e->dir, "disk.qcow2");
	touch_last_use(e->dir);
	return 0;
}

int basecache_commit(struct basecache_entry *e, const struct basecache_key *key, const char *os,
		     const char *arch)
{
	if (!e->tmp)
		return err_fail(-EINVAL, "internal: no install to commit to the cache");
	struct stat st;
	if (stat(e->disk, &st) < 0)
		return err_fail_errno(-errno, "cannot read %s", e->disk);
	chmod(e->disk, 0600);
	_cleanup_strbuf_ struct strbuf info = STRBUF_INIT;
	sb_init(&info);
	sb_addf(&info, "key %s\nos %s\narch %s\ncreated %lld\nsize %llu\n", e->key, os, arch,
		(long long)time(NULL), (unsigned long long)st.st_blocks * 512);
	sb_add(&info, key->inputs.buf, key->inputs.len);
	_cleanup_free_ char *ip = path_join(e->tmp, "info");
	int r = write_file_atomic(ip, info.buf, info.len, 0600);
	if (r < 0)
		return err_fail_errno(r, "cannot write %s", ip);
	if (rename(e->tmp, e->dir) < 0)
		return err_fail_errno(-errno, "cannot store the installed base in %s", e->dir);
	free(e->tmp);
	e->tmp = NULL;
	free(e->disk);
	e->disk = path_join(e->dir, "disk.qcow2");
	touch_last_use(e->dir);
	r = signals_flock(e->lock_fd, LOCK_SH);
	if (r < 0)
		return err_fail_errno(r, "cannot lock the cache entry %s", e->dir);
	e->hit = true;
	return 0;
}

char *basecache_note_read(const struct basecache_entry *e, const char *name)
{
	if (!e->hit || !e->dir)
		return NULL;
	_cleanup_free_ char *path = path_join(e->dir, name);
	char *text = NULL;
	size_t len = 0;
	if (read_file(path, &text, &len) < 0 || !len || memchr(text, '\0', len)) {
		free(text);
		return NULL;
	}
	return text;
}

int basecache_note_write(const struct basecache_entry *e, const char *name, const char *text)
{
	if (!e->hit || !e->dir)
		return err_fail(-EINVAL, "internal: no committed base to write %s beside", name);
	_cleanup_free_ char *path = path_join(e->dir, name);
	int r = write_file_atomic(path, text, strlen(text), 0600);
	return r < 0 ? err_fail_errno(r, "cannot write %s", path) : 0;
}

void basecache_release(struct basecache_entry *e)
{
	if (e->tmp)
		rm_rf(e->tmp);
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	free(e->bases);
	free(e->dir);
	free(e->tmp);
	free(e->disk);
	memset(e, 0, sizeof(*e));
	e->lock_fd = -1;
}

bool basecache_has(const char *cache_dir, const char *key_hex)
{
	_cleanup_free_ char *bases = basecache_dir(cache_dir);
	_cleanup_free_ char *dir = entry_path(bases, key_hex, "");
	return entry_complete(dir);
}

/* ---- list and prune ---- */

static bool is_key(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static void read_item(const char *bases, const char *key, struct basecache_item *it)
{
	memset(it, 0, sizeof(*it));
	it->key = xstrdup(key);
	_cleanup_free_ char *dir = path_join(bases, key);
	_cleanup_free_ char *ip = path_join(dir, "info");
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct strbuf inputs = STRBUF_INIT;
	sb_init(&inputs);
	if (read_file(ip, &text, &len) == 0) {
		for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *v = strchr(line, ' ');
			if (!v)
				continue;
			*v++ = '\0';
			if (!strcmp(line, "os"))
				str_set(&it->os, v);
			else if (!strcmp(line, "arch"))
				str_set(&it->arch, v);
			else if (!strcmp(line, "created"))
				it->created = (time_t)strtoll(v, NULL, 10);
			else if (!strcmp(line, "input")) {
				char *sp = strchr(v, ' ');
				if (sp)
					*sp = '=';
				sb_addf(&inputs, "%s%s", inputs.len ? ", " : "", v);
			}
		}
	}
	it->inputs = sb_detach(&inputs, NULL);
	_cleanup_free_ char *disk = path_join(dir, "disk.qcow2");
	_cleanup_free_ char *lu = path_join(dir, "last-use");
	struct stat st;
	if (stat(disk, &st) == 0)
		it->bytes = (uint64_t)st.st_blocks * 512;
	it->last_use = stat(lu, &st) == 0 ? st.st_mtime : it->created;
	_cleanup_free_ char *lp = entry_path(bases, key, ".lock");
	_cleanup_close_ int fd = open(lp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	it->in_use = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0;
}

static int by_last_use(const void *a, const void *b)
{
	const struct basecache_item *x = a, *y = b;
	return x->last_use < y->last_use ? 1 : x->last_use > y->last_use ? -1 : strcmp(x->key, y->key);
}

int basecache_list(const char *cache_dir, struct basecache_item **items, size_t *n)
{
	*items = NULL;
	*n = 0;
	_cleanup_free_ char *bases = basecache_dir(cache_dir);
	_cleanup_(closedirp) DIR *d = opendir(bases);
	if (!d)
		return errno == ENOENT ? 0 : err_fail_errno(-errno, "cannot read the cache %s", bases);
	size_t cap = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (!is_key(de->d_name))
			continue;
		_cleanup_free_ char *dir = path_join(bases, de->d_name);
		if (!entry_complete(dir))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct basecache_item *grown = realloc(*items, cap * sizeof(**items));
			if (!grown)
				abort();
			*items = grown;
		}
		read_item(bases, de->d_name, &(*items)[(*n)++]);
	}
	if (*n)
		qsort(*items, *n, sizeof(**items), by_last_use);
	return 0;
}

void basecache_items_free(struct basecache_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].key);
		free(items[i].os);
		free(items[i].arch);
		free(items[i].inputs);
	}
	free(items);
}

/* Remove one entry if no build holds it; 1 removed, 0 in use, <0 error. */
static int remove_entry(const char *bases, const struct basecache_item *it, const char *why)
{
	_cleanup_free_ char *lp = entry_path(bases, it->key, ".lock");
	_cleanup_close_ int fd = open(lp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		return 0;
	_cleanup_free_ char *dir = path_join(bases, it->key);
	int r = rm_rf(dir);
	if (r < 0)
		return err_fail_errno(r, "cannot remove the cached base %s", dir);
	unlink(lp);
	log_info("cache: removed %.16s (%s %s, %.1f MiB, %s)", it->key, it->os ? it->os : "?",
		 it->arch ? it->arch : "?", (double)it->bytes / (1 << 20), why);
	return 1;
}

int basecache_prune(const char *cache_dir, unsigned long long older_than, uint64_t max_bytes, unsigned *removed,
		    uint64_t *freed)
{
	*removed = 0;
	*freed = 0;
	struct basecache_item *items = NULL;
	size_t n = 0;
	int r = basecache_list(cache_dir, &items, &n);
	if (r < 0)
		return r;
	_cleanup_free_ char *bases = basecache_dir(cache_dir);
	sweep_tmp(bases, NULL);
	time_t now = time(NULL);
	uint64_t total = 0;
	bool *gone = xcalloc(n ? n : 1, sizeof(bool));
	for (size_t i = 0; i < n && r >= 0; i++) {
		bool all = !older_than && !max_bytes;
		if (all || (older_than && (unsigned long long)(now - items[i].last_use) > older_than)) {
			int q = remove_entry(bases, &items[i], all ? "prune" : "not used within --older-than");
			if (q < 0)
				r = q;
			gone[i] = q > 0;
		}
		if (!gone[i])
			total += items[i].bytes;
	}
	/* Least recently used last in the list: remove from the end. */
	for (size_t i = n; r >= 0 && max_bytes && total > max_bytes && i-- > 0;) {
		if (gone[i])
			continue;
		int q = remove_entry(bases, &items[i], "over --max-size");
		if (q < 0)
			r = q;
		if (q > 0) {
			gone[i] = true;
			total -= items[i].bytes;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (gone[i]) {
			(*removed)++;
			*freed += items[i].bytes;
		}
	free(gone);
	basecache_items_free(items, n);
	return r;
}
