/* fuzz_kscheck.c — the kickstart checker (--kickstart FILE) on any bytes,
 * as RHEL 8 and as RHEL 9. */
#include "err.h"
#include "fuzz.h"
#include "kscheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	static const enum os_id releases[] = {OS_RHEL8, OS_RHEL9};
	for (size_t i = 0; i < 2; i++) {
		struct doc_check c = {0};
		kickstart_check("ks.cfg", (const char *)data, size, releases[i], &c);
		doc_check_free(&c);
		err_clear();
	}
	return 0;
}
