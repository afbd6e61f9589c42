/* doccheck.c — the problem lists of an install document check. */
#include <stdarg.h>

#include "doccheck.h"
#include "strbuf.h"
#include "util.h"

void doc_check_free(struct doc_check *c)
{
	strv_free(c->errors);
	strv_free(c->warnings);
	c->errors = c->warnings = NULL;
}

void doc_check_vadd(struct doc_check *c, int warning, const char *file, unsigned line, unsigned column,
		    const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "%s:%u", file, line);
	if (column)
		sb_addf(&sb, ":%u", column);
	sb_adds(&sb, ": ");
	sb_vaddf(&sb, fmt, ap);
	strv_push(warning ? &c->warnings : &c->errors, sb_str(&sb));
	sb_release(&sb);
}

void doc_check_add(struct doc_check *c, int warning, const char *file, unsigned line, unsigned column,
		   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	doc_check_vadd(c, warning, file, line, column, fmt, ap);
	va_end(ap);
}
