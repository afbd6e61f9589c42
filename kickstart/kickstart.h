/* kickstart.h — RHEL kickstart rendering from the data-file template
 * kickstart/templates/ks.cfg, for an OEMDRV seed (ks.cfg at its root). */
#pragma once

#include "installer.h"

/* The installer_ops for RHEL: file ks.cfg, label OEMDRV. */
extern const struct installer_ops kickstart_installer;

/* Render ks.cfg. Ours: text install from the DVD, explicit partitions with no
 * swap (ESP on UEFI, biosboot on BIOS), the build user in wheel with the
 * build key (password locked unless password_hash), passwordless sudo in
 * %post, serial console on the kernel line, poweroff at the end;
 * p->late_commands go to a second %post section.
 *
 * With p->user_file (--kickstart FILE) the user's kickstart is used instead,
 * unchanged but for p->late_commands, appended as their own %post section.
 * It must let the build log in over SSH itself. */
int kickstart_render(const struct install_params *p, char **ks);

/* Quote a value for a kickstart command line (pykickstart splits lines
 * shell-like: "..." with \" and \\ escapes; # starts a comment otherwise). */
char *kickstart_quote(const char *value);

/* Why CMD cannot be a line of a %post section, or NULL when it can: a line
 * of it whose first non-blank character is '%' (pykickstart ends or opens a
 * section there: "%end", "%pre", ...), or a control character or Unicode
 * line break (Python's splitlines starts a new line at \r, \v, \f, \x1c-\x1e,
 * U+0085, U+2028, U+2029). *line_out: the 1-based line it found. */
const char *kickstart_script_line_problem(const char *cmd, unsigned *line_out);
