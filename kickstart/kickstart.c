/* kickstart.c — fills kickstart/templates/ks.cfg: ${name} values that are
 * validated or kickstart-quoted here, and @@flag@@ line conditions. */
#include "kickstart.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "embedded.h"
#include "err.h"
#include "log.h"
#include "strbuf.h"
#include "util.h"

#define TEMPLATE "kickstart/templates/ks.cfg"

struct ks_var {
	const char *name;
	const char *value;
};

char *kickstart_quote(const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addc(&sb, '"');
	for (const char *c = value; *c; c++) {
		if (*c == '"' || *c == '\\')
			sb_addc(&sb, '\\');
		sb_addc(&sb, *c);
	}
	sb_addc(&sb, '"');
	return sb_detach(&sb, NULL);
}

static bool flag_set(const char *const *flags, const char *name, size_t n)
{
	for (size_t i = 0; flags[i]; i++)
		if (strlen(flags[i]) == n && strncmp(flags[i], name, n) == 0)
			return true;
	return false;
}

static const char *var_value(const struct ks_var *vars, size_t n_vars, const char *name, size_t n)
{
	for (size_t i = 0; i < n_vars; i++)
		if (strlen(vars[i].name) == n && strncmp(vars[i].name, name, n) == 0)
			return vars[i].value;
	return NULL;
}

static int fill_template(const char *text, const struct ks_var *vars, size_t n_vars, const char *const *flags,
			 char **out)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	unsigned lineno = 0;
	int r = 0;
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		const char *next = eol ? eol + 1 : NULL;
		lineno++;
		if (n >= 2 && line[0] == '#' && line[1] == '#') {
			line = next;
			continue;
		}
		if (n >= 2 && line[0] == '@' && line[1] == '@') {
			bool negate = n > 2 && line[2] == '!';
			const char *name = line + 2 + negate;
			const char *end = memmem(name, n - (size_t)(name - line), "@@", 2);
			if (!end) {
				r = err_fail(-EINVAL, "%s:%u: unterminated @@flag@@", TEMPLATE, lineno);
				break;
			}
			bool set = flag_set(flags, name, (size_t)(end - name));
			n -= (size_t)(end + 2 - line);
			line = end + 2;
			if (set == negate) {
				line = next;
				continue;
			}
		}
		for (size_t i = 0; i < n;) {
			const char *open = memmem(line + i, n - i, "${", 2);
			if (!open) {
				sb_add(&sb, line + i, n - i);
				break;
			}
			const char *close = memchr(open, '}', (size_t)(line + n - open));
			if (!close) {
				r = err_fail(-EINVAL, "%s:%u: unterminated ${", TEMPLATE, lineno);
				goto out;
			}
			const char *v = var_value(vars, n_vars, open + 2, (size_t)(close - open - 2));
			if (!v) {
				r = err_fail(-EINVAL, "%s:%u: unknown or unset placeholder %.*s", TEMPLATE,
					     lineno, (int)(close - open + 1), open);
				goto out;
			}
			sb_add(&sb, line + i, (size_t)(open - (line + i)));
			sb_adds(&sb, v);
			i = (size_t)(close + 1 - line);
		}
		sb_addc(&sb, '\n');
		line = next;
	}
out:
	if (r < 0) {
		sb_release(&sb);
		return r;
	}
	*out = sb_detach(&sb, NULL);
	return 0;
}

const char *kickstart_script_line_problem(const char *cmd, unsigned *line_out)
{
	unsigned line = 1;
	bool line_start = true;
	for (const unsigned char *c = (const unsigned char *)cmd; *c; c++) {
		*line_out = line;
		if (*c == '\n') {
			line++;
			line_start = true;
			continue;
		}
		if (*c < 0x20 && *c != '\t')
			return "holds a control character (kickstart would read a line break)";
		if (*c == 0x7f)
			return "holds a control character";
		if ((c[0] == 0xc2 && c[1] == 0x85) || (c[0] == 0xe2 && c[1] == 0x80 && (c[2] == 0xa8 || c[2] == 0xa9)))
			return "holds a Unicode line break (kickstart would start a new line)";
		if (line_start && *c == '%')
			return "starts a kickstart section with '%' (%end, %pre, ...)";
		if (*c != ' ' && *c != '\t')
			line_start = false;
	}
	return NULL;
}

static int check_post_lines(char *const *cmds)
{
	for (size_t i = 0; cmds && cmds[i]; i++) {
		unsigned line = 0;
		const char *why = kickstart_script_line_problem(cmds[i], &line);
		if (why)
			return err_usage("kickstart: extra %%post command %zu, line %u, %s", i + 1, line, why);
	}
	return 0;
}

static int check_params(const struct install_params *p)
{
	if (p->firmware != FIRMWARE_BIOS && p->firmware != FIRMWARE_UEFI)
		return err_usage("kickstart: firmware must be bios or uefi");
	if (p->arch == ARCH_ARM64 && p->firmware != FIRMWARE_UEFI)
		return err_usage("arm64 builds boot UEFI only");
	if (str_empty(p->user) ||
	    strspn(p->user, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(p->user))
		return err_usage("kickstart: invalid build user name '%s'", p->user ? p->user : "");
	/* No key: the build grants its key offline before the provision boot. */
	if (p->public_key && (str_empty(p->public_key) || strpbrk(p->public_key, "\r\n\"\\")))
		return err_usage("kickstart: the build public key is not one authorized_keys line");
	if (p->password_hash &&
	    (!str_startswith(p->password_hash, "$") ||
	     strspn(p->password_hash, "$./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") !=
		 strlen(p->password_hash)))
		return err_usage("kickstart: the password must be a crypt(3) hash, never plain text");
	return check_post_lines(p->late_commands);
}

static char *join_lines(char *const *lines)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (size_t i = 0; lines && lines[i]; i++) {
		if (i)
			sb_addc(&sb, '\n');
		sb_adds(&sb, lines[i]);
	}
	return sb_detach(&sb, NULL);
}

static int render_ours(const struct install_params *p, char **ks)
{
	size_t len = 0;
	const char *text = embedded_get(TEMPLATE, &len);
	if (!text)
		return err_fail(-ENOENT, "Template %s is not built in", TEMPLATE);
	const struct os_info *o = os_by_id(p->os);
	_cleanup_free_ char *key = p->public_key ? kickstart_quote(p->public_key) : NULL;
	_cleanup_free_ char *hash = p->password_hash ? kickstart_quote(p->password_hash) : NULL;
	_cleanup_strbuf_ struct strbuf append = STRBUF_INIT;
	sb_init(&append);
	sb_addf(&append, "console=tty0 console=%s,115200", installer_serial_console(p->arch));
	_cleanup_free_ char *append_q = kickstart_quote(sb_str(&append));
	_cleanup_free_ char *post = join_lines(p->late_commands);
	const struct ks_var vars[] = {
	    {"os_pretty", o->pretty}, {"arch", arch_by_id(p->arch)->name},
	    {"user", p->user},	      {"password_hash", hash},
	    {"public_key", key},      {"bootloader_append", append_q},
	    {"post_snippets", post},
	};
	const char *flags[6] = {NULL};
	size_t nf = 0;
	if (p->firmware == FIRMWARE_UEFI)
		flags[nf++] = "uefi";
	if (p->password_hash)
		flags[nf++] = "password";
	if (p->public_key)
		flags[nf++] = "key";
	if (strv_len(p->late_commands))
		flags[nf++] = "post";
	if (installer_vmware_tools(p->arch))
		flags[nf++] = "vmtools";
	return fill_template(text, vars, ARRAY_SIZE(vars), flags, ks);
}

static int render_user_file(const struct install_params *p, char **ks)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_file(p->user_file, &text, &len);
	if (r < 0)
		return err_usage("--kickstart %s: %s", p->user_file, strerror(-r));
	if (len == 0 || memchr(text, '\0', len))
		return err_usage("--kickstart %s: not a kickstart text file", p->user_file);
	r = check_post_lines(p->late_commands);
	if (r < 0)
		return r;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_add(&sb, text, len);
	if (strv_len(p->late_commands)) {
		_cleanup_free_ char *post = join_lines(p->late_commands);
		if (len && text[len - 1] != '\n')
			sb_addc(&sb, '\n');
		sb_addf(&sb, "\n%%post --log=/root/ks-post-user.log\n%s\n%%end\n", post);
	}
	*ks = sb_detach(&sb, NULL);
	return 0;
}

int kickstart_render(const struct install_params *p, char **ks)
{
	const struct os_info *o = os_by_id(p->os);
	if (!o || o->family != FAMILY_RHEL)
		return err_usage("kickstart is for RHEL targets only");
	if (p->user_file)
		return render_user_file(p, ks);
	int r = check_params(p);
	if (r < 0)
		return r;
	return render_ours(p, ks);
}

static int render_install_data(const struct install_params *p, struct install_data *out)
{
	char *ks = NULL;
	int r = kickstart_render(p, &ks);
	if (r < 0)
		return r;
	out->seed_label = "OEMDRV";
	out->n_files = 1;
	out->files[0] = (struct install_file){xstrdup("ks.cfg"), ks, strlen(ks)};
	return 0;
}

const struct installer_ops kickstart_installer = {
    .name = "kickstart",
    .family = FAMILY_RHEL,
    .seed_label = "OEMDRV",
    .render = render_install_data,
};
