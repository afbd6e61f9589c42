/* iso.c — acquire, verify and inspect the installer ISO: the download cache
 * with its lock, the primary volume descriptor, and .disk/info / .treeinfo
 * read through libarchive. */
#include "iso.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "err.h"
#include "log.h"
#include "strbuf.h"
#include "util.h"

#define SECTOR 2048
#define PVD_OFFSET (16 * SECTOR)
#define INFO_FILE_MAX (256u << 10)

char *iso_default_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (!str_empty(xdg) && xdg[0] == '/')
		return path_join(xdg, "hnbuild");
	const char *home = getenv("HOME");
	if (str_empty(home))
		home = "/root";
	_cleanup_free_ char *cache = path_join(home, ".cache");
	return path_join(cache, "hnbuild");
}

char *iso_cache_base(const char *cache_dir, enum checksum_algo algo, const char *hex)
{
	char *p = NULL;
	if (asprintf(&p, "%s/iso/%s-%s", cache_dir, digest_algo_name(algo), hex) < 0)
		abort();
	return p;
}

void iso_info_free(struct iso_info *info)
{
	free(info->label);
	free(info->distribution);
	free(info->release);
	free(info->arch_name);
	free(info->kernel);
	free(info->initrd);
	free(info->stage2);
	*info = (struct iso_info){0};
}

void iso_image_free(struct iso_image *img)
{
	free(img->path);
	free(img->digest);
	iso_info_free(&img->info);
	*img = (struct iso_image){0};
}

/* ---- inspection ---- */

static void archive_read_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

/* "./casper/vmlinuz" and "/casper/vmlinuz" are "casper/vmlinuz". */
static const char *normalize_member(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

static enum arch_id arch_from_name(const char *name)
{
	const struct arch_info *a = arch_lookup(name);
	return a ? a->id : ARCH__COUNT;
}

static bool is_arch_word(const char *w)
{
	static const char *const words[] = {"amd64",   "arm64",	  "x86_64", "aarch64", "i386", "i686",
					    "ppc64el", "ppc64le", "s390x",  "riscv64", "armhf"};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcasecmp(w, words[i]) == 0)
			return true;
	return false;
}

static bool is_version_word(const char *w)
{
	if (!isdigit((unsigned char)w[0]))
		return false;
	bool dot = false;
	for (const char *p = w; *p; p++) {
		if (*p == '.')
			dot = true;
		else if (!isdigit((unsigned char)*p))
			return false;
	}
	return dot;
}

/* "Ubuntu-Server 24.04.1 LTS \"Noble Numbat\" - Release amd64 (20240827)",
 * or a label "Ubuntu-Server 24.04 LTS amd64". */
static bool parse_ubuntu_text(const char *text, struct iso_info *info)
{
	if (strncasecmp(text, "Ubuntu", 6) != 0)
		return false;
	_cleanup_free_ char *line = strndup(text, strcspn(text, "\r\n"));
	if (!line)
		abort();
	info->family = FAMILY_UBUNTU;
	str_set(&info->distribution, "Ubuntu");
	char *save = NULL;
	for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (!info->release && is_version_word(w))
			info->release = xstrdup(w);
		else if (is_arch_word(w))
			str_set(&info->arch_name, w);
	}
	return true;
}

/* Labels such as "RHEL-9-4-0-BaseOS-x86_64" or "RHEL-8-10-0-BaseOS-aarch64". */
static bool parse_rhel_label(const char *label, struct iso_info *info)
{
	if (strncasecmp(label, "RHEL-", 5) != 0)
		return false;
	_cleanup_free_ char *copy = xstrdup(label + 5);
	char *save = NULL;
	char *major = strtok_r(copy, "-", &save);
	char *minor = strtok_r(NULL, "-", &save);
	if (!major || !isdigit((unsigned char)major[0]))
		return false;
	info->family = FAMILY_RHEL;
	str_set(&info->distribution, "Red Hat Enterprise Linux");
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_adds(&sb, major);
	if (minor && isdigit((unsigned char)minor[0]))
		sb_addf(&sb, ".%s", minor);
	free(info->release);
	info->release = sb_detach(&sb, NULL);
	const char *last = strrchr(label, '-');
	if (last && is_arch_word(last + 1))
		str_set(&info->arch_name, last + 1);
	return true;
}

/* Value of key in [section] of an INI text (.treeinfo), or NULL. */
static char *ini_get(const char *text, const char *section, const char *key)
{
	bool in_section = false;
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		while (n && isspace((unsigned char)line[n - 1]))
			n--;
		while (n && isspace((unsigned char)*line))
			line++, n--;
		if (n >= 2 && line[0] == '[') {
			in_section = strlen(section) == n - 2 && strncasecmp(line + 1, section, n - 2) == 0;
		} else if (in_section && n && line[0] != '#' && line[0] != ';') {
			const char *eq = memchr(line, '=', n);
			if (eq) {
				size_t kn = (size_t)(eq - line);
				while (kn && isspace((unsigned char)line[kn - 1]))
					kn--;
				if (kn == strlen(key) && strncasecmp(line, key, kn) == 0) {
					const char *v = eq + 1;
					while (v < line + n && isspace((unsigned char)*v))
						v++;
					return strndup(v, (size_t)(line + n - v));
				}
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}

static bool is_rhel_like(const char *name, const char *shortname)
{
	static const char *const names[] = {"Red Hat Enterprise Linux", "Rocky Linux", "AlmaLinux",
					    "CentOS Stream", "Oracle Linux"};
	if (shortname && strcasecmp(shortname, "RHEL") == 0)
		return true;
	for (size_t i = 0; name && i < ARRAY_SIZE(names); i++)
		if (strncasecmp(name, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

static bool parse_treeinfo(const char *text, struct iso_info *info)
{
	_cleanup_free_ char *name = ini_get(text, "release", "name");
	_cleanup_free_ char *shortname = ini_get(text, "release", "short");
	_cleanup_free_ char *version = ini_get(text, "release", "version");
	_cleanup_free_ char *arch = ini_get(text, "tree", "arch");
	if (!name)
		name = ini_get(text, "general", "family");
	if (!version)
		version = ini_get(text, "general", "version");
	if (!arch)
		arch = ini_get(text, "general", "arch");
	if (!is_rhel_like(name, shortname))
		return false;
	info->family = FAMILY_RHEL;
	str_set(&info->distribution, name ? name : "Red Hat Enterprise Linux");
	str_set(&info->release, version);
	str_set(&info->arch_name, arch);
	if (arch) {
		_cleanup_free_ char *section = NULL;
		struct strbuf sb = STRBUF_INIT;
		sb_init(&sb);
		sb_addf(&sb, "images-%s", arch);
		section = sb_detach(&sb, NULL);
		char *k = ini_get(text, section, "kernel"), *i = ini_get(text, section, "initrd");
		if (k && i) {
			free(info->kernel);
			free(info->initrd);
			info->kernel = k;
			info->initrd = i;
		} else {
			free(k);
			free(i);
		}
	}
	char *stage2 = ini_get(text, "stage2", "mainimage");
	if (stage2) {
		free(info->stage2);
		info->stage2 = stage2;
	}
	return true;
}

static int read_pvd(int fd, const char *path, struct iso_info *info)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_fail_errno(-errno, "Failed to stat %s", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return err_verify(-EBADMSG, "%s is not a regular file", path);
	info->size = (uint64_t)st.st_size;
	unsigned char pvd[SECTOR];
	if (st.st_size < PVD_OFFSET + SECTOR ||
	    pread(fd, pvd, sizeof(pvd), PVD_OFFSET) != (ssize_t)sizeof(pvd))
		return err_verify(-EBADMSG,
				  "%s is not an ISO9660 image: only %lld bytes, no primary volume descriptor",
				  path, (long long)st.st_size);
	if (pvd[0] != 1 || memcmp(pvd + 1, "CD001", 5) != 0)
		return err_verify(
		    -EBADMSG, "%s is not an ISO9660 image: no primary volume descriptor at sector 16", path);
	uint32_t blocks =
	    (uint32_t)pvd[80] | (uint32_t)pvd[81] << 8 | (uint32_t)pvd[82] << 16 | (uint32_t)pvd[83] << 24;
	unsigned block_size = (unsigned)pvd[128] | (unsigned)pvd[129] << 8;
	uint64_t expected = (uint64_t)blocks * block_size;
	if (block_size == 0 || expected > (uint64_t)st.st_size)
		return err_verify(-EBADMSG,
				  "%s is truncated: %lld of %llu bytes (the download may be incomplete)",
				  path, (long long)st.st_size, (unsigned long long)expected);
	size_t n = 32;
	while (n && (pvd[40 + n - 1] == ' ' || pvd[40 + n - 1] == '\0'))
		n--;
	info->label = strndup((const char *)pvd + 40, n);
	if (!info->label)
		abort();
	return 0;
}

static int read_entry_text(struct archive *a, struct archive_entry *e, const char *path, const char *member,
			   char **out)
{
	if (archive_entry_size(e) > (la_int64_t)INFO_FILE_MAX)
		return err_verify(-EBADMSG, "%s: %s is implausibly large", path, member);
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	char buf[8192];
	la_ssize_t n;
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)n);
	if (n < 0) {
		sb_release(&sb);
		return err_verify(-EBADMSG, "Cannot read %s from %s: %s", member, path,
				  archive_error_string(a));
	}
	free(*out);
	*out = sb_detach(&sb, NULL);
	return 0;
}

static bool has_member(char *const *members, const char *name)
{
	for (size_t i = 0; members && members[i]; i++)
		if (strcasecmp(members[i], name) == 0)
			return true;
	return false;
}

static void strv_freep(char ***v)
{
	strv_free(*v);
}

int iso_inspect(const char *path, struct iso_info *out)
{
	struct iso_info info = {0};
	_cleanup_(archive_read_freep) struct archive *a = NULL;
	_cleanup_free_ char *disk_info = NULL, *treeinfo = NULL;
	_cleanup_(strv_freep) char **members = NULL;
	_cleanup_close_ int fd = open_input(path);
	if (fd == -EINVAL || fd == -EISDIR)
		return err_verify(fd, "%s is not an ISO file (not a regular file or block device)", path);
	if (fd < 0)
		return err_fail_errno(fd, "Failed to open ISO %s", path);
	int r = read_pvd(fd, path, &info);
	if (r < 0)
		goto fail;

	a = archive_read_new();
	if (!a || archive_read_support_format_iso9660(a) != ARCHIVE_OK ||
	    archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		r = err_verify(-EBADMSG, "Cannot read the ISO9660 directory of %s: %s", path,
			       a ? archive_error_string(a) : "out of memory");
		goto fail;
	}
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = err_verify(-EBADMSG,
				       "Cannot read the ISO9660 directory of %s (truncated or damaged?): %s",
				       path, archive_error_string(a));
			goto fail;
		}
		const char *name = normalize_member(archive_entry_pathname(e));
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (strncasecmp(name, "pool/", 5) == 0 || strncasecmp(name, "BaseOS/", 7) == 0 ||
		    strncasecmp(name, "AppStream/", 10) == 0)
			continue; /* thousands of packages; never looked up */
		strv_push(&members, name);
		if (strcasecmp(name, ".disk/info") == 0)
			r = read_entry_text(a, e, path, name, &disk_info);
		else if (strcasecmp(name, ".treeinfo") == 0)
			r = read_entry_text(a, e, path, name, &treeinfo);
		if (r < 0)
			goto fail;
	}

	bool known = false;
	if (treeinfo && parse_treeinfo(treeinfo, &info))
		known = true;
	else if (disk_info && parse_ubuntu_text(disk_info, &info))
		known = true;
	else if (parse_ubuntu_text(info.label, &info) || parse_rhel_label(info.label, &info))
		known = true;
	if (!known) {
		r = err_verify(
		    -EMEDIUMTYPE,
		    "ISO %s (label '%s') is neither an Ubuntu live-server ISO (.disk/info) nor a RHEL DVD "
		    "ISO (.treeinfo)",
		    path, info.label);
		goto fail;
	}
	if (!info.release)
		info.release = xstrdup("unknown");
	if (!info.arch_name)
		info.arch_name = xstrdup("unknown");
	info.arch = arch_from_name(info.arch_name);
	if (info.family == FAMILY_UBUNTU) {
		str_set(&info.kernel, "casper/vmlinuz");
		str_set(&info.initrd,
			has_member(members, "casper/initrd") || !has_member(members, "casper/initrd.gz")
			    ? "casper/initrd"
			    : "casper/initrd.gz");
	} else {
		if (!info.kernel)
			info.kernel = xstrdup("images/pxeboot/vmlinuz");
		if (!info.initrd)
			info.initrd = xstrdup("images/pxeboot/initrd.img");
		if (!info.stage2 && has_member(members, "images/install.img"))
			info.stage2 = xstrdup("images/install.img");
	}
	const char *missing = !has_member(members, info.kernel)	  ? info.kernel
			      : !has_member(members, info.initrd) ? info.initrd
								  : NULL;
	if (missing) {
		r = err_verify(
		    -ENOENT, "ISO %s (label '%s', %s %s %s) has no %s: not an installer ISO hnbuild can boot",
		    path, info.label, info.distribution, info.release, info.arch_name, missing);
		goto fail;
	}
	*out = info;
	return 0;
fail:
	iso_info_free(&info);
	return r;
}

static bool release_matches(const char *wanted, const char *have)
{
	size_t n = strlen(wanted);
	return strncmp(wanted, have, n) == 0 && (have[n] == '\0' || have[n] == '.');
}

int iso_check_matches(const struct iso_info *info, const char *name, enum os_id os, enum arch_id arch)
{
	const struct os_info *o = os_by_id(os);
	const struct arch_info *ar = arch_by_id(arch);
	if (!o || !ar)
		return err_usage("Unknown os or arch for ISO %s", name);
	if (info->family == o->family && release_matches(o->release, info->release) && info->arch == arch)
		return 0;
	return err_verify(-EMEDIUMTYPE,
			  "ISO %s is %s %s %s (label '%s') but the build asks for --os %s --arch %s", name,
			  info->distribution, info->release, info->arch_name, info->label, o->name, ar->name);
}

/* ---- extraction ---- */

int iso_extract_file(const char *iso_path, const char *member, const char *dest)
{
	_cleanup_(archive_read_freep) struct archive *a = archive_read_new();
	if (!a || archive_read_support_format_iso9660(a) != ARCHIVE_OK ||
	    archive_read_open_filename(a, iso_path, 65536) != ARCHIVE_OK)
		return err_verify(-EBADMSG, "Cannot read ISO %s: %s", iso_path,
				  a ? archive_error_string(a) : "out of memory");
	const char *want = normalize_member(member);
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN)
			return err_verify(-EBADMSG, "Cannot read ISO %s: %s", iso_path,
					  archive_error_string(a));
		if (archive_entry_filetype(e) != AE_IFREG ||
		    strcasecmp(normalize_member(archive_entry_pathname(e)), want) != 0)
			continue;

		_cleanup_strbuf_ struct strbuf tmp = STRBUF_INIT;
		sb_init(&tmp);
		sb_addf(&tmp, "%s.tmp.XXXXXX", dest);
		_cleanup_close_ int fd = mkostemp(tmp.buf, O_CLOEXEC);
		if (fd < 0)
			return err_fail_errno(-errno, "Failed to create %s", tmp.buf);
		int r = 0;
		if (archive_read_data_into_fd(a, fd) != ARCHIVE_OK)
			r = err_verify(-EBADMSG, "Failed to extract %s from %s: %s", want, iso_path,
				       archive_error_string(a));
		else if (fchmod(fd, 0644) < 0 || close(TAKE_FD(fd)) < 0)
			r = err_fail_errno(-errno, "Failed to write %s", tmp.buf);
		else if (rename(tmp.buf, dest) < 0)
			r = err_fail_errno(-errno, "Failed to rename %s to %s", tmp.buf, dest);
		if (r < 0)
			unlink(tmp.buf);
		return r;
	}
	return err_verify(-ENOENT, "ISO %s has no %s", iso_path, want);
}

/* ---- acquisition ---- */

/* The last path component of a URL or path, without query. */
static char *source_basename(const char *src)
{
	size_t n = strcspn(src, "?#");
	_cleanup_free_ char *s = strndup(src, n);
	if (!s)
		abort();
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	const char *slash = strrchr(s, '/');
	return xstrdup(slash ? slash + 1 : s);
}

/* The digest the spec asks for, resolving file: references. */
static int wanted_digest(const struct checksum *c, const char *src, enum checksum_algo *algo, char **hex)
{
	if (c->algo == CHECKSUM_FILE) {
		_cleanup_free_ char *base = source_basename(src);
		return digest_resolve_ref(c->file_ref, base, c->file_algo, algo, hex);
	}
	*algo = c->algo;
	*hex = c->algo == CHECKSUM_NONE ? NULL : xstrdup(c->hex);
	if (c->algo != CHECKSUM_NONE &&
	    (str_empty(c->hex) || digest_algo_for_hex_len(strlen(c->hex)) != c->algo))
		return err_usage("The ISO checksum is not a valid %s digest", digest_algo_name(c->algo));
	return 0;
}

static int lock_cache(const char *lock_path, const char *shown, int *fd_out)
{
	_cleanup_close_ int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_fail_errno(-errno, "Failed to open the cache lock %s", lock_path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return err_fail_errno(-errno, "Failed to lock %s", lock_path);
		log_info("Waiting for another build downloading %s", shown);
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR)
				return err_fail_errno(-errno, "Failed to lock %s", lock_path);
	}
	*fd_out = TAKE_FD(fd);
	return 0;
}

static int acquire_url(const struct build_spec *spec, const char *cache_dir, const struct fetch_options *fopt,
		       enum checksum_algo algo, const char *hex, struct iso_image *out)
{
	_cleanup_free_ char *shown = fetch_display_url(spec->iso);
	_cleanup_free_ char *iso_dir = path_join(cache_dir, "iso");
	int r = mkdir_p(iso_dir, 0755);
	if (r < 0)
		return err_fail_errno(r, "Failed to create the cache directory %s", iso_dir);

	_cleanup_strbuf_ struct strbuf key = STRBUF_INIT;
	sb_init(&key);
	if (algo == CHECKSUM_NONE) {
		char url_hex[DIGEST_HEX_MAX];
		r = digest_buffer(spec->iso, strlen(spec->iso), CHECKSUM_SHA256, url_hex);
		if (r < 0)
			return r;
		sb_addf(&key, "url-%s", url_hex);
	}
	_cleanup_free_ char *base = algo == CHECKSUM_NONE ? path_join(iso_dir, sb_str(&key))
							  : iso_cache_base(cache_dir, algo, hex);
	_cleanup_strbuf_ struct strbuf final = STRBUF_INIT, part = STRBUF_INIT, lock = STRBUF_INIT;
	sb_init(&final);
	sb_init(&part);
	sb_init(&lock);
	sb_addf(&final, "%s.iso", base);
	sb_addf(&part, "%s.iso.part", base);
	sb_addf(&lock, "%s.lock", base);

	_cleanup_close_ int lock_fd = -1;
	r = lock_cache(sb_str(&lock), shown, &lock_fd);
	if (r < 0)
		return r;

	if (access(sb_str(&final), F_OK) == 0) {
		if (algo == CHECKSUM_NONE) {
			log_info("Using cached %s (not verified: no checksum given)", shown);
			str_set(&out->path, sb_str(&final));
			return 0;
		}
		r = digest_verify_file(sb_str(&final), sb_str(&final), algo, hex, "verify");
		if (r == 0) {
			log_info("Using cached %s", shown);
			str_set(&out->path, sb_str(&final));
			return 0;
		}
		if (err_exit_code() != EXIT_VERIFY)
			return r;
		log_warn("Cached %s does not match its digest; downloading it again", sb_str(&final));
		unlink(sb_str(&final));
	}

	/* A partial download from an earlier run is resumed once; if the result
	 * fails verification it is discarded and fetched again from the start. */
	struct stat st;
	bool resumed = stat(sb_str(&part), &st) == 0 && st.st_size > 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct fetch_options o = *fopt;
		if (!o.stage)
			o.stage = "download";
		log_info("Downloading %s%s", shown, resumed ? " (resuming)" : "");
		r = fetch_url(spec->iso, sb_str(&part), &o);
		if (r < 0) {
			/* Keep a partial download for the next run to resume; drop an empty one. */
			if (stat(sb_str(&part), &st) == 0 && st.st_size == 0)
				unlink(sb_str(&part));
			return r;
		}
		if (algo == CHECKSUM_NONE) {
			log_warn("%s is not verified: no checksum given", shown);
			break;
		}
		r = digest_verify_file(sb_str(&part), shown, algo, hex, "verify");
		if (r == 0)
			break;
		unlink(sb_str(&part));
		if (err_exit_code() != EXIT_VERIFY || !resumed)
			return r;
		log_warn("Resumed download of %s does not match its digest; starting over", shown);
		resumed = false;
	}
	if (rename(sb_str(&part), sb_str(&final)) < 0)
		return err_fail_errno(-errno, "Failed to move the download to %s", sb_str(&final));
	str_set(&out->path, sb_str(&final));
	out->downloaded = true;
	return 0;
}

int iso_acquire_ex(const struct build_spec *spec, const char *cache_dir, const struct fetch_options *fopt,
		   struct iso_image *out)
{
	struct iso_image img = {0};
	struct fetch_options defaults;
	if (!fopt) {
		fetch_options_init(&defaults);
		fopt = &defaults;
	}
	if (str_empty(spec->iso))
		return err_usage("No installer ISO given (--iso or ISO_URL)");
	_cleanup_free_ char *hex = NULL, *shown = NULL;
	enum checksum_algo algo = CHECKSUM_NONE;
	int r = wanted_digest(&spec->iso_checksum, spec->iso, &algo, &hex);
	if (r < 0)
		return r;

	if (fetch_is_url(spec->iso)) {
		struct fetch_options o = *fopt;
		/* Plain http is acceptable only when the bytes are verified afterwards. */
		o.allow_http = algo != CHECKSUM_NONE;
		_cleanup_free_ char *cache = cache_dir ? xstrdup(cache_dir) : iso_default_cache_dir();
		r = acquire_url(spec, cache, &o, algo, hex, &img);
		if (r < 0)
			goto fail;
	} else {
		_cleanup_free_ char *path = fetch_local_path(spec->iso);
		if (!path) {
			r = err_usage("--iso %s: not a file path or an http(s) URL", spec->iso);
			goto fail;
		}
		if (access(path, R_OK) < 0) {
			r = err_usage("--iso %s: %s", path, strerror(errno));
			goto fail;
		}
		if (algo == CHECKSUM_NONE) {
			log_warn("ISO %s is not verified: no checksum given", path);
		} else {
			r = digest_verify_file(path, path, algo, hex, "verify");
			if (r < 0)
				goto fail;
		}
		img.path = TAKE_PTR(path);
	}
	img.algo = algo;
	img.digest = TAKE_PTR(hex);
	r = iso_inspect(img.path, &img.info);
	if (r < 0)
		goto fail;
	shown = fetch_is_url(spec->iso) ? fetch_display_url(spec->iso) : xstrdup(spec->iso);
	r = iso_check_matches(&img.info, shown, spec->os, spec->arch);
	if (r < 0)
		goto fail;
	log_info("ISO %s: %s %s %s (label '%s')", shown, img.info.distribution, img.info.release,
		 img.info.arch_name, img.info.label);
	*out = img;
	return 0;
fail:
	iso_image_free(&img);
	return r;
}

int iso_acquire(const struct build_spec *spec, const char *cache_dir, struct iso_image *out)
{
	return iso_acquire_ex(spec, cache_dir, NULL, out);
}
