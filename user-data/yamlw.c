/* yamlw.c — YAML writing through libyaml's emitter into a strbuf. */
#include "yamlw.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int yamlw_write_handler(void *data, unsigned char *buffer, size_t size)
{
	struct yamlw *w = data;
	sb_add(w->out, buffer, size);
	return 1;
}

static void yamlw_emit(struct yamlw *w, yaml_event_t *ev, int init_ok)
{
	if (!init_ok) {
		if (!w->error)
			w->error = -ENOMEM;
		return;
	}
	if (w->error || !w->open) {
		yaml_event_delete(ev);
		if (!w->error)
			w->error = -EINVAL;
		return;
	}
	if (!yaml_emitter_emit(&w->emitter, ev))
		w->error = -EIO;
}

int yamlw_begin(struct yamlw *w, struct strbuf *out, const char *header)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	if (!yaml_emitter_initialize(&w->emitter))
		return w->error = -ENOMEM;
	w->open = true;
	yaml_emitter_set_output(&w->emitter, yamlw_write_handler, w);
	yaml_emitter_set_unicode(&w->emitter, 1);
	yaml_emitter_set_width(&w->emitter, -1); /* never fold long lines */
	yaml_emitter_set_indent(&w->emitter, 2);
	if (header) {
		sb_adds(out, header);
		sb_addc(out, '\n');
	}
	yaml_event_t ev;
	yamlw_emit(w, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	yamlw_emit(w, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	return w->error;
}

int yamlw_end(struct yamlw *w)
{
	if (!w->open)
		return w->error ? w->error : -EINVAL;
	yaml_event_t ev;
	yamlw_emit(w, &ev, yaml_document_end_event_initialize(&ev, 1));
	yamlw_emit(w, &ev, yaml_stream_end_event_initialize(&ev));
	if (!w->error && !yaml_emitter_flush(&w->emitter))
		w->error = -EIO;
	yaml_emitter_delete(&w->emitter);
	w->open = false;
	return w->error;
}

void yamlw_abort(struct yamlw *w)
{
	if (w->open)
		yaml_emitter_delete(&w->emitter);
	w->open = false;
}

void yamlw_map_begin(struct yamlw *w)
{
	yaml_event_t ev;
	yamlw_emit(w, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

void yamlw_map_end(struct yamlw *w)
{
	yaml_event_t ev;
	yamlw_emit(w, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void yamlw_seq_start(struct yamlw *w, yaml_sequence_style_t style)
{
	yaml_event_t ev;
	yamlw_emit(w, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, style));
}

void yamlw_seq_begin(struct yamlw *w)
{
	yamlw_seq_start(w, YAML_BLOCK_SEQUENCE_STYLE);
}
void yamlw_flow_seq_begin(struct yamlw *w)
{
	yamlw_seq_start(w, YAML_FLOW_SEQUENCE_STYLE);
}

void yamlw_seq_end(struct yamlw *w)
{
	yaml_event_t ev;
	yamlw_emit(w, &ev, yaml_sequence_end_event_initialize(&ev));
}

/* Would a YAML 1.1 reader (PyYAML, as cloud-init uses) resolve this plain
 * scalar to something other than a string? Errs on the side of quoting. */
static bool plain_is_ambiguous(const char *s)
{
	static const char *const words[] = {
	    "y", "n", "yes",  "no",   "true",  "false", "on", "off", "null",
	    "~", "",  ".nan", ".inf", "-.inf", "+.inf", "<<", "=",
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	/* Numbers in any base, sexagesimals, floats and timestamps all start
	 * with a digit, a sign or a dot followed by a digit. */
	if (isdigit((unsigned char)s[0]))
		return true;
	if ((s[0] == '-' || s[0] == '+' || s[0] == '.') && (isdigit((unsigned char)s[1]) || s[1] == '.'))
		return true;
	return false;
}

static void yamlw_scalar(struct yamlw *w, const char *s, yaml_scalar_style_t style, bool plain_ok)
{
	yaml_event_t ev;
	yamlw_emit(w, &ev,
		   yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain_ok,
						1, style));
}

void yamlw_str(struct yamlw *w, const char *s)
{
	if (!s)
		s = "";
	if (strchr(s, '\n'))
		yamlw_scalar(w, s, YAML_LITERAL_SCALAR_STYLE, false);
	else if (plain_is_ambiguous(s))
		yamlw_scalar(w, s, YAML_SINGLE_QUOTED_SCALAR_STYLE, false);
	else
		yamlw_scalar(w, s, YAML_ANY_SCALAR_STYLE, true);
}

void yamlw_bool(struct yamlw *w, bool b)
{
	yamlw_scalar(w, b ? "true" : "false", YAML_PLAIN_SCALAR_STYLE, true);
}

void yamlw_int(struct yamlw *w, long long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", v);
	yamlw_scalar(w, buf, YAML_PLAIN_SCALAR_STYLE, true);
}

void yamlw_kv(struct yamlw *w, const char *key, const char *value)
{
	yamlw_str(w, key);
	yamlw_str(w, value);
}

void yamlw_kv_bool(struct yamlw *w, const char *key, bool value)
{
	yamlw_str(w, key);
	yamlw_bool(w, value);
}

void yamlw_kv_int(struct yamlw *w, const char *key, long long value)
{
	yamlw_str(w, key);
	yamlw_int(w, value);
}
