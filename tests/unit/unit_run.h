/* unit_run.h — the end of every unit test's main(): run the suite, exit 1
 * when any test failed. */
#pragma once
#include <check.h>

static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
