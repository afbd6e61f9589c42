/* guestimg.c — libguestfs handle set-up shared by generalize, hygiene and
 * inspect: direct backend with TCG (KVM hangs on our build hosts), errors
 * kept out of stderr, the guest's filesystems mounted where its fstab says. */
#include "guestimg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"
#include "strbuf.h"
#include "util.h"

const char *guestimg_error(guestfs_h *g)
{
	const char *e = g ? guestfs_last_error(g) : NULL;
	return e && *e ? e : "unknown error";
}

static void free_guestfs_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

struct mountpoint {
	char *mp;
	char *dev;
};

static int by_mountpoint_length(const void *a, const void *b)
{
	const struct mountpoint *x = a, *y = b;
	size_t lx = strlen(x->mp), ly = strlen(y->mp);
	return lx < ly ? -1 : lx > ly ? 1 : strcmp(x->mp, y->mp);
}

static int mount_one(guestfs_h *g, const char *dev, const char *mp, bool readonly)
{
	return readonly ? guestfs_mount_ro(g, dev, mp) : guestfs_mount(g, dev, mp);
}

/* Mount what libguestfs inspection found. Returns 1 when a root was mounted,
 * 0 when inspection found no OS, -errno on failure. */
static int mount_inspected(guestfs_h *g, bool readonly)
{
	char **roots = guestfs_inspect_os(g);
	if (!roots)
		return 0; /* inspection failed: try the fallback */
	if (!roots[0]) {
		free_guestfs_strv(roots);
		return 0;
	}
	if (roots[1])
		log_warn("the image holds more than one operating system; using the one on %s", roots[0]);
	char **mps = guestfs_inspect_get_mountpoints(g, roots[0]);
	if (!mps) {
		int r = err_fail(-EIO, "Cannot read the mountpoints of %s: %s", roots[0], guestimg_error(g));
		free_guestfs_strv(roots);
		return r;
	}
	size_t n = strv_len(mps) / 2;
	struct mountpoint *list = xcalloc(n ? n : 1, sizeof(*list));
	for (size_t i = 0; i < n; i++)
		list[i] = (struct mountpoint){mps[2 * i], mps[2 * i + 1]};
	qsort(list, n, sizeof(*list), by_mountpoint_length);
	int r = 1;
	for (size_t i = 0; i < n; i++) {
		if (mount_one(g, list[i].dev, list[i].mp, readonly) < 0) {
			if (!strcmp(list[i].mp, "/")) {
				r = err_fail(-EIO, "Cannot mount the root filesystem %s: %s", list[i].dev,
					     guestimg_error(g));
				break;
			}
			log_warn("cannot mount %s at %s: %s", list[i].dev, list[i].mp, guestimg_error(g));
		}
	}
	free(list);
	free_guestfs_strv(mps);
	free_guestfs_strv(roots);
	return r;
}

/* Mount a list guestimg_mounts() made. 1 when "/" mounted; 0 (nothing left
 * mounted) when the list does not fit this disk, so that inspection runs. */
static int mount_listed(guestfs_h *g, const char *text, bool readonly)
{
	_cleanup_free_ char *copy = xstrdup(text);
	struct mountpoint list[32];
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line && n < ARRAY_SIZE(list);
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp || sp == line || !sp[1] || sp[1] != '/')
			return 0;
		*sp = '\0';
		list[n++] = (struct mountpoint){sp + 1, line};
	}
	qsort(list, n, sizeof(*list), by_mountpoint_length);
	if (!n || strcmp(list[0].mp, "/"))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (mount_one(g, list[i].dev, list[i].mp, readonly) < 0) {
			log_debug("the recorded mount %s on %s failed (%s); inspecting the image", list[i].dev,
				  list[i].mp, guestimg_error(g));
			guestfs_umount_all(g);
			return 0;
		}
	}
	return 1;
}

char *guestimg_mounts(guestfs_h *g)
{
	char **mps = guestfs_mountpoints(g);
	if (!mps) {
		err_fail(-EIO, "Cannot list what is mounted: %s", guestimg_error(g));
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (size_t i = 0; mps[i] && mps[i + 1]; i += 2)
		sb_addf(&sb, "%s %s\n", mps[i], mps[i + 1]);
	free_guestfs_strv(mps);
	return sb_detach(&sb, NULL);
}

/* /boot and /boot/efi from the mounted root's /etc/fstab (UUID=, LABEL= or
 * a device path), for images inspection does not recognise. */
static void mount_fstab_extras(guestfs_h *g, bool readonly)
{
	_cleanup_free_ char *fstab = NULL;
	size_t len;
	if (guestimg_read(g, "/etc/fstab", &fstab, &len) < 0)
		return;
	static const char *const wanted[] = {"/boot", "/boot/efi"};
	for (size_t w = 0; w < ARRAY_SIZE(wanted); w++) {
		char *save = NULL;
		_cleanup_free_ char *copy = xstrdup(fstab);
		for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char spec[256], mp[256];
			if (line[strspn(line, " \t")] == '#' || sscanf(line, "%255s %255s", spec, mp) != 2)
				continue;
			if (strcmp(mp, wanted[w]))
				continue;
			char *dev = NULL;
			if (str_startswith(spec, "UUID="))
				dev = guestfs_findfs_uuid(g, spec + 5);
			else if (str_startswith(spec, "LABEL="))
				dev = guestfs_findfs_label(g, spec + 6);
			else if (spec[0] == '/')
				dev = xstrdup(spec);
			if (!dev || mount_one(g, dev, mp, readonly) < 0)
				log_warn("cannot mount %s (%s) from the image's /etc/fstab", mp, spec);
			free(dev);
			break;
		}
	}
}

/* The first filesystem with a /etc directory becomes /. */
static int mount_fallback(guestfs_h *g, bool readonly)
{
	char **fss = guestfs_list_filesystems(g);
	if (!fss)
		return err_fail(-EIO, "Cannot list the filesystems of the image: %s", guestimg_error(g));
	int found = 0;
	for (size_t i = 0; fss[i] && fss[i + 1] && !found; i += 2) {
		const char *dev = fss[i], *type = fss[i + 1];
		if (!strcmp(type, "swap") || !strcmp(type, "unknown") || !strcmp(type, "vfat"))
			continue;
		if (guestfs_mount_ro(g, dev, "/") < 0)
			continue;
		bool has_etc = guestimg_is_dir(g, "/etc");
		guestfs_umount_all(g);
		if (!has_etc)
			continue;
		if (mount_one(g, dev, "/", readonly) < 0) {
			found = err_fail(-EIO, "Cannot mount %s: %s", dev, guestimg_error(g));
			break;
		}
		log_debug("libguestfs did not recognise the OS; mounted %s (%s) as /", dev, type);
		found = 1;
	}
	free_guestfs_strv(fss);
	if (found == 1)
		mount_fstab_extras(g, readonly);
	return found;
}

int guestimg_open(const struct guestimg_open_params *p, guestfs_h **out)
{
	*out = NULL;
	if (!p->disk || !*p->disk)
		return err_usage("No disk image given");
	struct stat st;
	if (stat(p->disk, &st) < 0)
		return err_fail_errno(-errno, "Cannot open the image %s", p->disk);

	guestfs_h *g = guestfs_create();
	if (!g)
		return err_fail(-ENOMEM, "Cannot create a libguestfs handle");
	guestfs_set_error_handler(g, NULL, NULL);
	guestfs_set_identifier(g, "hnbuild");
	/* KVM hangs Linux guests on our build machines: TCG unless the
	 * environment picks a backend or its settings itself. */
	if (!getenv("LIBGUESTFS_BACKEND"))
		guestfs_set_backend(g, "direct");
	if (!getenv("LIBGUESTFS_BACKEND_SETTINGS") && !p->kvm) {
		char *settings[] = {"force_tcg", NULL};
		guestfs_set_backend_settings(g, settings);
	}

	int r;
	if (p->format && !p->readonly)
		r = guestfs_add_drive_opts(g, p->disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, p->format,
					   GUESTFS_ADD_DRIVE_OPTS_DISCARD,
					   p->discard ? "besteffort" : "disable", -1);
	else if (p->format)
		r = guestfs_add_drive_opts(g, p->disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, p->format,
					   GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1);
	else if (p->readonly)
		r = guestfs_add_drive_opts(g, p->disk, GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1);
	else
		return guestfs_close(g), err_usage("A writable image needs its format (%s)", p->disk);
	if (r < 0) {
		r = err_fail(-EIO, "Cannot add %s to libguestfs: %s", p->disk, guestimg_error(g));
		guestfs_close(g);
		return r;
	}
	log_debug("starting the libguestfs appliance for %s", p->disk);
	if (guestfs_launch(g) < 0) {
		r = err_fail(-EIO, "Cannot read the image %s (libguestfs launch): %s", p->disk,
			     guestimg_error(g));
		guestfs_close(g);
		return r;
	}
	r = p->mounts ? mount_listed(g, p->mounts, p->readonly) : 0;
	if (r == 0)
		r = mount_inspected(g, p->readonly);
	if (r == 0)
		r = mount_fallback(g, p->readonly);
	if (r == 0)
		r = err_fail(-ENODEV, "The image %s holds no Linux root filesystem", p->disk);
	if (r < 0) {
		guestfs_close(g);
		return r;
	}
	*out = g;
	return 0;
}

int guestimg_close(guestfs_h *g)
{
	if (!g)
		return 0;
	int r = 0;
	guestfs_umount_all(g);
	guestfs_sync(g);
	if (guestfs_shutdown(g) < 0)
		r = err_fail(-EIO, "libguestfs could not write the image back cleanly: %s",
			     guestimg_error(g));
	guestfs_close(g);
	return r;
}

void guestimg_closep(guestfs_h **g)
{
	if (*g) {
		guestfs_close(*g);
		*g = NULL;
	}
}

static int lstat_mode(guestfs_h *g, const char *path, long long *size)
{
	struct guestfs_statns *s = guestfs_lstatns(g, path);
	if (!s)
		return -1;
	int mode = (int)s->st_mode;
	if (size)
		*size = s->st_size;
	guestfs_free_statns(s);
	return mode;
}

bool guestimg_exists(guestfs_h *g, const char *path)
{
	return lstat_mode(g, path, NULL) >= 0;
}

bool guestimg_is_file(guestfs_h *g, const char *path)
{
	int m = lstat_mode(g, path, NULL);
	return m >= 0 && S_ISREG(m);
}

bool guestimg_is_dir(guestfs_h *g, const char *path)
{
	int m = lstat_mode(g, path, NULL);
	return m >= 0 && S_ISDIR(m);
}

bool guestimg_is_symlink(guestfs_h *g, const char *path)
{
	int m = lstat_mode(g, path, NULL);
	return m >= 0 && S_ISLNK(m);
}

long long guestimg_file_size(guestfs_h *g, const char *path)
{
	long long size;
	int m = lstat_mode(g, path, &size);
	return m >= 0 && S_ISREG(m) ? size : -1;
}

int guestimg_read(guestfs_h *g, const char *path, char **data, size_t *len)
{
	*data = NULL;
	if (!guestimg_is_file(g, path))
		return -ENOENT;
	size_t n = 0;
	char *raw = guestfs_read_file(g, path, &n);
	if (!raw)
		return -EIO;
	char *copy = malloc(n + 1);
	if (!copy) {
		free(raw);
		return -ENOMEM;
	}
	memcpy(copy, raw, n);
	copy[n] = '\0';
	free(raw);
	*data = copy;
	if (len)
		*len = n;
	return 0;
}

char **guestimg_glob(guestfs_h *g, const char *pattern)
{
	char **found = guestfs_glob_expand(g, pattern);
	char **out = NULL;
	if (!found)
		return NULL;
	for (char **p = found; *p; p++) {
		size_t l = strlen(*p);
		if (l > 1 && (*p)[l - 1] == '/')
			(*p)[l - 1] = '\0';
		strv_push(&out, *p);
	}
	free_guestfs_strv(found);
	return out;
}
