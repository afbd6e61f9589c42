/* generalize.h — the generalize stage: offline (libguestfs, no guest code
 * runs, so arm64 disks work on an x86 host) it scrubs what made the build VM
 * one machine (hygiene.h's rule table: machine-id, SSH host keys, cloud-init
 * state, installer copies of the install data, registrations, histories,
 * caches), removes the build user, truncates logs, installs the first-boot
 * `nodeadm init` unit and optionally zeroes free space. */
#pragma once

#include <stdbool.h>

#include <guestfs.h>

#include "targets.h"

/* Where generalize puts the first-boot join. The script is the same one the
 * `hnbuild userdata` cloud-config writes and runs (same marker), so whichever
 * runs first joins and the other does nothing. */
#define GENERALIZE_INIT_UNIT "hnbuild-nodeadm-init.service"
#define GENERALIZE_INIT_UNIT_PATH "/etc/systemd/system/" GENERALIZE_INIT_UNIT
#define GENERALIZE_INIT_WANTS "/etc/systemd/system/multi-user.target.wants/" GENERALIZE_INIT_UNIT
#define GENERALIZE_HOSTKEYS_UNIT "hnbuild-ssh-hostkeys.service"

/* How the build user logs in to the provision boot: the install data carry
 * no key (an installed base is shared by many builds, see basecache.h), so
 * before that boot the build writes its own key offline into
 * GENERALIZE_ACCESS_KEYS/<user> and points sshd there with the drop-in (or,
 * where sshd_config includes no sshd_config.d, a marked block at the top of
 * sshd_config). generalize takes all of it out again; the hygiene gate
 * fails an image that still has any of it. */
#define GENERALIZE_ACCESS_DROPIN "/etc/ssh/sshd_config.d/00-hnbuild-build.conf"
#define GENERALIZE_ACCESS_KEYS "/etc/ssh/authorized_keys"
#define GENERALIZE_ACCESS_BEGIN "# hnbuild-build access: begin (generalize removes this block)"
#define GENERALIZE_ACCESS_END "# hnbuild-build access: end"

/* Grant the build user key access on an open, mounted, writable image. */
int generalize_grant_access(guestfs_h *g, const char *user, const char *public_key);

struct generalize_params {
	const char *disk;	/* the provisioned disk, edited in place */
	const char *format;	/* "qcow2" (default when NULL) or "raw" */
	const char *build_user; /* NULL = CREDENTIAL_DEFAULT_USER ("hnbuild") */
	bool remove_build_user; /* remove the account, home, mail, crontab, sudoers rules and group
				 * memberships; false keeps the account with its password locked.
				 * Lines with the build key (HYGIENE_BUILD_KEY_COMMENT) are removed
				 * from every authorized_keys either way. */
	enum os_family family;
	bool zero_free_space;	     /* zero free space and trim, for compact exports */
	const char *proxy_for_image; /* NULL or URL: the provision stage's proxy drop-ins are kept
				      * (generalize never removes them; recorded in the log) */
	bool kvm;		     /* appliance may use KVM (proved by a real boot); else TCG */
};

/* Open the disk read-write, generalize it, shut down cleanly. Returns 0 or
 * -errno with the failing step and path in err_message(). */
int generalize_disk(const struct generalize_params *p);

/* The same on an image already open read-write with its filesystems
 * mounted (guestimg_open): lets the build run generalize and the hygiene
 * gate in one appliance launch. Does not zero free space (see
 * generalize_zero_free_space). */
int generalize_guest(guestfs_h *g, const struct generalize_params *p);
/* Zero the free space of every mounted filesystem and trim it. */
int generalize_zero_free_space(guestfs_h *g);

/* The unit and script text installed by generalize (tests, inspect). */
int generalize_render_unit(char **out);
