/* doccheck.h — what a check of a user's install document (--autoinstall,
 * --kickstart) found: the problems the real installer refuses, and what it
 * accepts though probably not as meant. */
#pragma once

#include <stdarg.h>

struct doc_check {
	char **errors;	 /* "FILE:LINE:COLUMN: text" (COLUMN may be left out): the installer refuses it */
	char **warnings; /* same form: accepted, but ignored or not as written */
};

void doc_check_free(struct doc_check *c);
/* Append "FILE:LINE[:COLUMN]: text" (column 0: none) to errors or warnings. */
void doc_check_add(struct doc_check *c, int warning, const char *file, unsigned line, unsigned column,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The same with the message's arguments as a va_list. */
void doc_check_vadd(struct doc_check *c, int warning, const char *file, unsigned line, unsigned column,
		    const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
