/* strbuf.c — growable string. Allocation failure aborts: there is no useful
 * recovery for a CLI tool out of memory. */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char empty_buf[1];

void sb_init(struct strbuf *sb)
{
	sb->buf = empty_buf;
	sb->len = 0;
	sb->alloc = 0;
}

static void sb_grow(struct strbuf *sb, size_t extra)
{
	if (!sb->buf)
		sb_init(sb);
	if (sb->len + extra + 1 <= sb->alloc)
		return;
	size_t want = sb->alloc ? sb->alloc : 64;
	while (want < sb->len + extra + 1)
		want *= 2;
	char *nb = realloc(sb->alloc ? sb->buf : NULL, want);
	if (!nb)
		abort();
	if (!sb->alloc)
		nb[0] = '\0';
	sb->buf = nb;
	sb->alloc = want;
}

void sb_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sb_init(sb);
}

void sb_release_ptr(struct strbuf *sb) { sb_release(sb); }

void sb_reset(struct strbuf *sb)
{
	if (!sb->buf)
		sb_init(sb);
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

void sb_add(struct strbuf *sb, const void *data, size_t n)
{
	sb_grow(sb, n);
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_adds(struct strbuf *sb, const char *s) { sb_add(sb, s, strlen(s)); }

void sb_addc(struct strbuf *sb, char c) { sb_add(sb, &c, 1); }

void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = fmt ? vsnprintf(NULL, 0, fmt, cp) : -1;
	va_end(cp);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void sb_add_indented(struct strbuf *sb, const char *s, const char *indent)
{
	int at_line_start = 1;
	for (; *s; s++) {
		if (at_line_start && *s != '\n')
			sb_adds(sb, indent);
		sb_addc(sb, *s);
		at_line_start = (*s == '\n');
	}
}

void sb_add_json_escaped(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"': sb_adds(sb, "\\\""); break;
		case '\\': sb_adds(sb, "\\\\"); break;
		case '\n': sb_adds(sb, "\\n"); break;
		case '\t': sb_adds(sb, "\\t"); break;
		case '\r': sb_adds(sb, "\\r"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				sb_addf(sb, "\\u%04x", c);
			else
				sb_addc(sb, (char)c);
		}
	}
}

void sb_add_printable(struct strbuf *sb, const char *s, bool keep_newlines)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\t' && !(c == '\n' && keep_newlines)) || c == 0x7f)
			sb_addf(sb, "\\x%02x", c);
		else
			sb_addc(sb, (char)c);
	}
}

void sb_add_json_str(struct strbuf *sb, const char *s)
{
	if (!s) {
		sb_adds(sb, "null");
		return;
	}
	sb_addc(sb, '"');
	sb_add_json_escaped(sb, s);
	sb_addc(sb, '"');
}

char *sb_detach(struct strbuf *sb, size_t *len)
{
	if (!sb->alloc)
		sb_grow(sb, 0);
	char *r = sb->buf;
	if (len)
		*len = sb->len;
	sb_init(sb);
	return r;
}

const char *sb_str(const struct strbuf *sb) { return sb->buf ? sb->buf : ""; }
