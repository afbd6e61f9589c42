/* hygiene.c — the rule table of things a golden image must not hold, and the
 * offline scan (libguestfs) that the build's hygiene gate and `hnbuild
 * inspect` share. Reports only: generalize does the removing. */
#include "hygiene.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "err.h"
#include "generalize.h"
#include "guestimg.h"
#include "log.h"
#include "strbuf.h"
#include "util.h"

static const struct hygiene_rule rules[] = {
    /* identity of this one machine */
    {"/etc/machine-id", HYGIENE_TEST_NONEMPTY, HYGIENE_SCRUB_TRUNCATE,
     "machine-id is set: every clone would share it (must be empty so systemd makes a new one)"},
    {"/var/lib/dbus/machine-id", HYGIENE_TEST_NONEMPTY, HYGIENE_SCRUB_REMOVE,
     "D-Bus machine-id copy: every clone would share it"},
    {"/etc/ssh/ssh_host_*", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "SSH host key: every clone would share it"},
    {"/var/lib/systemd/random-seed", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "random seed"},
    {"/var/lib/systemd/credential.secret", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "systemd credential key"},
    {"/etc/udev/rules.d/70-persistent-net.rules", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE,
     "NIC names of the build VM"},
    {"/var/lib/dhcp/*.leases", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "DHCP lease"},
    {"/var/lib/dhclient/*", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "DHCP lease"},
    {"/var/lib/NetworkManager/*.lease", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "DHCP lease"},
    {"/var/lib/NetworkManager/*.leases", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "DHCP lease"},
    {"/var/lib/systemd/network/*", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "DHCP lease"},

    /* the build's own SSH access (generalize.h) */
    {GENERALIZE_ACCESS_DROPIN, HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "the build's sshd setting (AuthorizedKeysFile for the build key)"},

    /* cloud-init: `cloud-init clean --logs --seed` and the installer's own settings */
    {"/var/lib/cloud/*", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "cloud-init state of the build VM: cloud-init would not run per instance on clones"},
    {"/var/log/cloud-init*.log", HYGIENE_TEST_NONEMPTY, HYGIENE_SCRUB_REMOVE,
     "cloud-init log of the build VM"},
    {"/etc/cloud/cloud-init.disabled", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "cloud-init is disabled: guestinfo/NoCloud user-data would be ignored"},
    {"/etc/cloud/cloud.cfg.d/99-installer.cfg", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "installer copy of the install data (subiquity cloud-init settings, build user)"},
    {"/etc/cloud/cloud.cfg.d/90-installer-network.cfg", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "installer's network settings for cloud-init (the build VM's NIC)"},
    {"/etc/cloud/cloud.cfg.d/subiquity-disable-cloudinit-networking.cfg", HYGIENE_TEST_PRESENT,
     HYGIENE_SCRUB_REMOVE, "installer setting that turns off cloud-init networking"},

    /* installer copies of the install data */
    {"/var/log/installer", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "installer copy of the install data (autoinstall user-data, curtin logs)"},
    {"/root/anaconda-ks.cfg", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE, "installer copy of the kickstart"},
    {"/root/original-ks.cfg", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE, "installer copy of the kickstart"},
    {"/root/initial-setup-ks.cfg", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "installer copy of the kickstart"},
    {"/root/ks-post*.log", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE, "kickstart %post log"},
    {"/var/log/anaconda", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "installer logs (hold the kickstart and its %post output)"},

    /* registrations */
    {"/etc/pki/consumer/*", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "RHSM consumer identity: every clone would be the same subscribed system"},
    {"/etc/pki/entitlement/*", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE, "RHSM entitlement certificate"},
    {"/var/lib/rhsm/cache/*", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "RHSM cache"},
    {"/var/lib/rhsm/facts/*", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "RHSM facts"},
    {"/var/lib/amazon/ssm/registration", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "SSM registration: every clone would be the same managed node"},
    {"/var/lib/amazon/ssm/Vault", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE, "SSM agent key vault"},
    {"/var/lib/amazon/ssm/runtimeconfig", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "SSM runtime identity"},

    /* a join must happen on each clone, not in the image */
    {"/etc/eks/nodeadm/nodeConfig.yaml", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "a NodeConfig (cluster join credentials) is baked into the image"},
    {HYGIENE_NODEADM_MARKER, HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_REMOVE,
     "nodeadm init already ran here: clones would skip their first-boot join"},

    /* histories */
    {"/root/.bash_history", HYGIENE_TEST_NONEMPTY, HYGIENE_SCRUB_REMOVE, "shell history"},
    {"/home/*/.bash_history", HYGIENE_TEST_NONEMPTY, HYGIENE_SCRUB_REMOVE, "shell history"},
    {"/root/.zsh_history", HYGIENE_TEST_NONEMPTY, HYGIENE_SCRUB_REMOVE, "shell history"},
    {"/home/*/.zsh_history", HYGIENE_TEST_NONEMPTY, HYGIENE_SCRUB_REMOVE, "shell history"},
    {"/root/.python_history", HYGIENE_TEST_NONEMPTY, HYGIENE_SCRUB_REMOVE, "Python history"},
    {"/home/*/.python_history", HYGIENE_TEST_NONEMPTY, HYGIENE_SCRUB_REMOVE, "Python history"},
    {"/root/.lesshst", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "less history"},
    {"/root/.viminfo", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "vim history"},
    {"/root/.wget-hsts", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "wget history"},

    /* package caches */
    {"/var/cache/apt/archives/*.deb", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "apt package cache"},
    {"/var/cache/apt/archives/partial/*", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "apt package cache"},
    {"/var/cache/apt/*.bin", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "apt package cache"},
    {"/var/lib/apt/lists/*_*", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "apt package lists"},
    {"/var/cache/dnf/*", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "dnf package cache"},
    {"/var/cache/yum/*", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "yum package cache"},

    /* logs that are files per machine */
    {"/var/log/journal/*", HYGIENE_TEST_NONE, HYGIENE_SCRUB_REMOVE, "journal of the build VM"},

    /* swap (nodeadm init refuses partition swap; report only) */
    {"/swap.img", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_KEEP, "swap file (nodeadm init turns swap files off)"},
    {"/swapfile", HYGIENE_TEST_PRESENT, HYGIENE_SCRUB_KEEP, "swap file (nodeadm init turns swap files off)"},
};

const struct hygiene_rule *hygiene_rules(size_t *n)
{
	*n = ARRAY_SIZE(rules);
	return rules;
}

static void add_finding(struct hygiene_finding **out, size_t *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_finding(struct hygiene_finding **out, size_t *n, const char *path, const char *fmt, ...)
{
	struct hygiene_finding *f = realloc(*out, (*n + 1) * sizeof(**out));
	if (!f)
		abort();
	*out = f;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	f[*n].path = xstrdup(path);
	f[*n].what = sb_detach(&sb, NULL);
	(*n)++;
}

void hygiene_findings_free(struct hygiene_finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].what);
	}
	free(f);
}

static void scan_rules(guestfs_h *g, struct hygiene_finding **out, size_t *n)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct hygiene_rule *r = &rules[i];
		if (r->test == HYGIENE_TEST_NONE)
			continue;
		char **paths = guestimg_glob(g, r->glob);
		for (char **p = paths; p && *p; p++) {
			if (r->test == HYGIENE_TEST_NONEMPTY && guestimg_file_size(g, *p) <= 0)
				continue;
			add_finding(out, n, *p, "%s", r->what);
		}
		strv_free(paths);
	}
}

/* Field idx (0-based) of a ':'-separated line, copied. NULL if absent. */
static char *colon_field(const char *line, unsigned idx)
{
	const char *p = line;
	for (unsigned i = 0; i < idx; i++) {
		p = strchr(p, ':');
		if (!p)
			return NULL;
		p++;
	}
	size_t l = strcspn(p, ":\n");
	return strndup(p, l);
}

/* Does the comma list hold name? */
static bool list_has(const char *list, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = list; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l == nl && !strncmp(p, name, nl))
			return true;
		p += l;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Calls fn for every line of a guest file; missing files are fine. */
static void for_each_line(guestfs_h *g, const char *path, void (*fn)(const char *line, void *ctx), void *ctx)
{
	_cleanup_free_ char *data = NULL;
	if (guestimg_read(g, path, &data, NULL) < 0)
		return;
	char *save = NULL;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fn(line, ctx);
}

struct user_ctx {
	guestfs_h *g;
	const char *user;
	const char *file;
	struct hygiene_finding **out;
	size_t *n;
};

static bool line_is_user(const char *line, const char *user)
{
	size_t l = strlen(user);
	return !strncmp(line, user, l) && line[l] == ':';
}

static void check_account_line(const char *line, void *vctx)
{
	struct user_ctx *c = vctx;
	if (line_is_user(line, c->user)) {
		add_finding(c->out, c->n, c->file, "the build user '%s' is still defined", c->user);
		return;
	}
	/* group files: the user as a member (4th field) */
	if (!strcmp(c->file, "/etc/group") || !strcmp(c->file, "/etc/gshadow")) {
		_cleanup_free_ char *members = colon_field(line, 3);
		_cleanup_free_ char *admins = !strcmp(c->file, "/etc/gshadow") ? colon_field(line, 2) : NULL;
		if (list_has(members, c->user) || list_has(admins, c->user)) {
			_cleanup_free_ char *group = colon_field(line, 0);
			add_finding(c->out, c->n, c->file,
				    "the build user '%s' is still a member of group '%s'", c->user,
				    group ? group : "?");
		}
	}
}

static void check_shadow_line(const char *line, void *vctx)
{
	struct user_ctx *c = vctx;
	_cleanup_free_ char *name = colon_field(line, 0);
	_cleanup_free_ char *hash = colon_field(line, 1);
	if (!name || !hash || (c->user && !strcmp(name, c->user)))
		return; /* the build user is reported once, as still defined */
	if (!*hash)
		add_finding(c->out, c->n, "/etc/shadow",
			    "user '%s' has an empty password (login without one)", name);
	else if (hash[0] != '!' && hash[0] != '*')
		add_finding(c->out, c->n, "/etc/shadow",
			    "user '%s' has a usable password hash shared by every clone (lock it or set it "
			    "at deploy time)",
			    name);
}

static void check_key_line(const char *line, void *vctx)
{
	struct user_ctx *c = vctx;
	if (strstr(line, HYGIENE_BUILD_KEY_COMMENT))
		add_finding(c->out, c->n, c->file, "the build's SSH key (%s) is still authorized",
			    HYGIENE_BUILD_KEY_COMMENT);
}

/* A sudoers line granting the build user anything. */
static void check_sudoers_line(const char *line, void *vctx)
{
	struct user_ctx *c = vctx;
	const char *p = line + strspn(line, " \t");
	size_t l = strlen(c->user);
	if (*p != '#' && !strncmp(p, c->user, l) && (p[l] == ' ' || p[l] == '\t'))
		add_finding(c->out, c->n, c->file, "sudo rule for the build user '%s'", c->user);
}

static void scan_build_user(guestfs_h *g, const char *user, struct hygiene_finding **out, size_t *n)
{
	static const char *const account_files[] = {"/etc/passwd",  "/etc/shadow", "/etc/group",
						    "/etc/gshadow", "/etc/subuid", "/etc/subgid"};
	struct user_ctx c = {g, user, NULL, out, n};
	for (size_t i = 0; i < ARRAY_SIZE(account_files); i++) {
		c.file = account_files[i];
		for_each_line(g, c.file, check_account_line, &c);
	}
	_cleanup_free_ char *home = path_join("/home", user);
	if (guestimg_exists(g, home))
		add_finding(out, n, home, "home directory of the build user");

	char **drop_ins = guestimg_glob(g, "/etc/sudoers.d/*");
	for (char **p = drop_ins; p && *p; p++) {
		const char *base = strrchr(*p, '/') + 1;
		if (strstr(base, "hnbuild") || strstr(base, user)) {
			add_finding(out, n, *p, "sudoers drop-in of the build");
			continue;
		}
		c.file = *p;
		for_each_line(g, *p, check_sudoers_line, &c);
	}
	strv_free(drop_ins);
	c.file = "/etc/sudoers";
	for_each_line(g, c.file, check_sudoers_line, &c);
}

static void check_access_line(const char *line, void *vctx)
{
	struct user_ctx *c = vctx;
	if (line[strspn(line, " \t")] != '#' && strstr(line, GENERALIZE_ACCESS_KEYS "/%u"))
		add_finding(c->out, c->n, c->file, "the build's SSH access setting is still in sshd_config");
}

static void scan_keys(guestfs_h *g, struct hygiene_finding **out, size_t *n)
{
	struct user_ctx a = {g, NULL, "/etc/ssh/sshd_config", out, n};
	for_each_line(g, a.file, check_access_line, &a);
	static const char *const globs[] = {"/root/.ssh/authorized_keys*", "/home/*/.ssh/authorized_keys*",
					    "/etc/ssh/authorized_keys/*"};
	struct user_ctx c = {g, NULL, NULL, out, n};
	for (size_t i = 0; i < ARRAY_SIZE(globs); i++) {
		char **files = guestimg_glob(g, globs[i]);
		for (char **p = files; p && *p; p++) {
			c.file = *p;
			for_each_line(g, *p, check_key_line, &c);
		}
		strv_free(files);
	}
}

static void check_fstab_line(const char *line, void *vctx)
{
	struct user_ctx *c = vctx;
	char spec[512], mp[512], type[64];
	const char *p = line + strspn(line, " \t");
	if (*p == '#' || sscanf(p, "%511s %511s %63s", spec, mp, type) != 3)
		return;
	if (!strcmp(type, "swap"))
		add_finding(c->out, c->n, "/etc/fstab", "swap entry %s (nodeadm init refuses partition swap)",
			    spec);
}

static void scan_swap(guestfs_h *g, struct hygiene_finding **out, size_t *n)
{
	struct user_ctx c = {g, NULL, "/etc/fstab", out, n};
	for_each_line(g, "/etc/fstab", check_fstab_line, &c);
	char **fss = guestfs_list_filesystems(g);
	for (size_t i = 0; fss && fss[i] && fss[i + 1]; i += 2)
		if (!strcmp(fss[i + 1], "swap"))
			add_finding(out, n, fss[i], "swap partition (nodeadm init refuses partition swap)");
	for (size_t i = 0; fss && fss[i]; i++)
		free(fss[i]);
	free(fss);
}

int hygiene_scan(guestfs_h *g, const char *build_user, struct hygiene_finding **out, size_t *n)
{
	if (!guestimg_is_dir(g, "/etc"))
		return err_fail(-ENOENT, "The image has no /etc: not an installed system");
	scan_rules(g, out, n);
	if (build_user && *build_user)
		scan_build_user(g, build_user, out, n);
	scan_keys(g, out, n);
	struct user_ctx c = {g, build_user, "/etc/shadow", out, n};
	for_each_line(g, "/etc/shadow", check_shadow_line, &c);
	scan_swap(g, out, n);
	return 0;
}

int hygiene_check_disk(const char *disk, const char *format, const char *build_user,
		       struct hygiene_finding **out, size_t *n)
{
	struct guestimg_open_params op = {.disk = disk, .format = format, .readonly = true};
	_cleanup_guestfs_ guestfs_h *g = NULL;
	int r = guestimg_open(&op, &g);
	if (r < 0)
		return r;
	r = hygiene_scan(g, build_user, out, n);
	int c = guestimg_close(TAKE_PTR(g));
	return r < 0 ? r : c;
}

int hygiene_gate(const struct hygiene_finding *f, size_t n)
{
	if (n == 0)
		return 0;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "Hygiene gate: the generalized image still holds %zu thing%s it must not:", n,
		n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "\n  %s: %s", f[i].path, f[i].what);
	int r = err_fail(-EPERM, "%s", sb.buf);
	sb_release(&sb);
	return r;
}
