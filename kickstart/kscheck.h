/* kscheck.h — checks a user's RHEL kickstart (--kickstart FILE) with the
 * rules of pykickstart's RHEL8 and RHEL9 handlers, the parser anaconda runs. */
#pragma once

#include <stddef.h>

#include "doccheck.h" /* struct doc_check */
#include "targets.h"  /* enum os_id: OS_RHEL8, OS_RHEL9 */

/* Check a kickstart text as pykickstart's RHEL<8|9> handler parses it (read
 * from pykickstart 3.74, commit 435ebbef): unknown, removed or misspelt
 * commands, sections and options, ambiguous option prefixes, missing
 * values and required options, sections without %end, text that is not
 * UTF-8. What the installer refuses goes to out->errors; what it accepts
 * but ignores or takes otherwise than written (deprecated commands and
 * options, repeated commands, %include and %ksappend, which are not
 * followed) goes to out->warnings, each "file:line[:column]: text" with
 * 1-based line (as pykickstart counts them) and column (in characters).
 * Every problem is reported, not just the first. Returns 0 (also when
 * problems were found), or -EINVAL when os is not a RHEL target. */
int kickstart_check(const char *file, const char *text, size_t len, enum os_id os, struct doc_check *out);
