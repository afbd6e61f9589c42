/* golden_test.h — the one switch that rewrites golden files instead of
 * comparing with them: HNBUILD_UPDATE_GOLDEN=1. tests/run-unit.sh refuses
 * it in CI (CI set), where a golden file must never be made to fit. */
#pragma once

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static inline bool golden_update(void)
{
	const char *v = getenv("HNBUILD_UPDATE_GOLDEN");
	return v && strcmp(v, "1") == 0;
}
