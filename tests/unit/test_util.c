/* test_util.c — the string vector: strv_push keeps every string in order
 * and NULL-terminated at every length, and appending is not quadratic
 * (issue 20.10: it used to read the whole list on every push). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "unit_run.h"

START_TEST(push_keeps_order_and_terminator)
{
	char **v = NULL;
	ck_assert_uint_eq(strv_len(v), 0);
	for (int i = 0; i < 1000; i++) {
		char s[16];
		snprintf(s, sizeof(s), "s%d", i);
		strv_push(&v, s);
		ck_assert_uint_eq(strv_len(v), (size_t)i + 1);
		ck_assert_ptr_null(v[i + 1]);
		ck_assert_str_eq(v[i], s);
	}
	for (int i = 0; i < 1000; i++) {
		char s[16];
		snprintf(s, sizeof(s), "s%d", i);
		ck_assert_str_eq(v[i], s);
	}
	char **c = strv_copy(v);
	ck_assert_uint_eq(strv_len(c), 1000);
	strv_push(&c, "last");
	ck_assert_str_eq(c[1000], "last");
	ck_assert(strv_contains(c, "s999"));
	strv_free(c);
	strv_free(v);
}
END_TEST

/* 400,000 pushes: the old push read the whole list each time (8 * 10^10
 * reads, minutes); this one finishes far inside the test's timeout. */
START_TEST(many_pushes_are_not_quadratic)
{
	char **v = NULL;
	const size_t n = 400000;
	for (size_t i = 0; i < n; i++)
		strv_push(&v, i % 2 ? "odd" : "even");
	ck_assert_uint_eq(strv_len(v), n);
	ck_assert_str_eq(v[n - 1], "odd");
	ck_assert_ptr_null(v[n]);
	strv_free(v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("strv");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, push_keeps_order_and_terminator);
	tcase_add_test(tc, many_pushes_are_not_quadratic);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
