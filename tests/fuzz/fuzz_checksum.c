/* fuzz_checksum.c — the checksum-file parser (SHA256SUMS, BSD CHECKSUM,
 * nodeadm's .sha256) on any text. */
#include "digest.h"
#include "err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	char *text = fuzz_text(data, size);
	static const enum checksum_algo want[] = {CHECKSUM_NONE, CHECKSUM_SHA256};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		enum checksum_algo algo;
		char *hex = NULL;
		if (digest_parse_checksum_file(text, "CHECKSUM", "good.iso", want[i], &algo, &hex) == 0) {
			if (!hex || digest_algo_for_hex_len(strlen(hex)) != algo)
				abort();
			free(hex);
		}
		err_clear();
	}
	free(text);
	return 0;
}
