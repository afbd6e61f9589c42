/* fuzz_aicheck.c — the autoinstall checker (--autoinstall FILE) on any
 * bytes, for each Ubuntu release and firmware. */
#include "aicheck.h"
#include "err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	static const enum os_id releases[] = {OS_UBUNTU20, OS_UBUNTU22, OS_UBUNTU24};
	for (size_t i = 0; i < 3; i++)
		for (int fw = 0; fw < 2; fw++) {
			struct doc_check c = {0};
			autoinstall_check("user-data", (const char *)data, size, releases[i],
					  fw ? FIRMWARE_UEFI : FIRMWARE_BIOS, &c);
			doc_check_free(&c);
			err_clear();
		}
	return 0;
}
