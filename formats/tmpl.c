/* tmpl.c — ${key} substitution for plain-text and XML templates; XML values
 * go through libxml2's tree so they are escaped on output. */
#include "tmpl.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "cleanup.h"
#include "err.h"
#include "strbuf.h"
#include "util.h"

#define TMPL_NS "urn:hnbuild:template"

static const char *var_lookup(const struct tmpl_var *vars, const char *key, size_t key_len)
{
	for (; vars && vars->key; vars++)
		if (strlen(vars->key) == key_len && memcmp(vars->key, key, key_len) == 0)
			return vars->value ? vars->value : "";
	return NULL;
}

static int subst(const char *text, const struct tmpl_var *vars, struct strbuf *sb)
{
	const char *p = text;
	for (;;) {
		const char *open = strstr(p, "${");
		if (!open) {
			sb_adds(sb, p);
			return 0;
		}
		const char *close = strchr(open, '}');
		if (!close)
			return err_fail(-EINVAL, "Template has an unterminated placeholder near \"%.20s\"", open);
		sb_add(sb, p, (size_t)(open - p));
		const char *v = var_lookup(vars, open + 2, (size_t)(close - open - 2));
		if (!v)
			return err_fail(-EINVAL, "Template uses an unknown placeholder %.*s", (int)(close - open + 1),
					open);
		sb_adds(sb, v);
		p = close + 1;
	}
}

int tmpl_text(const char *text, const struct tmpl_var *vars, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	int r = subst(text, vars, &sb);
	if (r < 0) {
		sb_release(&sb);
		return r;
	}
	*out = sb_detach(&sb, NULL);
	return 0;
}

static bool flag_set(const char *const *flags, const char *name)
{
	for (; flags && *flags; flags++)
		if (strcmp(*flags, name) == 0)
			return true;
	return false;
}

/* Replace the content of a text node with its filled-in value. Setting the
 * content of a text node stores it raw; serialisation escapes it. */
static int fill_text_node(xmlNodePtr t, const struct tmpl_var *vars)
{
	if (!t->content || !strstr((const char *)t->content, "${"))
		return 0;
	_cleanup_free_ char *v = NULL;
	int r = tmpl_text((const char *)t->content, vars, &v);
	if (r < 0)
		return r;
	xmlNodeSetContent(t, BAD_CAST v);
	return 0;
}

static void unlink_with_indent(xmlNodePtr n)
{
	xmlNodePtr prev = n->prev;
	if (prev && prev->type == XML_TEXT_NODE && xmlIsBlankNode(prev)) {
		xmlUnlinkNode(prev);
		xmlFreeNode(prev);
	}
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

static int fill_tree(xmlNodePtr n, const struct tmpl_var *vars, const char *const *flags)
{
	for (xmlNodePtr c = n->children, next; c; c = next) {
		next = c->next;
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			int r = fill_text_node(c, vars);
			if (r < 0)
				return r;
			continue;
		}
		if (c->type != XML_ELEMENT_NODE)
			continue;
		xmlChar *cond = xmlGetNsProp(c, BAD_CAST "if", BAD_CAST TMPL_NS);
		if (cond) {
			bool keep = flag_set(flags, (const char *)cond);
			xmlFree(cond);
			if (!keep) {
				unlink_with_indent(c);
				continue;
			}
			xmlAttrPtr a = xmlHasNsProp(c, BAD_CAST "if", BAD_CAST TMPL_NS);
			if (a)
				xmlRemoveProp(a);
		}
		for (xmlAttrPtr a = c->properties; a; a = a->next)
			for (xmlNodePtr t = a->children; t; t = t->next)
				if (t->type == XML_TEXT_NODE) {
					int r = fill_text_node(t, vars);
					if (r < 0)
						return r;
				}
		int r = fill_tree(c, vars, flags);
		if (r < 0)
			return r;
	}
	return 0;
}

static void drop_template_ns(xmlNodePtr root)
{
	for (xmlNsPtr *pp = &root->nsDef; *pp; pp = &(*pp)->next) {
		if ((*pp)->href && strcmp((const char *)(*pp)->href, TMPL_NS) == 0) {
			xmlNsPtr ns = *pp;
			*pp = ns->next;
			ns->next = NULL;
			xmlFreeNs(ns);
			return;
		}
	}
}

int tmpl_xml(const char *xml, size_t len, const struct tmpl_var *vars, const char *const *flags, char **out,
	     size_t *out_len)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "template.xml", "UTF-8", XML_PARSE_NONET);
	if (!doc)
		return err_fail(-EINVAL, "XML template does not parse");
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int r = root ? fill_tree((xmlNodePtr)doc, vars, flags) : err_fail(-EINVAL, "XML template is empty");
	if (r == 0) {
		drop_template_ns(root);
		xmlChar *buf = NULL;
		int n = 0;
		xmlDocDumpMemoryEnc(doc, &buf, &n, "UTF-8");
		if (!buf) {
			r = err_fail(-ENOMEM, "Failed to serialise XML");
		} else {
			*out = strndup((const char *)buf, (size_t)n);
			if (out_len)
				*out_len = (size_t)n;
			xmlFree(buf);
		}
	}
	xmlFreeDoc(doc);
	return r;
}
