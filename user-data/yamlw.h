/* yamlw.h — a small YAML writer over libyaml's emitter, so that every YAML
 * document hnbuild writes for deploy time (NodeConfig, cloud-config,
 * metadata) is escaped by libyaml and cannot be malformed by a value. */
#pragma once

#include <stdbool.h>
#include <yaml.h>

#include "strbuf.h"

struct yamlw {
	yaml_emitter_t emitter;
	struct strbuf *out;
	int error; /* first failure, sticky: later calls do nothing */
	bool open;
};

/* Start one document written to out (appended). A non-NULL header line
 * (e.g. "#cloud-config") is written first, followed by a newline. */
int yamlw_begin(struct yamlw *w, struct strbuf *out, const char *header);
/* Finish the document. Returns 0 or the first error (-EIO/-ENOMEM);
 * always releases the emitter. */
int yamlw_end(struct yamlw *w);
/* Release without finishing (on an error path). Safe after yamlw_end. */
void yamlw_abort(struct yamlw *w);

void yamlw_map_begin(struct yamlw *w);
void yamlw_map_end(struct yamlw *w);
void yamlw_seq_begin(struct yamlw *w);
void yamlw_flow_seq_begin(struct yamlw *w);
void yamlw_seq_end(struct yamlw *w);

/* A string scalar. Strings that a YAML 1.1 reader would take for a number,
 * boolean, null or timestamp ("0600", "yes", "~") are quoted, so they stay
 * strings. Multi-line strings use the literal block style when possible. */
void yamlw_str(struct yamlw *w, const char *s);
void yamlw_bool(struct yamlw *w, bool b);
void yamlw_int(struct yamlw *w, long long v);

/* key: value shortcuts inside a mapping. */
void yamlw_kv(struct yamlw *w, const char *key, const char *value);
void yamlw_kv_bool(struct yamlw *w, const char *key, bool value);
void yamlw_kv_int(struct yamlw *w, const char *key, long long value);
