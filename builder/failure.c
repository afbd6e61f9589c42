/* failure.c — the failure bundle: console logs, a screenshot, the domain
 * XML, the install data, the installer's own logs off the disk and the
 * stage timings, with a README naming the failed step. Written under a
 * temporary name and renamed, so a bundle is whole or absent. */
#define _XOPEN_SOURCE 700
#include "failure.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <guestfs.h>

#include "cleanup.h"
#include "err.h"
#include "guestimg.h"
#include "log.h"
#include "strbuf.h"
#include "util.h"

/* Where each installer keeps its logs on the installed system: subiquity
 * copies its logs into the target's /var/log/installer (Reboot/
 * copy_logs_to_target), curtin its own beside them; anaconda copies its
 * /tmp logs to /var/log/anaconda at the end; our %post logs to /root. */
static const char *const ubuntu_logs[] = {"/var/log/installer", NULL};
static const char *const rhel_logs[] = {"/var/log/anaconda", "/root/ks-post.log", "/root/ks-post-user.log", NULL};

struct bundle {
	const struct failure_report *f;
	char *tmp;                 /* the bundle while it is written */
	struct strbuf files;       /* README lines: what is here */
	struct strbuf missing;     /* README lines: what is not, and why */
};

static void have(struct bundle *b, const char *name, const char *what)
{
	sb_addf(&b->files, "  %-26s %s\n", name, what);
}

static void lack(struct bundle *b, const char *name, const char *why)
{
	sb_addf(&b->missing, "  %-26s %s\n", name, why);
	log_debug("failure bundle: no %s: %s", name, why);
}

/* Write text (secrets redacted) as NAME in the bundle. */
static int put_text(struct bundle *b, const char *name, const char *text, size_t len)
{
	_cleanup_free_ char *copy = strndup(text, len);
	if (!copy)
		abort();
	_cleanup_free_ char *red = log_redact(copy);
	_cleanup_free_ char *path = path_join(b->tmp, name);
	return write_file_atomic(path, red, strlen(red), 0600);
}

static void add_consoles(struct bundle *b)
{
	static const struct {
		const char *file, *what;
	} logs[] = {{"console-install.log", "the installer's serial console, from the kernel's first line"},
		    {"console-provision.log", "the installed system's serial console while it was provisioned"}};
	bool any = false;
	for (size_t i = 0; b->f->workdir && i < ARRAY_SIZE(logs); i++) {
		_cleanup_free_ char *src = path_join(b->f->workdir, logs[i].file);
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		if (read_file(src, &text, &len) < 0)
			continue;
		if (put_text(b, logs[i].file, text, len) < 0)
			lack(b, logs[i].file, "could not be written");
		else
			have(b, logs[i].file, logs[i].what), any = true;
	}
	if (!any)
		lack(b, "console-*.log", "no VM had booted yet");
}

static void add_screen(struct bundle *b)
{
	struct machine *vm = b->f->vm ? *b->f->vm : NULL;
	if (!vm || machine_stopped(vm)) {
		lack(b, "screenshot.png", "no VM was running when the build failed");
		return;
	}
	_cleanup_free_ char *path = path_join(b->tmp, "screenshot.png");
	if (machine_screenshot(vm, path) < 0)
		lack(b, "screenshot.png", err_message() ? err_message() : "libvirt took none");
	else
		have(b, "screenshot.png", "the VM's screen when the build failed");
	err_clear();
}

static void add_xml(struct bundle *b)
{
	const char *xml = b->f->vm && *b->f->vm ? machine_xml(*b->f->vm) : b->f->domain_xml;
	if (!xml) {
		lack(b, "domain.xml", "no VM was defined yet");
		return;
	}
	if (put_text(b, "domain.xml", xml, strlen(xml)) < 0)
		lack(b, "domain.xml", "could not be written");
	else
		have(b, "domain.xml", "the libvirt domain the VM ran as");
}

static void add_install_data(struct bundle *b)
{
	const struct install_data *d = b->f->install_data;
	if (!d || !d->n_files) {
		lack(b, "install-data/", "the install data was not rendered yet");
		return;
	}
	_cleanup_free_ char *dir = path_join(b->tmp, "install-data");
	if (mkdir(dir, 0700) < 0) {
		lack(b, "install-data/", "could not be created");
		return;
	}
	for (size_t i = 0; i < d->n_files; i++) {
		_cleanup_free_ char *masked = install_file_masked(&d->files[i]);
		_cleanup_free_ char *path = path_join(dir, d->files[i].name);
		if (write_file_atomic(path, masked, strlen(masked), 0600) < 0)
			lack(b, d->files[i].name, "could not be written");
	}
	_cleanup_free_ char *what = NULL;
	if (asprintf(&what, "the seed ISO's files (label %s), secrets shown as %s", d->seed_label,
		     INSTALL_MASK) < 0)
		abort();
	have(b, "install-data/", what);
}

/* Everything below the copied logs private to us (they keep the guest's
 * modes), every regular file with the registered secrets redacted. */
static int redact_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || type == FTW_DP)
		chmod(path, 0700);
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	chmod(path, 0600);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (read_file_max(path, 256u << 20, &text, &len) < 0 || memchr(text, '\0', len))
		return 0; /* binary: left as it is */
	_cleanup_free_ char *red = log_redact(text);
	if (strcmp(red, text))
		write_file_atomic(path, red, strlen(red), 0600);
	return 0;
}

static void add_installer_logs(struct bundle *b)
{
	const struct failure_report *f = b->f;
	if (!f->disk) {
		lack(b, "installer-logs/", "the VM is kept running (--on-error keep): its disk was not read");
		return;
	}
	const char *why_none = f->family == FAMILY_UBUNTU
				       ? "subiquity copies its logs there only at the end of an install"
				       : "anaconda copies its logs there only at the end of an install";
	/* A disk the installer never partitioned: no appliance launch to find that out. */
	const char *label = NULL;
	if (installer_disk_label(f->disk, b->tmp, &label) >= 0 && !label) {
		_cleanup_free_ char *why = NULL;
		if (asprintf(&why, "the disk has no partition table: the installer had not written to it (%s)",
			     why_none) < 0)
			abort();
		lack(b, "installer-logs/", why);
		return;
	}
	err_clear();
	guestfs_h *g = NULL;
	struct guestimg_open_params op = {.disk = f->disk, .format = f->disk_format, .readonly = true, .kvm = f->kvm};
	if (guestimg_open(&op, &g) < 0) {
		_cleanup_free_ char *why = NULL;
		if (asprintf(&why, "the disk holds no installed system to read (%s; %s)",
			     err_message() ? err_message() : "libguestfs", why_none) < 0)
			abort();
		lack(b, "installer-logs/", why);
		err_clear();
		return;
	}
	_cleanup_free_ char *dir = path_join(b->tmp, "installer-logs");
	mkdir(dir, 0700);
	struct strbuf got = STRBUF_INIT;
	sb_init(&got);
	const char *const *paths = f->family == FAMILY_UBUNTU ? ubuntu_logs : rhel_logs;
	for (size_t i = 0; paths[i]; i++) {
		if (!guestimg_exists(g, paths[i]))
			continue;
		if (guestfs_copy_out(g, paths[i], dir) < 0) {
			log_debug("failure bundle: cannot copy %s off the disk: %s", paths[i], guestimg_error(g));
			continue;
		}
		sb_addf(&got, "%s%s", got.len ? ", " : "", paths[i]);
	}
	guestimg_close(g);
	if (!got.len) {
		rmdir(dir);
		_cleanup_free_ char *why = NULL;
		if (asprintf(&why, "the disk has no %s (%s)",
			     f->family == FAMILY_UBUNTU ? "/var/log/installer" : "/var/log/anaconda nor our %post logs",
			     why_none) < 0)
			abort();
		lack(b, "installer-logs/", why);
	} else {
		nftw(dir, redact_one, 16, FTW_PHYS);
		_cleanup_free_ char *what = NULL;
		if (asprintf(&what, "copied off the installed disk: %s", sb_str(&got)) < 0)
			abort();
		have(b, "installer-logs/", what);
	}
	sb_release(&got);
	err_clear();
}

static int add_timings(struct bundle *b)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (size_t i = 0; i < b->f->n_stages; i++)
		sb_addf(&sb, "%-12s %8.1f s%s\n", b->f->stages[i].stage, b->f->stages[i].seconds,
			i + 1 == b->f->n_stages ? "  (failed)" : "");
	_cleanup_free_ char *path = path_join(b->tmp, "timings.txt");
	int r = write_file_atomic(path, sb_str(&sb), sb.len, 0600);
	sb_release(&sb);
	if (r >= 0)
		have(b, "timings.txt", "seconds per stage, up to the one that failed");
	return r;
}

static int add_readme(struct bundle *b)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "hnbuild %s: failure bundle\n\nThe build failed in stage '%s':\n\n", HNBUILD_VERSION,
		b->f->stage ? b->f->stage : "unknown");
	const char *e = b->f->error ? b->f->error : "(no message)";
	for (const char *p = e; *p;) {
		size_t n = strcspn(p, "\n");
		sb_addf(&sb, "  %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	sb_addf(&sb, "\nIn this directory (secrets masked):\n%s", sb_str(&b->files));
	if (b->missing.len)
		sb_addf(&sb, "\nNot here:\n%s", sb_str(&b->missing));
	int r = put_text(b, "README", sb_str(&sb), sb.len);
	sb_release(&sb);
	return r;
}

int failure_bundle_write(const struct failure_report *f)
{
	/* The build's error is the one to report: ours go to the README. */
	struct err_saved saved;
	err_save(&saved);
	struct bundle b = {.f = f};
	sb_init(&b.files);
	sb_init(&b.missing);
	int r = 0;
	if (asprintf(&b.tmp, "%s.tmp-XXXXXX", f->dir) < 0)
		abort();
	if (!mkdtemp(b.tmp)) {
		r = -errno;
		log_warn("cannot write the failure bundle %s: %s", f->dir, strerror(-r));
		free(b.tmp);
		b.tmp = NULL;
		goto out;
	}
	chmod(b.tmp, 0700);
	add_screen(&b); /* first: the screen as the failure left it */
	add_consoles(&b);
	add_xml(&b);
	if (f->stop_vm && f->vm && *f->vm) {
		machine_free(*f->vm, false);
		*f->vm = NULL;
	}
	add_install_data(&b);
	add_installer_logs(&b);
	r = add_timings(&b);
	if (r >= 0)
		r = add_readme(&b);
	if (r >= 0) {
		rm_rf(f->dir); /* an earlier build's bundle of the same name */
		if (rename(b.tmp, f->dir) < 0)
			r = -errno;
	}
	if (r < 0) {
		log_warn("cannot write the failure bundle %s: %s", f->dir, strerror(-r));
		rm_rf(b.tmp);
	}
out:
	free(b.tmp);
	sb_release(&b.files);
	sb_release(&b.missing);
	err_restore(&saved, "the build failed");
	return r;
}
