/* digest.c — streaming EVP digests of files, and looking a file's digest up
 * in a checksum file (SHA256SUMS and the like) for `file:` references. */
#include "digest.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "fetch.h"
#include "log.h"
#include "strbuf.h"
#include "util.h"

/* Checksum files are small; anything bigger is not one. */
#define CHECKSUM_FILE_MAX (4u << 20)

const char *digest_algo_name(enum checksum_algo algo)
{
	switch (algo) {
	case CHECKSUM_MD5:
		return "md5";
	case CHECKSUM_SHA1:
		return "sha1";
	case CHECKSUM_SHA256:
		return "sha256";
	case CHECKSUM_SHA512:
		return "sha512";
	case CHECKSUM_FILE:
		return "file";
	default:
		return "none";
	}
}

enum checksum_algo digest_algo_for_hex_len(size_t len)
{
	switch (len) {
	case 32:
		return CHECKSUM_MD5;
	case 40:
		return CHECKSUM_SHA1;
	case 64:
		return CHECKSUM_SHA256;
	case 128:
		return CHECKSUM_SHA512;
	default:
		return CHECKSUM_NONE;
	}
}

static const EVP_MD *algo_md(enum checksum_algo algo)
{
	switch (algo) {
	case CHECKSUM_MD5:
		return EVP_md5();
	case CHECKSUM_SHA1:
		return EVP_sha1();
	case CHECKSUM_SHA256:
		return EVP_sha256();
	case CHECKSUM_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static void md_ctx_freep(EVP_MD_CTX **c)
{
	if (*c)
		EVP_MD_CTX_free(*c);
}

static void to_hex(const unsigned char *raw, unsigned n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	hex[2 * n] = '\0';
}

int digest_file(const char *path, enum checksum_algo algo, const char *progress_stage,
		char hex[static DIGEST_HEX_MAX])
{
	const EVP_MD *md = algo_md(algo);
	if (!md)
		return err_fail(-EINVAL, "No digest algorithm %s for %s", digest_algo_name(algo), path);
	_cleanup_close_ int fd = open_input(path);
	if (fd == -EINVAL || fd == -EISDIR)
		return err_verify(fd, "%s is not a regular file or block device", path);
	if (fd < 0)
		return err_fail_errno(fd, "Failed to open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_fail_errno(-errno, "Failed to stat %s", path);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	_cleanup_(md_ctx_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1)
		return err_fail(-ENOMEM, "Failed to start a %s digest", digest_algo_name(algo));

	_cleanup_free_ unsigned char *buf = xcalloc(1, 1 << 20);
	uint64_t done = 0;
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 20);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_fail_errno(-errno, "Failed to read %s", path);
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			return err_fail(-EIO, "Digest of %s failed", path);
		done += (uint64_t)n;
		if (progress_stage)
			log_progress(progress_stage, done, (uint64_t)st.st_size, "bytes");
	}
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (EVP_DigestFinal_ex(ctx, raw, &len) != 1)
		return err_fail(-EIO, "Digest of %s failed", path);
	to_hex(raw, len, hex);
	return 0;
}

int digest_buffer(const void *data, size_t len, enum checksum_algo algo, char hex[static DIGEST_HEX_MAX])
{
	const EVP_MD *md = algo_md(algo);
	if (!md)
		return err_fail(-EINVAL, "No digest algorithm %s", digest_algo_name(algo));
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (EVP_Digest(data, len, raw, &n, md, NULL) != 1)
		return err_fail(-EIO, "%s digest failed", digest_algo_name(algo));
	to_hex(raw, n, hex);
	return 0;
}

bool digest_hex_equal(const char *a, const char *b)
{
	return a && b && strlen(a) == strlen(b) && strcasecmp(a, b) == 0;
}

int digest_verify_file(const char *path, const char *what, enum checksum_algo algo, const char *expected_hex,
		       const char *progress_stage)
{
	char got[DIGEST_HEX_MAX];
	if (str_empty(expected_hex) || digest_algo_for_hex_len(strlen(expected_hex)) != algo)
		return err_usage("The expected %s digest for %s is not %s hex: '%s'", digest_algo_name(algo),
				 what, digest_algo_name(algo), expected_hex ? expected_hex : "");
	int r = digest_file(path, algo, progress_stage, got);
	if (r < 0)
		return r;
	if (!digest_hex_equal(got, expected_hex))
		return err_verify(-EBADMSG, "Checksum mismatch for %s: expected %s:%s, got %s:%s", what,
				  digest_algo_name(algo), expected_hex, digest_algo_name(algo), got);
	log_debug("%s: %s digest verified (%s)", what, digest_algo_name(algo), got);
	return 0;
}

static bool is_hex(const char *s, size_t n)
{
	/* Not strchr on a set: it finds the set's own terminator for a '\0'. */
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static enum checksum_algo bsd_tag_algo(const char *tag, size_t n)
{
	static const struct {
		const char *tag;
		enum checksum_algo algo;
	} tags[] = {
	    {"MD5", CHECKSUM_MD5},	   {"SHA1", CHECKSUM_SHA1},	{"SHA256", CHECKSUM_SHA256},
	    {"SHA2-256", CHECKSUM_SHA256}, {"SHA512", CHECKSUM_SHA512}, {"SHA2-512", CHECKSUM_SHA512},
	};
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++)
		if (strlen(tags[i].tag) == n && strncasecmp(tags[i].tag, tag, n) == 0)
			return tags[i].algo;
	return CHECKSUM_NONE;
}

/* Compare the file name of a checksum line with the wanted basename:
 * "./x.iso", "*x.iso" and "dir/x.iso" all name x.iso. */
static bool name_matches(const char *entry, size_t n, const char *name)
{
	if (n && entry[0] == '*')
		entry++, n--;
	const char *slash = memrchr(entry, '/', n);
	if (slash) {
		n -= (size_t)(slash + 1 - entry);
		entry = slash + 1;
	}
	return strlen(name) == n && strncmp(entry, name, n) == 0;
}

int digest_parse_checksum_file(const char *text, const char *source, const char *name,
			       enum checksum_algo want, enum checksum_algo *algo_out, char **hex_out)
{
	unsigned lineno = 0;
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		const char *next = eol ? eol + 1 : NULL;
		lineno++;
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		if (n == 0 || line[0] == '#') {
			line = next;
			continue;
		}
		const char *hex = NULL, *fname = NULL;
		size_t hex_len = 0, fname_len = 0;
		enum checksum_algo algo = CHECKSUM_NONE;
		const char *paren = memchr(line, '(', n);
		const char *sp = memchr(line, ' ', n);
		if (paren && (!sp || paren <= sp + 1)) {
			/* BSD: "SHA256 (name) = hex" */
			size_t tag_len = (size_t)(paren - line);
			while (tag_len && line[tag_len - 1] == ' ')
				tag_len--;
			const char *close = NULL;
			for (const char *p = line + n - 1; p > paren; p--)
				if (*p == ')') {
					close = p;
					break;
				}
			const char *eq = close ? memchr(close, '=', (size_t)(line + n - close)) : NULL;
			if (!eq)
				goto next_line;
			algo = bsd_tag_algo(line, tag_len);
			fname = paren + 1;
			fname_len = (size_t)(close - fname);
			hex = eq + 1;
			while (hex < line + n && *hex == ' ')
				hex++; /* never past the line: its trailing blanks are cut off n */
			hex_len = (size_t)(line + n - hex);
		} else if (sp) {
			/* GNU: "hex  name" or "hex *name" */
			hex = line;
			hex_len = (size_t)(sp - line);
			fname = sp;
			while (fname < line + n && *fname == ' ')
				fname++;
			fname_len = (size_t)(line + n - fname);
			algo = digest_algo_for_hex_len(hex_len);
		} else {
			goto next_line;
		}
		if (!name_matches(fname, fname_len, name))
			goto next_line;
		if (!is_hex(hex, hex_len) || digest_algo_for_hex_len(hex_len) == CHECKSUM_NONE ||
		    (algo != CHECKSUM_NONE && digest_algo_for_hex_len(hex_len) != algo))
			return err_verify(-EBADMSG, "%s:%u: malformed checksum line for %s", source, lineno,
					  name);
		algo = digest_algo_for_hex_len(hex_len);
		if (want != CHECKSUM_NONE && want != algo)
			goto next_line;
		*algo_out = algo;
		*hex_out = strndup(hex, hex_len);
		if (!*hex_out)
			abort();
		for (char *p = *hex_out; *p; p++)
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p - 'A' + 'a');
		return 0;
	next_line:
		line = next;
	}
	if (want != CHECKSUM_NONE)
		return err_verify(-ENOENT, "%s has no %s checksum for %s", source, digest_algo_name(want),
				  name);
	return err_verify(-ENOENT, "%s has no checksum for %s", source, name);
}

int digest_resolve_ref(const char *ref, const char *name, enum checksum_algo want,
		       enum checksum_algo *algo_out, char **hex_out)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *shown = NULL;
	size_t len = 0;
	int r;
	if (fetch_is_url(ref)) {
		struct fetch_options opt;
		fetch_options_init(&opt);
		/* A checksum file is the root of trust for the ISO: never over plain http. */
		opt.allow_http = false;
		shown = fetch_display_url(ref);
		r = fetch_to_memory(ref, &opt, CHECKSUM_FILE_MAX, &text, &len);
		if (r < 0)
			return r;
	} else {
		_cleanup_free_ char *path = fetch_local_path(ref);
		shown = xstrdup(path);
		r = read_file(path, &text, &len);
		if (r < 0)
			return err_fail_errno(r, "Failed to read checksum file %s", path);
	}
	if (memchr(text, '\0', len))
		return err_verify(-EBADMSG, "Checksum file %s is not text", shown);
	return digest_parse_checksum_file(text, shown, name, want, algo_out, hex_out);
}
