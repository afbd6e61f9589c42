/* config.c — hnbuild.yaml parsing with libyaml's document API, keeping the
 * position of every key so errors can say file:line:column. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cleanup.h"
#include "strbuf.h"
#include "util.h"

static char *mark_origin(const char *name, yaml_mark_t m)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "%s:%zu:%zu", name, m.line + 1, m.column + 1);
	return sb_detach(&sb, NULL);
}

static void problem(char ***problems, const char *name, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void problem(char ***problems, const char *name, yaml_mark_t m, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "%s:%zu:%zu: ", name, m.line + 1, m.column + 1);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	strv_push(problems, sb_str(&sb));
	sb_release(&sb);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void layer_add(struct config_layer *l, struct config_value v)
{
	struct config_value *ni = realloc(l->items, (l->n + 1) * sizeof(*ni));
	if (!ni)
		abort();
	l->items = ni;
	l->items[l->n++] = v;
}

struct key_at {
	const char *key;
	size_t at;
};

static int key_at_cmp(const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->at > y->at) - (x->at < y->at);
}

size_t *config_mapping_firsts(yaml_document_t *doc, yaml_node_t *map)
{
	size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	size_t *first = xcalloc(n ? n : 1, sizeof(*first));
	_cleanup_free_ struct key_at *keys = xcalloc(n ? n : 1, sizeof(*keys));
	size_t nk = 0;
	for (size_t i = 0; i < n; i++) {
		first[i] = i;
		const char *k = scalar(yaml_document_get_node(doc, map->data.mapping.pairs.start[i].key));
		if (k)
			keys[nk++] = (struct key_at){k, i};
	}
	/* sorted by key, then by position: each run's first entry is the
	 * first occurrence (O(n log n); comparing every pair was quadratic) */
	qsort(keys, nk, sizeof(*keys), key_at_cmp);
	for (size_t i = 1; i < nk; i++)
		if (!strcmp(keys[i].key, keys[i - 1].key))
			first[keys[i].at] = first[keys[i - 1].at];
	return first;
}

bool config_yaml_null(yaml_node_t *v)
{
	const char *s = scalar(v);
	return s && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"));
}

/* Read one mapping of settings into layer; "targets" is read by the caller
 * at the top level, and is a problem inside a target. */
static int read_mapping(yaml_document_t *doc, yaml_node_t *map, const char *name, struct config_layer *layer,
			bool top, char ***problems)
{
	int bad = 0;
	_cleanup_free_ size_t *firsts = config_mapping_firsts(doc, map);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *key = scalar(k);
		if (!key) {
			problem(problems, name, k->start_mark, "%s", "keys must be plain names");
			bad = 1;
			continue;
		}
		size_t at = (size_t)(p - map->data.mapping.pairs.start);
		if (firsts[at] != at) {
			yaml_node_t *fk = yaml_document_get_node(doc, map->data.mapping.pairs.start[firsts[at]].key);
			problem(problems, name, k->start_mark, "'%s' is given twice in this mapping (first at line %zu)", key,
				fk->start_mark.line + 1);
			bad = 1;
			continue;
		}
		if (!strcmp(key, "targets")) {
			if (!top) {
				problem(problems, name, k->start_mark, "%s", "'targets' inside a target: targets do not nest");
				bad = 1;
			}
			continue;
		}
		if (config_yaml_null(v)) {
			problem(problems, name, v->start_mark, "'%s' is null: give a value, or leave the key out", key);
			bad = 1;
			continue;
		}
		struct config_value cv = {0};
		cv.key = xstrdup(key);
		cv.origin = mark_origin(name, k->start_mark);
		if (v->type == YAML_SCALAR_NODE) {
			strv_push(&cv.values, scalar(v));
		} else if (v->type == YAML_SEQUENCE_NODE) {
			cv.is_list = true;
			for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
			     it++) {
				yaml_node_t *e = yaml_document_get_node(doc, *it);
				if (!scalar(e)) {
					problem(problems, name, e->start_mark,
						"'%s': list items must be plain values", key);
					bad = 1;
					continue;
				}
				strv_push(&cv.values, scalar(e));
			}
		} else {
			problem(problems, name, v->start_mark, "'%s': expected a value or a list, not a mapping",
				key);
			bad = 1;
		}
		layer_add(layer, cv);
	}
	return bad ? -EINVAL : 0;
}

/* An alias makes a node the child of more than one parent (or of one
 * parent twice): count the references. */
static const yaml_node_t *aliased_node(yaml_document_t *doc)
{
	size_t n = (size_t)(doc->nodes.top - doc->nodes.start);
	_cleanup_free_ unsigned char *refs = xcalloc(n + 1, 1);
#define REF(id)                                                                                            \
	do {                                                                                               \
		if ((id) >= 1 && (size_t)(id) <= n && refs[(id)]++)                                        \
			return yaml_document_get_node(doc, (id));                                          \
	} while (0)
	for (yaml_node_t *node = doc->nodes.start; node < doc->nodes.top; node++) {
		if (node->type == YAML_SEQUENCE_NODE)
			for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top;
			     it++)
				REF(*it);
		else if (node->type == YAML_MAPPING_NODE)
			for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
			     p++) {
				REF(p->key);
				REF(p->value);
			}
	}
#undef REF
	return NULL;
}

int config_yaml_load(const char *name, const char *text, size_t len, yaml_document_t *doc, char **problem)
{
	yaml_parser_t parser;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	*problem = NULL;
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, doc)) {
		sb_addf(&sb, "%s:%zu:%zu: YAML syntax error: %s", name, parser.problem_mark.line + 1,
			parser.problem_mark.column + 1, parser.problem ? parser.problem : "unknown");
		if (parser.context)
			sb_addf(&sb, " (%s)", parser.context);
		yaml_parser_delete(&parser);
		*problem = sb_detach(&sb, NULL);
		return -EINVAL;
	}
	const yaml_node_t *alias = aliased_node(doc);
	if (alias) {
		sb_addf(&sb, "%s:%zu:%zu: this value is used again through a YAML alias (*name): aliases are not accepted, write the value out", name,
			alias->start_mark.line + 1, alias->start_mark.column + 1);
	} else if (yaml_document_get_root_node(doc)) {
		yaml_document_t next;
		if (!yaml_parser_load(&parser, &next)) {
			sb_addf(&sb, "%s:%zu:%zu: YAML syntax error: %s", name, parser.problem_mark.line + 1,
				parser.problem_mark.column + 1, parser.problem ? parser.problem : "unknown");
		} else {
			yaml_node_t *root = yaml_document_get_root_node(&next);
			if (root)
				sb_addf(&sb, "%s:%zu:%zu: a second YAML document: the file must hold one", name,
					root->start_mark.line + 1, root->start_mark.column + 1);
			yaml_document_delete(&next);
		}
	}
	yaml_parser_delete(&parser);
	if (sb.len) {
		yaml_document_delete(doc);
		*problem = sb_detach(&sb, NULL);
		return -EINVAL;
	}
	sb_release(&sb);
	return 0;
}

int config_parse(const char *name, const char *text, size_t len, struct config_file *out, char ***problems)
{
	yaml_document_t doc;
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->top.origin = xstrdup(name);
	_cleanup_free_ char *bad = NULL;
	if (config_yaml_load(name, text, len, &doc, &bad) < 0) {
		strv_push(problems, bad);
		return -EINVAL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) /* empty file: no settings */
		goto done;
	if (root->type != YAML_MAPPING_NODE) {
		problem(problems, name, root->start_mark, "%s", "the build file must be a mapping of settings");
		r = -EINVAL;
		goto done;
	}
	if (read_mapping(&doc, root, name, &out->top, true, problems) < 0)
		r = -EINVAL;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		if (!scalar(k) || strcmp(scalar(k), "targets"))
			continue;
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		out->has_targets = true;
		if (v->type != YAML_SEQUENCE_NODE) {
			problem(problems, name, v->start_mark, "%s", "'targets' must be a list of mappings");
			r = -EINVAL;
			continue;
		}
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(&doc, *it);
			if (e->type != YAML_MAPPING_NODE) {
				problem(problems, name, e->start_mark, "%s",
					"each entry of 'targets' must be a mapping (os: ..., arch: ...)");
				r = -EINVAL;
				continue;
			}
			struct config_layer *nt = realloc(out->targets, (out->n_targets + 1) * sizeof(*nt));
			if (!nt)
				abort();
			out->targets = nt;
			struct config_layer *layer = &out->targets[out->n_targets++];
			memset(layer, 0, sizeof(*layer));
			layer->origin = mark_origin(name, e->start_mark);
			if (read_mapping(&doc, e, name, layer, false, problems) < 0)
				r = -EINVAL;
		}
	}
done:
	yaml_document_delete(&doc);
	return r;
}

int config_load(const char *path, struct config_file *out, char ***problems)
{
	char *text = NULL;
	size_t len = 0;
	int r = read_file(path, &text, &len);
	if (r < 0) {
		memset(out, 0, sizeof(*out));
		struct strbuf sb = STRBUF_INIT;
		sb_init(&sb);
		sb_addf(&sb, "--config %s: cannot read: %s", path, strerror(-r));
		strv_push(problems, sb_str(&sb));
		sb_release(&sb);
		return r;
	}
	r = config_parse(path, text, len, out, problems);
	free(text);
	return r;
}

static void layer_free(struct config_layer *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		strv_free(l->items[i].values);
		free(l->items[i].origin);
	}
	free(l->items);
	free(l->origin);
}

void config_free(struct config_file *cf)
{
	layer_free(&cf->top);
	for (size_t i = 0; i < cf->n_targets; i++)
		layer_free(&cf->targets[i]);
	free(cf->targets);
	memset(cf, 0, sizeof(*cf));
}
