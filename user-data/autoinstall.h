/* autoinstall.h — Ubuntu autoinstall rendering: the cloud-config user-data
 * (an `autoinstall:` document, libyaml-emitted from the data-file templates
 * in user-data/templates/) and the NoCloud meta-data, for a CIDATA seed. */
#pragma once

#include <stddef.h>

#include "installer.h"

/* The installer_ops for Ubuntu: files user-data and meta-data, label CIDATA. */
extern const struct installer_ops autoinstall_installer;

/* Render user-data and meta-data. Ours: GPT + ESP on UEFI, msdos on BIOS,
 * no swap, the build user created by cloud-init with the build key (password
 * locked unless password_hash), late-commands (ours, then p->late_commands),
 * shutdown: poweroff.
 *
 * With p->user_file (--autoinstall FILE) the user's document is used instead
 * and nothing of ours is injected: a cloud-config with an `autoinstall:` key
 * is taken verbatim ("#cloud-config" is added when missing); a bare
 * autoinstall document (top-level `version:`) is wrapped under
 * `autoinstall:`. Only p->late_commands, which the user asked for explicitly,
 * are appended to its late-commands (the document is then re-emitted). The
 * user's document must itself let the build log in over SSH (for example
 * with the PKR_SSH_PASSWORD password). Errors name FILE:line:column. */
int autoinstall_render(const struct install_params *p, char **user_data, char **meta_data);
