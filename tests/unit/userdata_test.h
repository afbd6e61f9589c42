/* userdata_test.h — shared by the user-data unit tests: golden-file
 * comparison (HNBUILD_UPDATE_GOLDEN=1 rewrites them), small file helpers, and a
 * YAML lookup by path on libyaml documents. Tests run from the repo root. */
#pragma once

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <yaml.h>

#include "golden_test.h"
#include "util.h"

static inline void ud_check_golden(const char *golden, const char *actual)
{
	if (golden_update()) {
		ck_assert_int_eq(write_file_atomic(golden, actual, strlen(actual), 0644), 0);
		return;
	}
	char *expected = NULL;
	size_t len = 0;
	int r = read_file(golden, &expected, &len);
	ck_assert_msg(r == 0, "cannot read golden file %s (run with HNBUILD_UPDATE_GOLDEN=1 to create it)", golden);
	if (strcmp(expected, actual) != 0) {
		char tmp[] = "/tmp/hnbuild-golden-XXXXXX";
		int fd = mkstemp(tmp);
		if (fd >= 0) {
			ssize_t w = write(fd, actual, strlen(actual));
			(void)w;
			close(fd);
		}
		free(expected);
		ck_abort_msg("output differs from %s (actual output in %s; diff -u %s %s)", golden, tmp,
			     golden, tmp);
	}
	free(expected);
}

/* Write text to a fresh temporary file; returns its path (caller frees and unlinks). */
static inline char *ud_tmpfile(const char *text, const char *suffix)
{
	char *path = NULL;
	if (asprintf(&path, "/tmp/hnbuild-ud-XXXXXX%s", suffix ? suffix : "") < 0)
		abort();
	int fd = mkstemps(path, suffix ? (int)strlen(suffix) : 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Run a shell command; returns its exit status (or -1). */
static inline int ud_run(const char *cmd)
{
	int st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* Parsed YAML document with lookups by a dotted path ("spec.hybrid.ssm.activationId";
 * a number selects a sequence item: "write_files.0.path"). */
struct ud_yaml {
	yaml_document_t doc;
	int ok;
};

static inline int ud_yaml_load(struct ud_yaml *y, const char *text)
{
	yaml_parser_t p;
	memset(y, 0, sizeof(*y));
	if (!yaml_parser_initialize(&p))
		return -1;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	y->ok = yaml_parser_load(&p, &y->doc);
	yaml_parser_delete(&p);
	return y->ok ? 0 : -1;
}

static inline void ud_yaml_free(struct ud_yaml *y)
{
	if (y->ok)
		yaml_document_delete(&y->doc);
	y->ok = 0;
}

static inline yaml_node_t *ud_yaml_node(struct ud_yaml *y, const char *path)
{
	yaml_node_t *n = yaml_document_get_root_node(&y->doc);
	char *copy = strdup(path), *save = NULL;
	for (char *k = strtok_r(copy, ".", &save); k && n; k = strtok_r(NULL, ".", &save)) {
		yaml_node_t *next = NULL;
		if (n->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
			     p++) {
				yaml_node_t *key = yaml_document_get_node(&y->doc, p->key);
				if (key->type == YAML_SCALAR_NODE &&
				    strcmp((char *)key->data.scalar.value, k) == 0)
					next = yaml_document_get_node(&y->doc, p->value);
			}
		} else if (n->type == YAML_SEQUENCE_NODE) {
			long i = strtol(k, NULL, 10);
			if (i >= 0 && i < n->data.sequence.items.top - n->data.sequence.items.start)
				next = yaml_document_get_node(&y->doc, n->data.sequence.items.start[i]);
		}
		n = next;
	}
	free(copy);
	return n;
}

/* Scalar at path, or NULL. */
static inline const char *ud_yaml_str(struct ud_yaml *y, const char *path)
{
	yaml_node_t *n = ud_yaml_node(y, path);
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Style of the scalar at path (to check that "0600" stays quoted). */
static inline int ud_yaml_style(struct ud_yaml *y, const char *path)
{
	yaml_node_t *n = ud_yaml_node(y, path);
	return n && n->type == YAML_SCALAR_NODE ? (int)n->data.scalar.style : -1;
}

static inline char *ud_strv_join(char **v)
{
	size_t len = 1;
	for (size_t i = 0; v && v[i]; i++)
		len += strlen(v[i]) + 1;
	char *s = calloc(1, len);
	for (size_t i = 0; v && v[i]; i++) {
		strcat(s, v[i]);
		strcat(s, "\n");
	}
	return s;
}

/* Does some problem line contain needle? */
static inline int ud_has_problem(char **problems, const char *needle)
{
	for (size_t i = 0; problems && problems[i]; i++)
		if (strstr(problems[i], needle))
			return 1;
	return 0;
}
