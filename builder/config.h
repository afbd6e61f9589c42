/* config.h — reads hnbuild.yaml (the build file) into plain key/value
 * layers with file:line:column origins; spec.c decides what they mean. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

struct config_value {
	char *key;
	char **values;  /* one for scalars, several for sequences */
	bool is_list;
	char *origin;   /* "hnbuild.yaml:3:5" */
};

struct config_layer {
	struct config_value *items;
	size_t n;
	char *origin;   /* where the layer starts (a target entry) */
};

struct config_file {
	struct config_layer top;      /* settings outside targets: */
	struct config_layer *targets; /* one layer per entry of targets: */
	size_t n_targets;
	bool has_targets;
};

/* Parse path. Syntax errors and structural problems (a target that is not
 * a mapping, a nested mapping where a value belongs) are appended to
 * *problems as "file:line:column: ..." lines; returns -EINVAL then.
 * Unknown keys are left for the caller to judge. */
int config_load(const char *path, struct config_file *out, char ***problems);
/* Same for YAML held in memory (name is used in messages). */
int config_parse(const char *name, const char *text, size_t len, struct config_file *out, char ***problems);
void config_free(struct config_file *cf);

/* Load text as exactly one YAML document into *doc (the caller deletes it
 * with yaml_document_delete). A syntax error, a second document (which
 * would be ignored) or an alias (*name, with which a few kilobytes expand
 * into millions of values) is refused with one "name:line:column: ..." line
 * in *problem (caller frees); returns -EINVAL then. */
int config_yaml_load(const char *name, const char *text, size_t len, yaml_document_t *doc, char **problem);

/* For each pair of a mapping, the index of the first pair with the same
 * key: its own index when the key is new, an earlier one when the key is
 * given again (YAML would let the last win silently). Keys that are not
 * scalars count as new. O(n log n); the caller frees the array. */
size_t *config_mapping_firsts(yaml_document_t *doc, yaml_node_t *map);
/* A plain ~, null or nothing: YAML's null, which a reader would take as the
 * text "null" or "". */
bool config_yaml_null(yaml_node_t *v);
