/* fuzz.h — shared by the libFuzzer targets of tests/fuzz (make fuzz): the
 * input as a NUL-terminated string, or as a file named with an extension
 * the loader under test looks at. */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy (the parsers take C strings; an embedded NUL ends
 * the text, as it does for a file read with read_file). Caller frees. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input written to a file NAME in this process's own directory; the
 * path stays valid until the next call. */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/hnbuild-fuzz-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (int)getpid());
	mkdir(path, 0700);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", name);
	FILE *f = fopen(path, "we");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
	return path;
}

/* No log lines on stderr for every input. */
static inline void fuzz_quiet(void) { log_setup(LOG_FORMAT_TEXT, -1); }
