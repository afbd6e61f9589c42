/* tmpl.h — fill the data-file templates under formats/templates/: ${key}
 * placeholders in plain text, and in XML (values escaped by libxml2, and
 * elements kept or dropped by an hn:if="flag" attribute). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct tmpl_var {
	const char *key;
	const char *value;
};

/* Replace every ${key} in text; an unknown key is an error (a template typo
 * must not ship). vars ends with {NULL, NULL}. */
int tmpl_text(const char *text, const struct tmpl_var *vars, char **out);

/* Parse the XML template, fill ${key} in text and attribute values, drop
 * elements whose hn:if flag (namespace urn:hnbuild:template) is not in
 * flags (NULL-terminated), remove the hn namespace, and serialise as UTF-8. */
int tmpl_xml(const char *xml, size_t len, const struct tmpl_var *vars, const char *const *flags, char **out,
	     size_t *out_len);
