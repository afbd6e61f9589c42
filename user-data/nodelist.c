/* nodelist.c — node names and static addresses from flags or a YAML/CSV file. */
#include "nodelist.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cleanup.h"
#include "config.h"
#include "nodeconfig.h"
#include "strbuf.h"
#include "util.h"

static void problem(char ***problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(char ***problems, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	strv_push(problems, sb.buf);
}

static struct node_entry *nodelist_push(struct node_list *list)
{
	struct node_entry *n = realloc(list->items, (list->n + 1) * sizeof(*n));
	if (!n)
		abort();
	list->items = n;
	memset(&n[list->n], 0, sizeof(n[0]));
	return &n[list->n++];
}

void nodelist_add(struct node_list *list, const char *name, const char *origin)
{
	struct node_entry *e = nodelist_push(list);
	e->name = xstrdup(name);
	e->origin = xstrdup(origin);
}

void nodelist_free(struct node_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		struct node_entry *e = &list->items[i];
		free(e->name);
		free(e->address);
		free(e->gateway);
		strv_free(e->dns);
		free(e->interface);
		free(e->origin);
	}
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void split_dns(const char *text, char ***dns)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;
	for (char *tok = strtok_r(copy, "; \t", &save); tok; tok = strtok_r(NULL, "; \t", &save))
		strv_push(dns, tok);
}

static int load_csv(const char *path, const char *data, struct node_list *list, char ***problems)
{
	int bad = 0;
	unsigned line_no = 0;
	_cleanup_free_ char *copy = xstrdup(data);
	bool first = true;
	for (char *line = copy, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line_no++;
		char *l = trim(line);
		if (!*l || *l == '#')
			continue;
		char *cells[6] = {0};
		int n = 0;
		for (char *c = l; c && n < 6; n++) {
			char *comma = strchr(c, ',');
			if (comma)
				*comma = '\0';
			cells[n] = trim(c);
			c = comma ? comma + 1 : NULL;
		}
		if (first && strcmp(cells[0], "name") == 0) {
			first = false;
			continue;
		}
		first = false;
		if (n > 5) {
			problem(problems, "%s:%u: expected at most 5 columns (name,address,gateway,dns,interface)",
				path, line_no);
			bad = 1;
			continue;
		}
		struct node_entry *e = nodelist_push(list);
		e->name = xstrdup(cells[0]);
		if (n > 1 && *cells[1])
			e->address = xstrdup(cells[1]);
		if (n > 2 && *cells[2])
			e->gateway = xstrdup(cells[2]);
		if (n > 3 && *cells[3])
			split_dns(cells[3], &e->dns);
		if (n > 4 && *cells[4])
			e->interface = xstrdup(cells[4]);
		_cleanup_strbuf_ struct strbuf o = STRBUF_INIT;
		sb_init(&o);
		sb_addf(&o, "%s:%u", path, line_no);
		e->origin = sb_detach(&o, NULL);
	}
	return bad ? -EINVAL : 0;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void yaml_where(struct strbuf *sb, const char *path, yaml_node_t *n)
{
	sb_addf(sb, "%s:%zu:%zu", path, n->start_mark.line + 1, n->start_mark.column + 1);
}

static int yaml_item(const char *path, yaml_document_t *doc, yaml_node_t *item, struct node_list *list,
		     char ***problems)
{
	_cleanup_strbuf_ struct strbuf where = STRBUF_INIT;
	sb_init(&where);
	yaml_where(&where, path, item);
	if (item->type == YAML_SCALAR_NODE) {
		nodelist_add(list, scalar(item), where.buf);
		return 0;
	}
	if (item->type != YAML_MAPPING_NODE) {
		problem(problems, "%s: a node must be a mapping (name, address, gateway, dns) or a name",
			where.buf);
		return -EINVAL;
	}
	struct node_entry *e = nodelist_push(list);
	e->origin = xstrdup(where.buf);
	int bad = 0;
	_cleanup_free_ size_t *firsts = config_mapping_firsts(doc, item);
	for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *key = scalar(k);
		_cleanup_strbuf_ struct strbuf vw = STRBUF_INIT;
		sb_init(&vw);
		yaml_where(&vw, path, v ? v : k);
		size_t at = (size_t)(p - item->data.mapping.pairs.start);
		if (firsts[at] != at) {
			_cleanup_strbuf_ struct strbuf kw = STRBUF_INIT;
			sb_init(&kw);
			yaml_where(&kw, path, k);
			yaml_node_t *fk = yaml_document_get_node(doc, item->data.mapping.pairs.start[firsts[at]].key);
			problem(problems, "%s: '%s' is given twice for this node (first at line %zu)", kw.buf, key,
				fk->start_mark.line + 1);
			bad = 1;
			continue;
		}
		if (key && config_yaml_null(v)) {
			problem(problems, "%s: '%s' is null: give a value, or leave the key out", vw.buf, key);
			bad = 1;
			continue;
		}
		if (key && strcmp(key, "dns") == 0) {
			if (v->type == YAML_SEQUENCE_NODE) {
				for (yaml_node_item_t *i = v->data.sequence.items.start;
				     i < v->data.sequence.items.top; i++) {
					const char *s = scalar(yaml_document_get_node(doc, *i));
					if (s)
						strv_push(&e->dns, s);
					else {
						problem(problems, "%s: dns entries must be addresses",
							vw.buf);
						bad = 1;
					}
				}
			} else if (scalar(v)) {
				split_dns(scalar(v), &e->dns);
			}
			continue;
		}
		char **slot = !key			    ? NULL
			      : strcmp(key, "name") == 0    ? &e->name
			      : strcmp(key, "address") == 0 ? &e->address
			      : strcmp(key, "gateway") == 0 ? &e->gateway
			      : strcmp(key, "interface") == 0 ? &e->interface
							    : NULL;
		if (!slot) {
			_cleanup_strbuf_ struct strbuf kw = STRBUF_INIT;
			sb_init(&kw);
			yaml_where(&kw, path, k);
			problem(problems,
				"%s: unknown key '%s' (expected name, address, gateway, dns, interface)",
				kw.buf, key ? key : "?");
			bad = 1;
		} else if (!scalar(v)) {
			problem(problems, "%s: '%s' must be a single value", vw.buf, key);
			bad = 1;
		} else if (*scalar(v)) {
			str_set(slot, scalar(v));
		}
	}
	if (!e->name) {
		problem(problems, "%s: the node has no name", where.buf);
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

static int load_yaml(const char *path, const char *data, size_t len, struct node_list *list, char ***problems)
{
	yaml_document_t doc;
	_cleanup_free_ char *bad = NULL;
	if (config_yaml_load(path, data, len, &doc, &bad) < 0) {
		problem(problems, "%s", bad);
		return -EINVAL;
	}
	int r = 0;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		yaml_node_t *nodes = NULL;
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
		     p++) {
			yaml_node_t *k = yaml_document_get_node(&doc, p->key);
			const char *key = scalar(k);
			_cleanup_strbuf_ struct strbuf kw = STRBUF_INIT;
			sb_init(&kw);
			yaml_where(&kw, path, k);
			if (!key || strcmp(key, "nodes")) {
				problem(problems, "%s: unknown key '%s' (a node list holds only 'nodes')", kw.buf,
					key ? key : "?");
				r = -EINVAL;
			} else if (nodes) {
				problem(problems, "%s: 'nodes' is given twice", kw.buf);
				r = -EINVAL;
			} else {
				nodes = yaml_document_get_node(&doc, p->value);
			}
		}
		if (r < 0) {
			yaml_document_delete(&doc);
			return r;
		}
		root = nodes;
	}
	if (!root || root->type != YAML_SEQUENCE_NODE) {
		problem(problems, "%s: expected a list of nodes (or a mapping with a 'nodes' list)", path);
		r = -EINVAL;
	} else {
		for (yaml_node_item_t *i = root->data.sequence.items.start; i < root->data.sequence.items.top;
		     i++)
			if (yaml_item(path, &doc, yaml_document_get_node(&doc, *i), list, problems) < 0)
				r = -EINVAL;
	}
	yaml_document_delete(&doc);
	return r;
}

static bool looks_like_csv(const char *data)
{
	for (const char *l = data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '\n' || *l == '#' || *l == '\r')
			continue;
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		return memchr(l, ',', n) && !memchr(l, ':', n) && *l != '-' && *l != '[' && *l != '{';
	}
	return false;
}

int nodelist_load(const char *path, struct node_list *list, char ***problems)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = read_file(path, &data, &len);
	if (r < 0) {
		problem(problems, "%s: cannot read: %s", path, strerror(-r));
		return r;
	}
	if (memchr(data, '\0', len)) { /* the rest would be silently dropped */
		problem(problems, "%s: holds a NUL byte: not a text file", path);
		return -EINVAL;
	}
	size_t before = list->n;
	const char *ext = strrchr(path, '.');
	bool csv = ext && strcmp(ext, ".csv") == 0;
	bool yaml = ext && (strcmp(ext, ".yaml") == 0 || strcmp(ext, ".yml") == 0);
	if (!csv && !yaml)
		csv = looks_like_csv(data);
	r = csv ? load_csv(path, data, list, problems) : load_yaml(path, data, len, list, problems);
	if (r == 0 && list->n == before) {
		problem(problems, "%s: lists no nodes", path);
		r = -EINVAL;
	}
	return r;
}

/* "10.0.0.11" -> family, or 0. */
static int ip_family(const char *s)
{
	unsigned char buf[16];
	if (inet_pton(AF_INET, s, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return AF_INET6;
	return 0;
}

static int cidr_family(const char *s)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *slash = strchr(copy, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	int fam = ip_family(copy);
	unsigned long long bits;
	if (!fam || parse_uint(slash + 1, 1, fam == AF_INET ? 32 : 128, &bits) < 0)
		return 0;
	return fam;
}

int nodelist_validate(const struct node_list *list, char ***problems)
{
	size_t before = strv_len(*problems);
	if (list->n == 0)
		problem(problems, "--node-name: at least one node is required (--node-name or --nodes)");
	for (size_t i = 0; i < list->n; i++) {
		const struct node_entry *e = &list->items[i];
		const char *o = e->origin;
		if (!nodeconfig_node_name_ok(e->name))
			problem(problems,
				"%s: node name '%s' must be 1-64 lowercase letters, digits, '-' or '.', "
				"starting and ending with a letter or digit",
				o, e->name ? e->name : "");
		for (size_t j = 0; j < i; j++)
			if (e->name && list->items[j].name && strcmp(e->name, list->items[j].name) == 0)
				problem(problems, "%s: node name '%s' is given twice (also at %s)", o,
					e->name, list->items[j].origin);
		int fam = 0;
		if (e->address) {
			fam = cidr_family(e->address);
			if (!fam)
				problem(problems,
					"%s: address '%s' must be an address with a prefix length, like "
					"10.0.0.11/24",
					o, e->address);
		} else if (e->gateway || e->dns) {
			problem(problems, "%s: gateway and dns need a static address (no address means DHCP)",
				o);
		}
		if (e->gateway) {
			int gf = ip_family(e->gateway);
			if (!gf)
				problem(problems, "%s: gateway '%s' is not an IP address", o, e->gateway);
			else if (fam && gf != fam)
				problem(problems, "%s: gateway '%s' is not in the address family of '%s'", o,
					e->gateway, e->address);
		}
		if (e->interface && (strlen(e->interface) > 15 ||
				     strspn(e->interface, "abcdefghijklmnopqrstuvwxyz"
							  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-*") !=
					 strlen(e->interface)))
			problem(problems, "%s: interface '%s' is not a network interface name (or glob)", o,
				e->interface);
		for (size_t k = 0; e->dns && e->dns[k]; k++)
			if (!ip_family(e->dns[k]))
				problem(problems, "%s: DNS server '%s' is not an IP address", o, e->dns[k]);
	}
	return strv_len(*problems) > before ? -EINVAL : 0;
}
