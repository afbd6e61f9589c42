/* generalize.c — offline generalization of the provisioned disk with
 * libguestfs file calls only (never guestfs_command: an arm64 guest cannot
 * run on the x86 appliance). Scrubs by hygiene.h's rule table, removes the
 * build user by editing the account files line by line, truncates logs and
 * installs the first-boot `nodeadm init` unit. */
#include "generalize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "cleanup.h"
#include "cloudconfig.h"
#include "credential.h"
#include "embedded.h"
#include "err.h"
#include "guestimg.h"
#include "hygiene.h"
#include "log.h"
#include "strbuf.h"
#include "udtemplate.h"
#include "util.h"

static void free_guestfs_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static void strv_freep(char ***v)
{
	strv_free(*v);
}

/* Secrets must not survive in free blocks: what generalize removes or
 * truncates is overwritten with zeros in place first (ext4 and xfs
 * overwrite in place) and synced, so that the data blocks freed hold zeros
 * even without zeroing all free space. Files above this are only removed. */
#define WIPE_MAX (64u << 20)
#define WIPE_CHUNK (1u << 20)

static int wipe_file(guestfs_h *g, const char *path, long long size)
{
	static const char zeros[WIPE_CHUNK];
	if (size <= 0)
		return 0;
	if (size > WIPE_MAX) {
		log_debug("generalize: %s is %lld bytes: removed without overwriting", path, size);
		return 0;
	}
	for (long long off = 0; off < size; off += WIPE_CHUNK) {
		size_t n = size - off < WIPE_CHUNK ? (size_t)(size - off) : WIPE_CHUNK;
		if (guestfs_pwrite(g, path, zeros, n, off) < 0)
			return err_fail(-EIO, "Generalize: cannot overwrite %s: %s", path, guestimg_error(g));
	}
	return 1;
}

/* Overwrite every regular file at or under path; 1 when any was. */
static int wipe_tree(guestfs_h *g, const char *path)
{
	long long size = guestimg_file_size(g, path);
	if (size >= 0)
		return wipe_file(g, path, size);
	if (!guestimg_is_dir(g, path))
		return 0;
	char **found = guestfs_find(g, path);
	if (!found)
		return err_fail(-EIO, "Generalize: cannot list %s: %s", path, guestimg_error(g));
	int r = 0;
	for (char **p = found; *p && r >= 0; p++) {
		_cleanup_free_ char *sub = path_join(path, *p);
		int w = wipe_file(g, sub, guestimg_file_size(g, sub));
		r = w < 0 ? w : (r || w);
	}
	free_guestfs_strv(found);
	return r;
}

/* Page cache of an unlinked file is dropped unwritten: sync the zeros out
 * before the removal or truncation frees the blocks. */
static int wipe_and_sync(guestfs_h *g, const char *path)
{
	int r = wipe_tree(g, path);
	if (r > 0 && guestfs_sync(g) < 0)
		return err_fail(-EIO, "Generalize: sync failed: %s", guestimg_error(g));
	return r < 0 ? r : 0;
}

static int rm_path(guestfs_h *g, const char *path)
{
	if (!guestimg_exists(g, path))
		return 0;
	int r = wipe_and_sync(g, path);
	if (r < 0)
		return r;
	if (guestfs_rm_rf(g, path) < 0)
		return err_fail(-EIO, "Generalize: cannot remove %s: %s", path, guestimg_error(g));
	log_debug("generalize: removed %s", path);
	return 0;
}

/* Many removals and truncations at once: every file's bytes overwritten
 * first, one sync for them all (a sync costs about 0.3 s under TCG), then
 * the removals and truncations. A path already gone (under a directory
 * removed before it) is skipped. */
struct scrub_batch {
	char **remove, **truncate;
};

static int scrub_batch_run(guestfs_h *g, struct scrub_batch *sb)
{
	int r = 0, wiped = 0;
	char **lists[] = {sb->remove, sb->truncate};
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
		for (char **p = lists[l]; p && *p && r >= 0; p++) {
			int w = wipe_tree(g, *p);
			r = w < 0 ? w : 0;
			wiped = wiped || w > 0;
		}
	if (r >= 0 && wiped && guestfs_sync(g) < 0)
		r = err_fail(-EIO, "Generalize: sync failed: %s", guestimg_error(g));
	for (char **p = sb->remove; p && *p && r >= 0; p++) {
		if (!guestimg_exists(g, *p))
			continue;
		if (guestfs_rm_rf(g, *p) < 0)
			r = err_fail(-EIO, "Generalize: cannot remove %s: %s", *p, guestimg_error(g));
		else
			log_debug("generalize: removed %s", *p);
	}
	for (char **p = sb->truncate; p && *p && r >= 0; p++)
		if (guestimg_is_file(g, *p) && guestfs_truncate(g, *p) < 0)
			r = err_fail(-EIO, "Generalize: cannot truncate %s: %s", *p, guestimg_error(g));
	strv_free(sb->remove);
	strv_free(sb->truncate);
	sb->remove = sb->truncate = NULL;
	return r;
}

/* ---- line editing of text files ---- */

/* Decides one line (without its newline): append the line to keep (possibly
 * changed) to out and return true, or return false to drop it. */
typedef bool (*line_fn)(const char *line, struct strbuf *out, void *ctx);

/* Rewrite a guest file line by line in place (the inode keeps its mode,
 * owner and SELinux label). Missing file: nothing to do. *empty_out tells
 * whether nothing but blank lines and comments is left. Returns 1 when the
 * file changed, 0 when not, -errno on failure. */
static int edit_lines(guestfs_h *g, const char *path, line_fn fn, void *ctx, bool *empty_out)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (empty_out)
		*empty_out = false;
	int r = guestimg_read(g, path, &data, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return err_fail(-EIO, "Generalize: cannot read %s: %s", path, guestimg_error(g));
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	sb_init(&out);
	bool empty = true, changed = false;
	for (char *line = data; *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		size_t before = out.len;
		if (!fn(line, &out, ctx)) {
			changed = true;
		} else {
			const char *kept = out.buf + before;
			if (strcmp(kept, line))
				changed = true;
			const char *p = kept + strspn(kept, " \t");
			if (*p && *p != '#')
				empty = false;
			if (nl)
				sb_addc(&out, '\n');
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	if (empty_out)
		*empty_out = empty;
	(void)len;
	if (!changed)
		return 0;
	/* the old text (a password hash, a key) must not stay in freed blocks */
	r = wipe_and_sync(g, path);
	if (r < 0)
		return r;
	if (guestfs_write(g, path, out.buf, out.len) < 0)
		return err_fail(-EIO, "Generalize: cannot rewrite %s: %s", path, guestimg_error(g));
	log_debug("generalize: edited %s", path);
	return 1;
}

/* Field idx of a ':'-separated line as a pointer/length into the line. */
static const char *colon_field(const char *line, unsigned idx, size_t *len)
{
	const char *p = line;
	for (unsigned i = 0; i < idx; i++) {
		p = strchr(p, ':');
		if (!p)
			return NULL;
		p++;
	}
	*len = strcspn(p, ":");
	return p;
}

static bool field_is(const char *line, unsigned idx, const char *value)
{
	size_t l;
	const char *f = colon_field(line, idx, &l);
	return f && l == strlen(value) && !strncmp(f, value, l);
}

/* ---- the build user ---- */

struct user_edit {
	const char *user;
	char *gid;	    /* the user's primary gid from /etc/passwd */
	bool private_group; /* a group named like the user with that gid was dropped */
};

static bool drop_user_line(const char *line, struct strbuf *out, void *vctx)
{
	struct user_edit *u = vctx;
	if (field_is(line, 0, u->user))
		return false;
	sb_adds(out, line);
	return true;
}

/* Append a comma list without name. */
static void add_list_without(struct strbuf *out, const char *list, size_t len, const char *name)
{
	size_t nl = strlen(name);
	bool first = true;
	for (size_t i = 0; i < len;) {
		size_t l = strcspn(list + i, ",");
		if (l > len - i)
			l = len - i;
		if (l && !(l == nl && !strncmp(list + i, name, nl))) {
			if (!first)
				sb_addc(out, ',');
			sb_add(out, list + i, l);
			first = false;
		}
		i += l + 1;
	}
}

/* /etc/group (members in field 3) and /etc/gshadow (admins 2, members 3):
 * drop the user's private group, take the user out of every other one. */
static bool edit_group_line(const char *line, struct strbuf *out, void *vctx, bool gshadow)
{
	struct user_edit *u = vctx;
	if (field_is(line, 0, u->user)) {
		/* its own group: /etc/group says by gid; gshadow follows group */
		if (!gshadow && u->gid && field_is(line, 2, u->gid)) {
			u->private_group = true;
			return false;
		}
		if (gshadow && u->private_group)
			return false;
	}
	for (unsigned idx = 0; idx < 4; idx++) {
		size_t l;
		const char *f = colon_field(line, idx, &l);
		if (!f) {
			sb_adds(out, "");
			break;
		}
		if (idx)
			sb_addc(out, ':');
		if (idx == 3 || (gshadow && idx == 2))
			add_list_without(out, f, l, u->user);
		else
			sb_add(out, f, l);
		if (idx == 3 && f[l] == ':')
			sb_adds(out, f + l); /* more fields than expected: keep them */
	}
	return true;
}

static bool edit_group(const char *line, struct strbuf *out, void *ctx)
{
	return edit_group_line(line, out, ctx, false);
}

static bool edit_gshadow(const char *line, struct strbuf *out, void *ctx)
{
	return edit_group_line(line, out, ctx, true);
}

static bool lock_user_password(const char *line, struct strbuf *out, void *vctx)
{
	struct user_edit *u = vctx;
	size_t l;
	const char *hash = colon_field(line, 1, &l);
	if (!field_is(line, 0, u->user) || !hash || (l && (hash[0] == '!' || hash[0] == '*'))) {
		sb_adds(out, line);
		return true;
	}
	sb_add(out, line, (size_t)(hash - line));
	sb_addc(out, '!');
	sb_adds(out, hash);
	return true;
}

/* A sudoers line that grants the build user something. */
static bool drop_sudo_rule(const char *line, struct strbuf *out, void *vctx)
{
	struct user_edit *u = vctx;
	const char *p = line + strspn(line, " \t");
	size_t l = strlen(u->user);
	if (*p != '#' && !strncmp(p, u->user, l) && (p[l] == ' ' || p[l] == '\t'))
		return false;
	sb_adds(out, line);
	return true;
}

static bool drop_build_key(const char *line, struct strbuf *out, void *ctx)
{
	(void)ctx;
	if (strstr(line, HYGIENE_BUILD_KEY_COMMENT))
		return false;
	sb_adds(out, line);
	return true;
}

static int scrub_sudoers(guestfs_h *g, struct user_edit *u)
{
	char **drop_ins = guestimg_glob(g, "/etc/sudoers.d/*");
	int r = 0;
	for (char **p = drop_ins; p && *p && r >= 0; p++) {
		const char *base = strrchr(*p, '/') + 1;
		if (strstr(base, "hnbuild") || strstr(base, u->user)) {
			r = rm_path(g, *p);
			continue;
		}
		bool empty;
		r = edit_lines(g, *p, drop_sudo_rule, u, &empty);
		/* cloud-init's 90-cloud-init-users held only the build user
		 * (a file of comments only that we did not change stays) */
		if (r > 0 && empty)
			r = rm_path(g, *p);
	}
	strv_free(drop_ins);
	if (r >= 0)
		r = edit_lines(g, "/etc/sudoers", drop_sudo_rule, u, NULL);
	return r;
}

static char *passwd_field(guestfs_h *g, const char *user, unsigned idx)
{
	_cleanup_free_ char *data = NULL;
	if (guestimg_read(g, "/etc/passwd", &data, NULL) < 0)
		return NULL;
	char *save = NULL;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t l;
		const char *f;
		if (field_is(line, 0, user) && (f = colon_field(line, idx, &l)))
			return strndup(f, l);
	}
	return NULL;
}

static int remove_build_user(guestfs_h *g, const char *user)
{
	struct user_edit u = {.user = user, .gid = passwd_field(g, user, 3)};
	_cleanup_free_ char *home = passwd_field(g, user, 5);
	int r = 0;
	static const char *const account_files[] = {"/etc/passwd", "/etc/shadow",  "/etc/subuid",
						    "/etc/subgid", "/etc/passwd-", "/etc/shadow-"};
	for (size_t i = 0; i < ARRAY_SIZE(account_files) && r >= 0; i++)
		r = edit_lines(g, account_files[i], drop_user_line, &u, NULL);
	if (r >= 0)
		r = edit_lines(g, "/etc/group", edit_group, &u, NULL);
	if (r >= 0)
		r = edit_lines(g, "/etc/gshadow", edit_gshadow, &u, NULL);
	if (r >= 0) {
		/* the backup copies shadow-utils keeps: same edits */
		bool pg = u.private_group;
		r = edit_lines(g, "/etc/group-", edit_group, &u, NULL);
		u.private_group = pg;
		if (r >= 0)
			r = edit_lines(g, "/etc/gshadow-", edit_gshadow, &u, NULL);
	}
	free(u.gid);
	u.gid = NULL;
	if (r >= 0)
		r = scrub_sudoers(g, &u);
	if (r < 0)
		return r;

	/* home only where a home belongs; never /, /root or a system directory */
	_cleanup_free_ char *default_home = path_join("/home", user);
	if (home && str_startswith(home, "/home/") && !strstr(home, "..") && strlen(home) > 6)
		r = rm_path(g, home);
	if (r >= 0)
		r = rm_path(g, default_home);
	const char *spool[] = {"/var/mail/", "/var/spool/mail/", "/var/spool/cron/crontabs/",
			       "/var/spool/cron/", "/var/lib/AccountsService/users/"};
	for (size_t i = 0; i < ARRAY_SIZE(spool) && r >= 0; i++) {
		_cleanup_free_ char *p = path_join(spool[i], user);
		r = rm_path(g, p);
	}
	if (r >= 0)
		log_info("generalize: removed the build user '%s'", user);
	return r;
}

static int scrub_build_keys(guestfs_h *g)
{
	static const char *const globs[] = {"/root/.ssh/authorized_keys*", "/home/*/.ssh/authorized_keys*",
					    "/etc/ssh/authorized_keys/*"};
	for (size_t i = 0; i < ARRAY_SIZE(globs); i++) {
		char **files = guestimg_glob(g, globs[i]);
		int r = 0;
		for (char **p = files; p && *p && r >= 0; p++) {
			bool empty;
			r = edit_lines(g, *p, drop_build_key, NULL, &empty);
			if (r > 0 && empty)
				r = rm_path(g, *p);
		}
		strv_free(files);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- rules, logs, temporary files ---- */

static int apply_rules(guestfs_h *g)
{
	size_t n;
	const struct hygiene_rule *rules = hygiene_rules(&n);
	struct scrub_batch batch = {NULL, NULL};
	for (size_t i = 0; i < n; i++) {
		if (rules[i].scrub == HYGIENE_SCRUB_KEEP)
			continue;
		char **paths = guestimg_glob(g, rules[i].glob);
		for (char **p = paths; p && *p; p++) {
			if (rules[i].scrub == HYGIENE_SCRUB_REMOVE)
				strv_push(&batch.remove, *p);
			else if (guestimg_is_file(g, *p))
				strv_push(&batch.truncate, *p);
		}
		strv_free(paths);
	}
	return scrub_batch_run(g, &batch);
}

static bool is_rotated_log(const char *name)
{
	static const char *const suffixes[] = {".gz", ".xz", ".bz2", ".zst", ".old", "-old"};
	size_t l = strlen(name);
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);
		if (l > sl && !strcmp(name + l - sl, suffixes[i]))
			return true;
	}
	/* foo.log.1, messages-20240101 */
	const char *p = name + l;
	while (p > name && p[-1] >= '0' && p[-1] <= '9')
		p--;
	size_t digits = (size_t)(name + l - p);
	return p > name && digits > 0 && ((p[-1] == '.' && digits <= 3) || (p[-1] == '-' && digits == 8));
}

/* Keep the directory tree and every log file (services expect them), with
 * no content; rotated copies go. */
static int scrub_logs(guestfs_h *g)
{
	if (!guestimg_is_dir(g, "/var/log"))
		return 0;
	char **found = guestfs_find(g, "/var/log");
	if (!found)
		return err_fail(-EIO, "Generalize: cannot list /var/log: %s", guestimg_error(g));
	struct scrub_batch batch = {NULL, NULL};
	unsigned truncated = 0, removed = 0;
	for (char **p = found; *p; p++) {
		_cleanup_free_ char *path = path_join("/var/log", *p);
		long long size = guestimg_file_size(g, path);
		if (size < 0)
			continue; /* directories, symlinks, sockets */
		const char *base = strrchr(path, '/') + 1;
		if (is_rotated_log(base)) {
			strv_push(&batch.remove, path);
			removed++;
		} else if (size > 0) {
			strv_push(&batch.truncate, path);
			truncated++;
		}
	}
	free_guestfs_strv(found);
	int r = scrub_batch_run(g, &batch);
	if (r >= 0)
		log_debug("generalize: %u logs truncated, %u rotated logs removed", truncated, removed);
	return r;
}

static int empty_dir(guestfs_h *g, const char *dir)
{
	if (!guestimg_is_dir(g, dir))
		return 0;
	char **names = guestfs_ls(g, dir);
	if (!names)
		return err_fail(-EIO, "Generalize: cannot list %s: %s", dir, guestimg_error(g));
	struct scrub_batch batch = {NULL, NULL};
	for (char **p = names; *p; p++) {
		_cleanup_free_ char *path = path_join(dir, *p);
		strv_push(&batch.remove, path);
	}
	free_guestfs_strv(names);
	return scrub_batch_run(g, &batch);
}

/* ---- first boot ---- */

int generalize_render_unit(char **out)
{
	const struct udtemplate_var vars[] = {
	    {"CONFIG", CLOUDCONFIG_NODECONFIG_PATH},
	    {"MARKER", CLOUDCONFIG_INIT_MARKER},
	    {"SCRIPT", CLOUDCONFIG_INIT_SCRIPT},
	};
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	int r = udtemplate_render("builder/templates/nodeadm-init.service", vars, ARRAY_SIZE(vars), &sb);
	if (r < 0)
		return r;
	*out = sb_detach(&sb, NULL);
	return 0;
}

/* The init script is the one `hnbuild userdata` writes through cloud-init
 * (same path, same text, same marker). */
static int render_script(struct strbuf *out)
{
	_cleanup_strbuf_ struct strbuf config = STRBUF_INIT, logf = STRBUF_INIT, marker = STRBUF_INIT;
	sb_init(&config);
	sb_init(&logf);
	sb_init(&marker);
	udtemplate_shell_quote(&config, CLOUDCONFIG_NODECONFIG_PATH);
	udtemplate_shell_quote(&logf, CLOUDCONFIG_INIT_LOG);
	udtemplate_shell_quote(&marker, CLOUDCONFIG_INIT_MARKER);
	const struct udtemplate_var vars[] = {
	    {"CONFIG", config.buf},
	    {"LOG", logf.buf},
	    {"MARKER", marker.buf},
	};
	return udtemplate_render("user-data/templates/nodeadm-init.sh", vars, ARRAY_SIZE(vars), out);
}

static int mkdir_guest(guestfs_h *g, const char *dir)
{
	if (guestimg_is_dir(g, dir))
		return 0;
	if (guestfs_mkdir_p(g, dir) < 0)
		return err_fail(-EIO, "Generalize: cannot create %s: %s", dir, guestimg_error(g));
	return 0;
}

static int write_guest(guestfs_h *g, const char *path, const char *text, int mode)
{
	_cleanup_free_ char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	int r = mkdir_guest(g, dir);
	if (r < 0)
		return r;
	if (guestfs_write(g, path, text, strlen(text)) < 0 || guestfs_chmod(g, mode, path) < 0 ||
	    guestfs_chown(g, 0, 0, path) < 0)
		return err_fail(-EIO, "Generalize: cannot write %s: %s", path, guestimg_error(g));
	return 0;
}

static int enable_unit(guestfs_h *g, const char *unit_path, const char *wants_dir, const char *name)
{
	int r = mkdir_guest(g, wants_dir);
	if (r < 0)
		return r;
	_cleanup_free_ char *link = path_join(wants_dir, name);
	if (guestfs_ln_sf(g, unit_path, link) < 0)
		return err_fail(-EIO, "Generalize: cannot enable %s: %s", name, guestimg_error(g));
	return 0;
}

static int install_first_boot(guestfs_h *g, const struct generalize_params *p, char ***created)
{
	_cleanup_free_ char *unit = NULL;
	_cleanup_strbuf_ struct strbuf script = STRBUF_INIT;
	sb_init(&script);
	int r = generalize_render_unit(&unit);
	if (r >= 0)
		r = render_script(&script);
	if (r >= 0)
		r = write_guest(g, CLOUDCONFIG_INIT_SCRIPT, script.buf, 0755);
	if (r >= 0)
		r = write_guest(g, GENERALIZE_INIT_UNIT_PATH, unit, 0644);
	if (r >= 0)
		r = enable_unit(g, GENERALIZE_INIT_UNIT_PATH, "/etc/systemd/system/multi-user.target.wants",
				GENERALIZE_INIT_UNIT);
	if (r < 0)
		return r;
	strv_push(created, CLOUDCONFIG_INIT_SCRIPT);
	strv_push(created, GENERALIZE_INIT_UNIT_PATH);
	strv_push(created, GENERALIZE_INIT_WANTS);

	/* Ubuntu's sshd does not make missing host keys itself (RHEL's
	 * sshd-keygen@ does): a unit for boots where cloud-init does not run. */
	if (p->family == FAMILY_UBUNTU) {
		const char *text = embedded_get("builder/templates/nodeadm-init-ssh-hostkeys.service", NULL);
		if (!text)
			return err_fail(
			    -ENOENT, "Template nodeadm-init-ssh-hostkeys.service is not built into hnbuild");
		const char *path = "/etc/systemd/system/" GENERALIZE_HOSTKEYS_UNIT;
		r = write_guest(g, path, text, 0644);
		if (r >= 0)
			r = enable_unit(g, path, "/etc/systemd/system/multi-user.target.wants",
					GENERALIZE_HOSTKEYS_UNIT);
		if (r < 0)
			return r;
		strv_push(created, path);
		strv_push(created, "/etc/systemd/system/multi-user.target.wants/" GENERALIZE_HOSTKEYS_UNIT);
	}
	log_info("generalize: installed the first-boot join %s (runs nodeadm init when %s exists)",
		 GENERALIZE_INIT_UNIT, CLOUDCONFIG_NODECONFIG_PATH);
	return 0;
}

static bool selinux_enabled(guestfs_h *g)
{
	_cleanup_free_ char *config = NULL;
	if (guestimg_read(g, "/etc/selinux/config", &config, NULL) < 0)
		return false;
	for (char *line = strtok(config, "\n"); line; line = strtok(NULL, "\n"))
		if (str_startswith(line, "SELINUX=") && strcmp(line + 8, "disabled"))
			return true;
	return false;
}

/* Files libguestfs creates carry no SELinux label; an enforcing guest's
 * systemd could not read the unit. Label them now, or have the guest
 * relabel itself at first boot. */
static int label_new_files(guestfs_h *g, char **created)
{
	if (!selinux_enabled(g))
		return 0;
	const char *spec = "/etc/selinux/targeted/contexts/files/file_contexts";
	char *features[] = {"selinuxrelabel", NULL};
	bool ok = guestimg_exists(g, spec) && guestfs_feature_available(g, features) == 1;
	for (char **p = created; ok && p && *p; p++)
		if (guestfs_selinux_relabel(g, spec, *p, GUESTFS_SELINUX_RELABEL_FORCE, 1, -1) < 0) {
			log_debug("generalize: setfiles on %s failed: %s", *p, guestimg_error(g));
			ok = false;
		}
	if (ok)
		return 0;
	log_warn("generalize: cannot label the new files for SELinux here; the image relabels itself at "
		 "first boot");
	if (guestfs_touch(g, "/.autorelabel") < 0)
		return err_fail(-EIO, "Generalize: cannot create /.autorelabel: %s", guestimg_error(g));
	return 0;
}

/* ---- the build's SSH access (granted before provision, removed here) ---- */

#define ACCESS_LABEL "system_u:object_r:etc_t:s0"

static const char access_directive[] =
    "AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2 " GENERALIZE_ACCESS_KEYS "/%u\n";

/* sshd reads the first value of a keyword it meets, and Debian's, Ubuntu's
 * and RHEL 9's sshd_config include sshd_config.d first of all. */
static bool sshd_includes_dropins(const char *config)
{
	for (const char *line = config; line && *line;) {
		const char *p = line + strspn(line, " \t");
		if (!strncasecmp(p, "Include", 7) && strstr(p, "/etc/ssh/sshd_config.d/") &&
		    (size_t)(strchrnul(p, '\n') - p) > 7)
			return true;
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return false;
}

/* Files libguestfs writes carry no SELinux label; sshd_t may read etc_t. */
static int label_access_file(guestfs_h *g, const char *path)
{
	if (guestfs_setxattr(g, "security.selinux", ACCESS_LABEL, sizeof(ACCESS_LABEL), path) < 0)
		return err_fail(-EIO, "cannot label %s for SELinux: %s", path, guestimg_error(g));
	return 0;
}

int generalize_grant_access(guestfs_h *g, const char *user, const char *public_key)
{
	if (credential_check_user_name(user) < 0 || str_empty(public_key) || strchr(public_key, '\n'))
		return err_fail(-EINVAL, "internal: bad build user or key for the SSH access");
	_cleanup_free_ char *config = NULL;
	if (guestimg_read(g, "/etc/ssh/sshd_config", &config, NULL) < 0)
		return err_fail(-ENOENT, "the installed system has no /etc/ssh/sshd_config (is openssh-server "
					 "installed?)");
	_cleanup_free_ char *keys = path_join(GENERALIZE_ACCESS_KEYS, user);
	_cleanup_free_ char *line = NULL;
	if (asprintf(&line, "%s\n", public_key) < 0)
		abort();
	int r = write_guest(g, keys, line, 0644);
	if (r >= 0 && guestfs_chmod(g, 0755, GENERALIZE_ACCESS_KEYS) < 0)
		r = err_fail(-EIO, "cannot set the mode of %s: %s", GENERALIZE_ACCESS_KEYS, guestimg_error(g));
	const char *where;
	if (r >= 0 && sshd_includes_dropins(config)) {
		where = GENERALIZE_ACCESS_DROPIN;
		r = write_guest(g, GENERALIZE_ACCESS_DROPIN, access_directive, 0644);
	} else if (r >= 0) {
		/* RHEL 8: no sshd_config.d; a marked block first in the file. */
		where = "/etc/ssh/sshd_config";
		_cleanup_free_ char *text = NULL;
		if (asprintf(&text, "%s\n%s%s\n%s", GENERALIZE_ACCESS_BEGIN, access_directive, GENERALIZE_ACCESS_END,
			     config) < 0)
			abort();
		if (guestfs_write(g, "/etc/ssh/sshd_config", text, strlen(text)) < 0)
			r = err_fail(-EIO, "cannot write /etc/ssh/sshd_config: %s", guestimg_error(g));
	}
	if (r >= 0 && selinux_enabled(g)) {
		r = label_access_file(g, GENERALIZE_ACCESS_KEYS);
		if (r >= 0)
			r = label_access_file(g, keys);
		if (r >= 0 && !strcmp(where, GENERALIZE_ACCESS_DROPIN))
			r = label_access_file(g, GENERALIZE_ACCESS_DROPIN);
	}
	if (r < 0)
		return err_fail(r, "cannot grant the build user SSH access: %s", err_message());
	log_info("provision: granted the build key to '%s' offline (%s, %s)", user, keys, where);
	return 0;
}

struct access_block {
	bool inside;
};

static bool drop_access_block(const char *line, struct strbuf *out, void *vctx)
{
	struct access_block *b = vctx;
	if (!strcmp(line, GENERALIZE_ACCESS_BEGIN)) {
		b->inside = true;
		return false;
	}
	if (b->inside) {
		if (!strcmp(line, GENERALIZE_ACCESS_END))
			b->inside = false;
		return false;
	}
	sb_adds(out, line);
	return true;
}

/* The drop-in goes with the hygiene rules, the key line with the other
 * build keys; here the sshd_config block and the emptied key directory. */
static int revoke_access(guestfs_h *g)
{
	struct access_block b = {false};
	int r = edit_lines(g, "/etc/ssh/sshd_config", drop_access_block, &b, NULL);
	if (r < 0)
		return r;
	if (guestimg_is_dir(g, GENERALIZE_ACCESS_KEYS)) {
		char **left = guestfs_ls(g, GENERALIZE_ACCESS_KEYS);
		bool empty = left && !left[0];
		free_guestfs_strv(left);
		if (empty && guestfs_rmdir(g, GENERALIZE_ACCESS_KEYS) < 0)
			return err_fail(-EIO, "Generalize: cannot remove %s: %s", GENERALIZE_ACCESS_KEYS,
					guestimg_error(g));
	}
	return 0;
}

int generalize_zero_free_space(guestfs_h *g)
{
	/* blocks freed in the running journal transaction cannot be allocated
	 * or trimmed yet: commit it first */
	if (guestfs_sync(g) < 0)
		return err_fail(-EIO, "Generalize: sync failed: %s", guestimg_error(g));
	char **mps = guestfs_mountpoints(g);
	if (!mps)
		return err_fail(-EIO, "Generalize: cannot list mountpoints: %s", guestimg_error(g));
	char *fstrim[] = {"fstrim", NULL};
	bool can_trim = guestfs_feature_available(g, fstrim) == 1;
	int r = 0;
	for (size_t i = 0; mps[i] && mps[i + 1] && r >= 0; i += 2) {
		const char *mp = mps[i + 1];
		/* Discarding free space through the image (qcow2 or sparse raw
		 * with discard) frees it in the image and reads back as zeros,
		 * and takes seconds; writing zeros takes minutes per GiB under
		 * TCG, so it is the fallback only. */
		if (can_trim && guestfs_fstrim(g, mp, -1) == 0) {
			log_debug("generalize: trimmed the free space of %s", mp);
			continue;
		}
		if (can_trim)
			log_debug("generalize: fstrim %s: %s; writing zeros instead", mp, guestimg_error(g));
		if (guestfs_zero_free_space(g, mp) < 0)
			r = err_fail(-EIO, "Generalize: cannot zero the free space of %s (%s): %s", mp,
				     mps[i], guestimg_error(g));
	}
	free_guestfs_strv(mps);
	return r;
}

int generalize_guest(guestfs_h *g, const struct generalize_params *p)
{
	const char *user = p->build_user && *p->build_user ? p->build_user : CREDENTIAL_DEFAULT_USER;
	if (credential_check_user_name(user) < 0)
		return err_usage("Generalize: '%s' is not a valid build user name", user);
	if (!guestimg_is_dir(g, "/etc"))
		return err_fail(-ENOENT, "Generalize: the image has no /etc: not an installed system");

	int r = apply_rules(g);
	/* machine-id: empty, not missing, so systemd makes a new one at first
	 * boot without treating it as a first boot of an unconfigured system */
	if (r >= 0 && !guestimg_exists(g, "/etc/machine-id") && guestfs_touch(g, "/etc/machine-id") < 0)
		r = err_fail(-EIO, "Generalize: cannot create /etc/machine-id: %s", guestimg_error(g));
	_cleanup_(strv_freep) char **created = NULL;
	if (r >= 0 && guestimg_is_dir(g, "/var/lib/dbus") &&
	    !guestimg_exists(g, "/var/lib/dbus/machine-id")) {
		if (guestfs_ln_s(g, "/etc/machine-id", "/var/lib/dbus/machine-id") < 0)
			r = err_fail(-EIO, "Generalize: cannot link /var/lib/dbus/machine-id: %s",
				     guestimg_error(g));
		else
			strv_push(&created, "/var/lib/dbus/machine-id");
	}
	if (r >= 0 && p->remove_build_user)
		r = remove_build_user(g, user);
	else if (r >= 0) {
		struct user_edit u = {.user = user};
		r = edit_lines(g, "/etc/shadow", lock_user_password, &u, NULL);
		if (r >= 0)
			log_info("generalize: kept the build user '%s' with its password locked", user);
	}
	if (r >= 0)
		r = scrub_build_keys(g);
	if (r >= 0)
		r = revoke_access(g);
	if (r >= 0)
		r = scrub_logs(g);
	if (r >= 0)
		r = empty_dir(g, "/tmp");
	if (r >= 0)
		r = empty_dir(g, "/var/tmp");
	if (r >= 0)
		r = install_first_boot(g, p, &created);
	if (r >= 0)
		r = label_new_files(g, created);
	if (r >= 0 && p->proxy_for_image)
		log_info("generalize: the image keeps its proxy settings (provision stage's drop-ins)");
	return r < 0 ? r : 0;
}

int generalize_disk(const struct generalize_params *p)
{
	const char *user = p->build_user && *p->build_user ? p->build_user : CREDENTIAL_DEFAULT_USER;
	if (credential_check_user_name(user) < 0)
		return err_usage("Generalize: '%s' is not a valid build user name", user);
	const char *format = p->format ? p->format : "qcow2";
	struct guestimg_open_params op = {
	    .disk = p->disk, .format = format, .readonly = false, .discard = true, .kvm = p->kvm};
	_cleanup_guestfs_ guestfs_h *g = NULL;
	int r = guestimg_open(&op, &g);
	if (r < 0)
		return r;
	r = generalize_guest(g, p);
	if (r >= 0 && p->zero_free_space)
		r = generalize_zero_free_space(g);
	if (r < 0)
		return r;
	return guestimg_close(TAKE_PTR(g));
}
