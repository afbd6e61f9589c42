/* aicheck.h — checks a user's Ubuntu autoinstall document (--autoinstall FILE)
 * with the rules of the subiquity on each Ubuntu target's install media. */
#pragma once

#include <stddef.h>

#include "doccheck.h"
#include "spec.h"    /* enum firmware_kind */
#include "targets.h" /* enum os_id */

/* Check an autoinstall document (a #cloud-config with an `autoinstall:` key,
 * or the bare autoinstall mapping) as the subiquity of that Ubuntu release
 * does: ubuntu20 as subiquity 21.08.2 (20.04.3 media), ubuntu22 as 22.04.2
 * (22.04 media), ubuntu24 as 24.04.3 (24.04.3 media). What it refuses goes
 * to out->errors, what it ignores or takes otherwise than written to
 * out->warnings, each as "file:line:column: text" (libyaml marks, 1-based).
 * Returns 0 (also when problems were found), or -EINVAL when os is not an
 * Ubuntu target or fw is neither FIRMWARE_BIOS nor FIRMWARE_UEFI. */
int autoinstall_check(const char *file, const char *text, size_t len, enum os_id os, enum firmware_kind fw,
		      struct doc_check *out);
