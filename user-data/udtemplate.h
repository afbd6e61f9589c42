/* udtemplate.h — fills the deploy-time templates in user-data/templates/
 * (systemd drop-ins, the nodeadm init script, Bottlerocket settings):
 * "@NAME@" becomes the value of NAME, and a line holding only "@if NAME@"
 * or "@endif@" keeps the lines between them only when NAME is non-empty.
 * Values are inserted as given: callers escape them for the target syntax. */
#pragma once

#include "strbuf.h"

struct udtemplate_var {
	const char *name;
	const char *value; /* NULL or "" = empty (false for @if) */
};

/* Render the embedded template `path` (e.g. "user-data/templates/x.conf")
 * into out. An unknown @NAME@, an unbalanced @if or a missing template is an
 * error: returns -EINVAL/-ENOENT with err_fail recorded. */
int udtemplate_render(const char *path, const struct udtemplate_var *vars, size_t n_vars, struct strbuf *out);
/* The same on a template held in memory (name is used in messages). */
int udtemplate_render_text(const char *name, const char *text, const struct udtemplate_var *vars,
			   size_t n_vars, struct strbuf *out);

/* Escapers for template values. */
/* POSIX shell: 'it'\''s' (always quoted). */
void udtemplate_shell_quote(struct strbuf *out, const char *s);
/* Inside a double-quoted systemd unit value: \ " and % (specifier). */
void udtemplate_systemd_escape(struct strbuf *out, const char *s);
/* TOML basic string body (without the quotes): \ " and control characters. */
void udtemplate_toml_escape(struct strbuf *out, const char *s);
/* JSON string body (without the quotes). */
void udtemplate_json_escape(struct strbuf *out, const char *s);
