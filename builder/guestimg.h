/* guestimg.h — open a disk image with libguestfs (direct backend, TCG unless
 * the environment says otherwise), find the installed system in it and mount
 * its filesystems at their mountpoints; shared by generalize, the hygiene
 * gate and `hnbuild inspect`. Errors go to err.h, never to stderr. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <guestfs.h>

struct guestimg_open_params {
	const char *disk;
	const char *format; /* "qcow2", "raw", "vmdk"; NULL = let qemu probe (never for writable) */
	bool readonly;
	bool discard; /* writable: allow fstrim to punch holes in the image */
	bool kvm;     /* let the appliance use KVM (only when a real boot proved it
		       * works); false = force TCG. LIBGUESTFS_BACKEND(_SETTINGS)
		       * in the environment override both. */
	const char *mounts; /* "DEVICE MOUNTPOINT" lines, from guestimg_mounts() on
			     * this disk or the base it overlays: mounted as they
			     * are instead of inspecting (about 10 s under TCG);
			     * inspection after all when "/" will not mount.
			     * NULL = inspect. */
};

/* Launch the appliance on the disk and mount the installed system: through
 * libguestfs inspection when it recognises the OS (every filesystem at its
 * fstab mountpoint, /boot/efi included), else the first filesystem that
 * holds /etc as / and /etc/fstab's /boot and /boot/efi by UUID= or LABEL=.
 * Returns 0 with *out set, or -errno with err_fail/err_verify recorded:
 * -ENOENT/-EIO (exit 3) when the image cannot be read at all, -ENODEV when
 * it holds no Linux root. */
int guestimg_open(const struct guestimg_open_params *p, guestfs_h **out);

/* What is mounted now, as guestimg_open_params.mounts takes it. Caller
 * frees; NULL (error recorded) when libguestfs cannot say. */
char *guestimg_mounts(guestfs_h *g);

/* Unmount, sync and shut the appliance down (reporting a failed write-back
 * as an error), then free the handle. Safe on NULL. Returns 0 or -EIO. */
int guestimg_close(guestfs_h *g);
/* For _cleanup_: close without error reporting (on error paths). */
void guestimg_closep(guestfs_h **g);
#define _cleanup_guestfs_ __attribute__((cleanup(guestimg_closep)))

/* The last libguestfs error text for messages ("unknown error" if none). */
const char *guestimg_error(guestfs_h *g);

/* Small helpers on an open, mounted image. Paths are guest paths. */
bool guestimg_exists(guestfs_h *g, const char *path);  /* any type, symlinks not followed */
bool guestimg_is_file(guestfs_h *g, const char *path); /* regular file, not a symlink */
bool guestimg_is_dir(guestfs_h *g, const char *path);  /* directory, not a symlink */
bool guestimg_is_symlink(guestfs_h *g, const char *path);
/* Size of a regular file, or -1 when it is not one. */
long long guestimg_file_size(guestfs_h *g, const char *path);
/* Whole file contents (NUL-terminated, may hold NULs). -ENOENT if missing. */
int guestimg_read(guestfs_h *g, const char *path, char **data, size_t *len);
/* Shell-style glob (no dotfiles for a bare *); directories come back
 * without the trailing slash. Caller frees with strv_free. */
char **guestimg_glob(guestfs_h *g, const char *pattern);
