/* embedded.h — data files (templates) compiled into the binary by
 * tools/embed.sh; looked up by repository path. NUL-terminated. */
#pragma once
#include <stddef.h>

const char *embedded_get(const char *name, size_t *len);
