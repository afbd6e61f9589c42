/* fuzz_buildfile.c — the build-file loader (hnbuild.yaml) on any bytes. */
#include "config.h"
#include "err.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	struct config_file cf;
	char **problems = NULL;
	config_parse("hnbuild.yaml", (const char *)data, size, &cf, &problems);
	config_free(&cf);
	strv_free(problems);
	err_clear();
	return 0;
}
