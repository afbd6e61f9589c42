/* autoinstall.c — fills the autoinstall templates at the YAML node level
 * (values are libyaml scalars, never pasted text) and emits them with
 * libyaml; also takes a user's own autoinstall file. */
#include "autoinstall.h"

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cleanup.h"
#include "embedded.h"
#include "err.h"
#include "strbuf.h"
#include "util.h"

#define TEMPLATE_DIR "user-data/templates/"

enum var_kind { VAR_STR, VAR_BOOL, VAR_LIST, VAR_NODE };

struct var {
	const char *name;
	enum var_kind kind;
	const char *str;      /* VAR_STR (NULL: unset), VAR_BOOL "true"/"false" */
	char *const *list;    /* VAR_LIST */
	yaml_document_t *doc; /* VAR_NODE: root of this document */
};

struct fill {
	yaml_document_t *out;
	const struct var *vars;
	size_t n_vars;
	const char *source; /* template name for errors */
	bool raw;	    /* a user's document: copy scalars as they are */
};

static void doc_deletep(yaml_document_t **d)
{
	if (*d) {
		yaml_document_delete(*d);
		free(*d);
	}
}

static const struct var *find_var(const struct fill *f, const char *name, size_t n)
{
	for (size_t i = 0; i < f->n_vars; i++)
		if (strlen(f->vars[i].name) == n && strncmp(f->vars[i].name, name, n) == 0)
			return &f->vars[i];
	return NULL;
}

/* "${name}" exactly: returns the name's length and start. */
static bool whole_placeholder(const char *s, size_t len, const char **name, size_t *n)
{
	if (len < 4 || strncmp(s, "${", 2) != 0 || s[len - 1] != '}' || memchr(s + 2, '}', len - 3))
		return false;
	*name = s + 2;
	*n = len - 3;
	return true;
}

/* Would a YAML 1.1 reader (cloud-init, subiquity use PyYAML) resolve this
 * plain scalar to something other than a string? Then it must be quoted. */
static bool ambiguous_plain(const char *s)
{
	static const char *const pattern =
	    "^(~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|"
	    "Off|OFF|[-+]?(0|[1-9][0-9_]*)|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+|"
	    "[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?|"
	    "[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|=|<<|)$";
	static regex_t re;
	static int compiled;
	if (!compiled) {
		if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
			abort();
		compiled = 1;
	}
	return regexec(&re, s, 0, NULL, 0) == 0;
}

static int add_string(yaml_document_t *d, const char *s, yaml_scalar_style_t style)
{
	if (style == YAML_PLAIN_SCALAR_STYLE || style == YAML_ANY_SCALAR_STYLE)
		style = ambiguous_plain(s) ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE;
	if (strchr(s, '\n'))
		style = YAML_LITERAL_SCALAR_STYLE;
	return yaml_document_add_scalar(d, (yaml_char_t *)YAML_STR_TAG, (const yaml_char_t *)s,
					(int)strlen(s), style);
}

static int copy_node(struct fill *f, yaml_document_t *src, yaml_node_t *node, int *out_id);

/* A scalar: "${name}" is replaced by the variable (0 in *out_id when unset);
 * ${name} inside a longer string is replaced by the string value. */
static int copy_scalar(struct fill *f, yaml_node_t *node, int *out_id)
{
	const char *s = (const char *)node->data.scalar.value;
	size_t len = node->data.scalar.length;
	const char *name;
	size_t n;
	if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && whole_placeholder(s, len, &name, &n)) {
		const struct var *v = find_var(f, name, n);
		if (!v)
			return err_fail(-EINVAL, "%s: unknown placeholder ${%.*s}", f->source, (int)n, name);
		switch (v->kind) {
		case VAR_STR:
			*out_id = v->str ? add_string(f->out, v->str, YAML_ANY_SCALAR_STYLE) : 0;
			return *out_id >= 0 ? 0 : -ENOMEM;
		case VAR_BOOL:
			/* Plain true/false: a YAML reader resolves it to a boolean. */
			*out_id = yaml_document_add_scalar(f->out, NULL, (const yaml_char_t *)v->str, -1,
							   YAML_PLAIN_SCALAR_STYLE);
			return *out_id ? 0 : -ENOMEM;
		case VAR_NODE:
			return copy_node(f, v->doc, yaml_document_get_root_node(v->doc), out_id);
		case VAR_LIST:
			return err_fail(-EINVAL, "%s: list ${%s} outside a sequence", f->source, v->name);
		}
	}
	if (!memmem(s, len, "${", 2)) {
		/* Template text: kept as written (a plain 1 stays a number). */
		*out_id = yaml_document_add_scalar(f->out, node->tag, node->data.scalar.value, (int)len,
						   node->data.scalar.style);
		return *out_id ? 0 : -ENOMEM;
	}
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (size_t i = 0; i < len;) {
		const char *open = i + 1 < len ? strstr(s + i, "${") : NULL;
		const char *close = open ? strchr(open, '}') : NULL;
		if (!open || (size_t)(open - s) >= len || !close) {
			sb_add(&sb, s + i, len - i);
			break;
		}
		sb_add(&sb, s + i, (size_t)(open - (s + i)));
		const struct var *v = find_var(f, open + 2, (size_t)(close - open - 2));
		if (!v || v->kind != VAR_STR || !v->str) {
			int r = err_fail(-EINVAL, "%s: placeholder %.*s in '%s' needs a string value",
					 f->source, (int)(close - open + 1), open, s);
			sb_release(&sb);
			return r;
		}
		sb_adds(&sb, v->str);
		i = (size_t)(close + 1 - s);
	}
	*out_id = add_string(f->out, sb_str(&sb), node->data.scalar.style);
	sb_release(&sb);
	return *out_id ? 0 : -ENOMEM;
}

static int copy_node(struct fill *f, yaml_document_t *src, yaml_node_t *node, int *out_id)
{
	int r;
	switch (node->type) {
	case YAML_SCALAR_NODE:
		if (!f->raw && strcmp((const char *)node->tag, YAML_STR_TAG) == 0)
			return copy_scalar(f, node, out_id);
		*out_id = yaml_document_add_scalar(f->out, node->tag, node->data.scalar.value,
						   (int)node->data.scalar.length, node->data.scalar.style);
		return *out_id ? 0 : -ENOMEM;
	case YAML_SEQUENCE_NODE: {
		int seq = yaml_document_add_sequence(f->out, node->tag, node->data.sequence.style);
		if (!seq)
			return -ENOMEM;
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(src, *it);
			const char *name;
			size_t n;
			const struct var *v = NULL;
			if (item->type == YAML_SCALAR_NODE &&
			    item->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			    whole_placeholder((const char *)item->data.scalar.value, item->data.scalar.length,
					      &name, &n))
				v = find_var(f, name, n);
			if (v && v->kind == VAR_LIST) {
				for (size_t i = 0; v->list && v->list[i]; i++) {
					int id = add_string(f->out, v->list[i], YAML_ANY_SCALAR_STYLE);
					if (!id || !yaml_document_append_sequence_item(f->out, seq, id))
						return -ENOMEM;
				}
				continue;
			}
			int id = 0;
			r = copy_node(f, src, item, &id);
			if (r < 0)
				return r;
			if (id && !yaml_document_append_sequence_item(f->out, seq, id))
				return -ENOMEM;
		}
		*out_id = seq;
		return 0;
	}
	case YAML_MAPPING_NODE: {
		int map = yaml_document_add_mapping(f->out, node->tag, node->data.mapping.style);
		if (!map)
			return -ENOMEM;
		for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
		     p++) {
			int key = 0, value = 0;
			r = copy_node(f, src, yaml_document_get_node(src, p->value), &value);
			if (r < 0)
				return r;
			if (!value)
				continue; /* unset optional value: leave the entry out */
			r = copy_node(f, src, yaml_document_get_node(src, p->key), &key);
			if (r < 0)
				return r;
			if (!key || !yaml_document_append_mapping_pair(f->out, map, key, value))
				return -ENOMEM;
		}
		*out_id = map;
		return 0;
	}
	default:
		return err_fail(-EINVAL, "%s: empty YAML node", f->source);
	}
}

/* Parse YAML text into a new document; errors name source:line:column. */
static int load_yaml(const char *text, size_t len, const char *source, int (*fail)(int, const char *),
		     yaml_document_t **out)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_document_t *doc = xcalloc(1, sizeof(*doc));
	int r = 0;
	if (!yaml_parser_load(&parser, doc)) {
		struct strbuf sb = STRBUF_INIT;
		sb_init(&sb);
		sb_addf(&sb, "%s:%zu:%zu: invalid YAML: %s", source, parser.problem_mark.line + 1,
			parser.problem_mark.column + 1, parser.problem ? parser.problem : "parse error");
		if (parser.context)
			sb_addf(&sb, " (%s)", parser.context);
		r = fail(-EINVAL, sb_str(&sb));
		sb_release(&sb);
		free(doc);
	} else if (!yaml_document_get_root_node(doc)) {
		struct strbuf sb = STRBUF_INIT;
		sb_init(&sb);
		sb_addf(&sb, "%s: empty YAML document", source);
		r = fail(-EINVAL, sb_str(&sb));
		sb_release(&sb);
		yaml_document_delete(doc);
		free(doc);
	} else {
		*out = doc;
	}
	yaml_parser_delete(&parser);
	return r;
}

static int fail_template(int r, const char *msg)
{
	return err_fail(r, "%s", msg);
}
static int fail_user(int r, const char *msg)
{
	(void)r;
	return err_usage("%s", msg);
}

static int load_template(const char *name, yaml_document_t **out)
{
	_cleanup_free_ char *path = path_join(TEMPLATE_DIR, name);
	size_t len = 0;
	const char *text = embedded_get(path, &len);
	if (!text)
		return err_fail(-ENOENT, "Template %s is not built in", path);
	return load_yaml(text, len, path, fail_template, out);
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	sb_add(data, buffer, size);
	return 1;
}

/* Emit doc (consumed) after an optional header line. */
static int emit(yaml_document_t *doc, const char *header, char **out)
{
	yaml_emitter_t em;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	if (header)
		sb_addf(&sb, "%s\n", header);
	if (!yaml_emitter_initialize(&em)) {
		yaml_document_delete(doc);
		return -ENOMEM;
	}
	yaml_emitter_set_output(&em, write_handler, &sb);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	int ok = yaml_emitter_open(&em) && yaml_emitter_dump(&em, doc) && yaml_emitter_close(&em) &&
		 yaml_emitter_flush(&em);
	int r = ok ? 0 : err_fail(-EIO, "Failed to emit YAML: %s", em.problem ? em.problem : "emitter error");
	yaml_emitter_delete(&em);
	if (!ok)
		yaml_document_delete(doc); /* dump deletes it only on success */
	if (r < 0) {
		sb_release(&sb);
		return r;
	}
	*out = sb_detach(&sb, NULL);
	return 0;
}

/* Fill template `name` with vars, emit with header. */
static int render_template(const char *name, const struct var *vars, size_t n_vars, const char *header,
			   char **out)
{
	_cleanup_(doc_deletep) yaml_document_t *tmpl = NULL;
	int r = load_template(name, &tmpl);
	if (r < 0)
		return r;
	yaml_document_t doc;
	if (!yaml_document_initialize(&doc, NULL, NULL, NULL, 1, 1))
		return -ENOMEM;
	struct fill f = {.out = &doc, .vars = vars, .n_vars = n_vars, .source = name};
	int root = 0;
	r = copy_node(&f, tmpl, yaml_document_get_root_node(tmpl), &root);
	if (r < 0) {
		yaml_document_delete(&doc);
		return r;
	}
	return emit(&doc, header, out);
}

/* Values go into YAML as scalars (escaping is libyaml's), but some must
 * still make sense to the installer. */
static int check_params(const struct install_params *p)
{
	if (p->firmware != FIRMWARE_BIOS && p->firmware != FIRMWARE_UEFI)
		return err_usage("autoinstall: firmware must be bios or uefi");
	if (p->arch == ARCH_ARM64 && p->firmware != FIRMWARE_UEFI)
		return err_usage("arm64 builds boot UEFI only");
	if (str_empty(p->user))
		return err_usage("autoinstall: the build user is required");
	/* No key: the build grants its key offline before the provision boot. */
	if (p->public_key && (strpbrk(p->public_key, "\r\n") || (!str_startswith(p->public_key, "ssh-") &&
								     !str_startswith(p->public_key, "ecdsa-"))))
		return err_usage("autoinstall: the build public key is not one authorized_keys line");
	if (p->password_hash && !str_startswith(p->password_hash, "$"))
		return err_usage("autoinstall: the password must be a crypt(3) hash, never plain text");
	return 0;
}

static int render_ours(const struct install_params *p, char **user_data)
{
	const struct os_info *o = os_by_id(p->os);
	_cleanup_(doc_deletep) yaml_document_t *storage = NULL;
	int r = load_template(p->firmware == FIRMWARE_UEFI ? "autoinstall-storage-uefi.yaml"
							   : "autoinstall-storage-bios.yaml",
			      &storage);
	if (r < 0)
		return r;
	const char *console = installer_serial_console(p->arch);
	const struct var vars[] = {
	    {"apt_fallback", VAR_STR, o->id == OS_UBUNTU20 ? NULL : "offline-install", NULL, NULL},
	    {"allow_pw", VAR_BOOL, p->password_hash ? "true" : "false", NULL, NULL},
	    {"storage_config", VAR_NODE, NULL, NULL, storage},
	    {"hostname", VAR_STR, p->hostname ? p->hostname : "hnbuild", NULL, NULL},
	    {"user", VAR_STR, p->user, NULL, NULL},
	    {"lock_passwd", VAR_BOOL, p->password_hash ? "false" : "true", NULL, NULL},
	    {"password_hash", VAR_STR, p->password_hash, NULL, NULL},
	    {"public_key", VAR_STR, p->public_key, NULL, NULL},
	    {"console", VAR_STR, console, NULL, NULL},
	    {"vmware_tools", VAR_STR, installer_vmware_tools(p->arch), NULL, NULL},
	    {"late_commands", VAR_LIST, NULL, p->late_commands, NULL},
	};
	return render_template("autoinstall-user-data.yaml", vars, ARRAY_SIZE(vars), "#cloud-config",
			       user_data);
}

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static int node_id(yaml_document_t *d, yaml_node_t *node)
{
	return node ? (int)(node - d->nodes.start) + 1 : 0;
}

static int render_user_file(const struct install_params *p, char **user_data)
{
	const char *file = p->user_file;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_file(file, &text, &len);
	if (r < 0)
		return err_usage("--autoinstall %s: %s", file, strerror(-r));
	_cleanup_(doc_deletep) yaml_document_t *doc = NULL;
	r = load_yaml(text, len, file, fail_user, &doc);
	if (r < 0)
		return r;
	yaml_node_t *root = yaml_document_get_root_node(doc);
	if (root->type != YAML_MAPPING_NODE)
		return err_usage("%s:%zu:%zu: an autoinstall file must be a YAML mapping", file,
				 root->start_mark.line + 1, root->start_mark.column + 1);
	yaml_node_t *ai = map_get(doc, root, "autoinstall");
	bool wrapped = ai != NULL;
	if (!ai && !map_get(doc, root, "version"))
		return err_usage(
		    "%s: not an autoinstall document: no 'autoinstall:' key and no top-level 'version:'",
		    file);
	if (ai && ai->type != YAML_MAPPING_NODE)
		return err_usage("%s:%zu:%zu: 'autoinstall:' must be a mapping", file,
				 ai->start_mark.line + 1, ai->start_mark.column + 1);
	yaml_node_t *lc = map_get(doc, ai ? ai : root, "late-commands");
	if (lc && lc->type != YAML_SEQUENCE_NODE)
		return err_usage("%s:%zu:%zu: 'late-commands' must be a list", file, lc->start_mark.line + 1,
				 lc->start_mark.column + 1);

	if (wrapped && strv_len(p->late_commands) == 0) {
		/* Verbatim: the user's comments and layout survive. */
		struct strbuf sb = STRBUF_INIT;
		sb_init(&sb);
		if (!str_startswith(text, "#cloud-config"))
			sb_adds(&sb, "#cloud-config\n");
		sb_add(&sb, text, len);
		*user_data = sb_detach(&sb, NULL);
		return 0;
	}
	/* Re-emit: wrap a bare document, append the extra late-commands. The
	 * user's values are copied as they are (no placeholders in raw mode). */
	yaml_document_t out;
	if (!yaml_document_initialize(&out, NULL, NULL, NULL, 1, 1))
		return -ENOMEM;
	struct fill f = {.out = &out, .source = file, .raw = true};
	int top = 0, body = 0;
	if (wrapped) {
		r = copy_node(&f, doc, root, &top);
		if (r < 0)
			goto fail;
		body = node_id(&out, map_get(&out, yaml_document_get_node(&out, top), "autoinstall"));
	} else {
		top = yaml_document_add_mapping(&out, NULL, YAML_BLOCK_MAPPING_STYLE);
		int key = yaml_document_add_scalar(&out, NULL, (const yaml_char_t *)"autoinstall", -1,
						   YAML_PLAIN_SCALAR_STYLE);
		if (!top || !key) {
			r = -ENOMEM;
			goto fail;
		}
		r = copy_node(&f, doc, root, &body);
		if (r < 0)
			goto fail;
		if (!yaml_document_append_mapping_pair(&out, top, key, body)) {
			r = -ENOMEM;
			goto fail;
		}
	}
	int lc_id = node_id(&out, map_get(&out, yaml_document_get_node(&out, body), "late-commands"));
	if (!lc_id && strv_len(p->late_commands)) {
		int key = yaml_document_add_scalar(&out, NULL, (const yaml_char_t *)"late-commands", -1,
						   YAML_PLAIN_SCALAR_STYLE);
		lc_id = yaml_document_add_sequence(&out, NULL, YAML_BLOCK_SEQUENCE_STYLE);
		if (!key || !lc_id || !yaml_document_append_mapping_pair(&out, body, key, lc_id)) {
			r = -ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; p->late_commands && p->late_commands[i]; i++) {
		int id = add_string(&out, p->late_commands[i], YAML_ANY_SCALAR_STYLE);
		if (!id || !yaml_document_append_sequence_item(&out, lc_id, id)) {
			r = -ENOMEM;
			goto fail;
		}
	}
	return emit(&out, "#cloud-config", user_data);
fail:
	yaml_document_delete(&out);
	return r;
}

int autoinstall_render(const struct install_params *p, char **user_data, char **meta_data)
{
	const struct os_info *o = os_by_id(p->os);
	if (!o || o->family != FAMILY_UBUNTU)
		return err_usage("autoinstall is for Ubuntu targets only");
	if (p->hostname &&
	    (str_empty(p->hostname) ||
	     strspn(p->hostname, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(p->hostname)))
		return err_usage("Invalid hostname '%s': a-z, 0-9 and -", p->hostname);
	_cleanup_free_ char *ud = NULL, *md = NULL;
	int r;
	if (p->user_file) {
		r = render_user_file(p, &ud);
	} else {
		r = check_params(p);
		if (r < 0)
			return r;
		r = render_ours(p, &ud);
	}
	if (r < 0)
		return r;
	const struct var md_vars[] = {
	    {"instance_id", VAR_STR, p->instance_id ? p->instance_id : "hnbuild-install", NULL, NULL},
	    {"hostname", VAR_STR, p->hostname ? p->hostname : "hnbuild", NULL, NULL},
	};
	r = render_template("autoinstall-meta-data.yaml", md_vars, ARRAY_SIZE(md_vars), NULL, &md);
	if (r < 0)
		return r;
	*user_data = TAKE_PTR(ud);
	*meta_data = TAKE_PTR(md);
	return 0;
}

static int render_install_data(const struct install_params *p, struct install_data *out)
{
	char *ud = NULL, *md = NULL;
	int r = autoinstall_render(p, &ud, &md);
	if (r < 0)
		return r;
	out->seed_label = "CIDATA";
	out->n_files = 2;
	out->files[0] = (struct install_file){xstrdup("user-data"), ud, strlen(ud)};
	out->files[1] = (struct install_file){xstrdup("meta-data"), md, strlen(md)};
	return 0;
}

const struct installer_ops autoinstall_installer = {
    .name = "autoinstall",
    .family = FAMILY_UBUNTU,
    .seed_label = "CIDATA",
    .render = render_install_data,
};
