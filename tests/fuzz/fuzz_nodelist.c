/* fuzz_nodelist.c — the node-list loaders (--nodes FILE): the same bytes
 * as nodes.csv and as nodes.yaml, then validated. */
#include "err.h"
#include "fuzz.h"
#include "nodelist.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	static const char *const names[] = {"nodes.csv", "nodes.yaml"};
	for (size_t i = 0; i < 2; i++) {
		struct node_list list = {0};
		char **problems = NULL;
		if (nodelist_load(fuzz_file(names[i], data, size), &list, &problems) == 0)
			nodelist_validate(&list, &problems);
		nodelist_free(&list);
		strv_free(problems);
		err_clear();
	}
	return 0;
}
