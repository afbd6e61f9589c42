/* fuzz_iso.c — the ISO reader (primary volume descriptor, ISO9660
 * directory, .disk/info and .treeinfo) on any file. */
#include "err.h"
#include "fuzz.h"
#include "iso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	struct iso_info info;
	if (iso_inspect(fuzz_file("x.iso", data, size), &info) == 0)
		iso_info_free(&info);
	err_clear();
	return 0;
}
