/* strbuf.h — a small growable string, used instead of snprintf into fixed
 * arrays. Always NUL-terminated; buf is never NULL after sb_init. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_init(struct strbuf *sb);
void sb_release(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_add(struct strbuf *sb, const void *data, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append s with every line prefixed by indent (for nested YAML blocks). */
void sb_add_indented(struct strbuf *sb, const char *s, const char *indent);
/* Append s escaped for the inside of a JSON string (also valid in a TOML
 * basic string): \" \\ \n \t \r, other control characters as \uXXXX. */
void sb_add_json_escaped(struct strbuf *sb, const char *s);
/* Append s for a terminal or a log line: control characters (ESC, CR, ...)
 * and DEL as \xNN, so a value can neither forge a line nor drive the
 * terminal; newlines are kept only with keep_newlines (tabs always). */
void sb_add_printable(struct strbuf *sb, const char *s, bool keep_newlines);
/* S as a JSON string in quotes, or null when S is NULL */
void sb_add_json_str(struct strbuf *sb, const char *s);
/* Returns the buffer (caller frees) and resets sb. */
char *sb_detach(struct strbuf *sb, size_t *len);
const char *sb_str(const struct strbuf *sb);
void sb_release_ptr(struct strbuf *sb);
#define _cleanup_strbuf_ __attribute__((cleanup(sb_release_ptr)))
