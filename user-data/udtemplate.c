/* udtemplate.c — @NAME@ substitution and @if/@endif line blocks. */
#include "udtemplate.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "embedded.h"
#include "err.h"
#include "util.h"

static const struct udtemplate_var *lookup(const struct udtemplate_var *vars, size_t n, const char *name,
					   size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i].name) == len && strncmp(vars[i].name, name, len) == 0)
			return &vars[i];
	return NULL;
}

/* Is the line exactly "@KEYWORD@" or "@KEYWORD NAME@"? Sets arg and arg_len. */
static bool directive(const char *line, size_t len, const char *keyword, const char **arg, size_t *arg_len)
{
	size_t k = strlen(keyword);
	if (len < k + 2 || line[0] != '@' || line[len - 1] != '@' || strncmp(line + 1, keyword, k) != 0)
		return false;
	const char *rest = line + 1 + k;
	size_t rest_len = len - 2 - k;
	if (rest_len == 0) {
		*arg = NULL;
		*arg_len = 0;
		return true;
	}
	if (rest[0] != ' ')
		return false;
	*arg = rest + 1;
	*arg_len = rest_len - 1;
	return true;
}

int udtemplate_render_text(const char *name, const char *text, const struct udtemplate_var *vars,
			   size_t n_vars, struct strbuf *out)
{
	unsigned line_no = 0;
	int depth = 0, skip_from = -1; /* skip_from: depth at which a false @if began */
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *next = nl ? nl + 1 : line + len;
		line_no++;
		const char *arg;
		size_t arg_len;
		if (directive(line, len, "if", &arg, &arg_len) && arg) {
			const struct udtemplate_var *v = lookup(vars, n_vars, arg, arg_len);
			if (!v)
				return err_fail(-EINVAL, "%s:%u: unknown template variable in @if", name,
						line_no);
			depth++;
			if (skip_from < 0 && str_empty(v->value))
				skip_from = depth;
			line = next;
			continue;
		}
		if (directive(line, len, "endif", &arg, &arg_len) && !arg) {
			if (depth == 0)
				return err_fail(-EINVAL, "%s:%u: @endif without @if", name, line_no);
			if (skip_from == depth)
				skip_from = -1;
			depth--;
			line = next;
			continue;
		}
		if (skip_from >= 0) {
			line = next;
			continue;
		}
		for (size_t i = 0; i < len; i++) {
			if (line[i] != '@') {
				sb_addc(out, line[i]);
				continue;
			}
			const char *end = memchr(line + i + 1, '@', len - i - 1);
			const struct udtemplate_var *v =
			    end ? lookup(vars, n_vars, line + i + 1, (size_t)(end - line - i - 1)) : NULL;
			if (!v)
				return err_fail(-EINVAL, "%s:%u:%zu: unknown template variable", name,
						line_no, i + 1);
			if (v->value)
				sb_adds(out, v->value);
			i = (size_t)(end - line);
		}
		if (nl)
			sb_addc(out, '\n');
		line = next;
	}
	if (depth != 0)
		return err_fail(-EINVAL, "%s: @if without @endif", name);
	return 0;
}

int udtemplate_render(const char *path, const struct udtemplate_var *vars, size_t n_vars, struct strbuf *out)
{
	const char *text = embedded_get(path, NULL);
	if (!text)
		return err_fail(-ENOENT, "Template %s is not built into this hnbuild", path);
	return udtemplate_render_text(path, text, vars, n_vars, out);
}

void udtemplate_shell_quote(struct strbuf *out, const char *s)
{
	sb_addc(out, '\'');
	for (; s && *s; s++) {
		if (*s == '\'')
			sb_adds(out, "'\\''");
		else
			sb_addc(out, *s);
	}
	sb_addc(out, '\'');
}

void udtemplate_systemd_escape(struct strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			sb_addc(out, '\\');
		else if (*s == '%')
			sb_addc(out, '%');
		sb_addc(out, *s);
	}
}

/* TOML basic strings take the same escapes as JSON strings. */
void udtemplate_toml_escape(struct strbuf *out, const char *s) { sb_add_json_escaped(out, s); }

void udtemplate_json_escape(struct strbuf *out, const char *s) { sb_add_json_escaped(out, s); }
