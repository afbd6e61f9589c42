/* test_credential.c — the per-build credential: a real ed25519 key pair
 * (checked with ssh-keygen), SHA-512 crypt hashes that verify, secrets
 * redacted in logs, and bad user names refused. */
#include <check.h>
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "credential.h"
#include "err.h"
#include "installdata_test.h"
#include "log.h"
#include "unit_run.h"

START_TEST(key_pair_is_real_and_matches)
{
	struct build_credential c;
	ck_assert_int_eq(credential_create(NULL, NULL, &c), 0);
	ck_assert_str_eq(c.user, "hnbuild");
	ck_assert(str_startswith(c.public_key, "ssh-ed25519 AAAA"));
	ck_assert(str_startswith(c.private_key, "-----BEGIN OPENSSH PRIVATE KEY-----"));
	ck_assert_ptr_nonnull(c.key);
	ck_assert_ptr_null(c.password);
	ck_assert_ptr_null(c.password_hash);

	char *dir = test_tmpdir();
	char *key = test_path(dir, "id"), *pub = test_path(dir, "id.pub");
	ck_assert_int_eq(credential_write_private_key(&c, key), 0);
	struct stat st;
	ck_assert_int_eq(stat(key, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* ssh-keygen derives the same public key from the private key. */
	ck_assert_int_eq(test_sh("ssh-keygen -y -f %s > %s 2>/dev/null", key, pub), 0);
	char *derived = NULL;
	size_t n;
	ck_assert_int_eq(read_file(pub, &derived, &n), 0);
	char *sp = strchr(c.public_key + 12, ' ');
	ck_assert_ptr_nonnull(sp);
	ck_assert(strncmp(derived, c.public_key, (size_t)(sp - c.public_key)) == 0);
	free(derived);

	/* Two builds, two keys. */
	struct build_credential d;
	ck_assert_int_eq(credential_create("builder", NULL, &d), 0);
	ck_assert_str_ne(c.public_key, d.public_key);
	ck_assert_str_eq(d.user, "builder");

	/* The private key is a registered secret: logs redact it, line by line too. */
	char *red = log_redact(c.private_key);
	ck_assert_ptr_null(strstr(red, "OPENSSH PRIVATE KEY-----\nb3Blb"));
	ck_assert_ptr_nonnull(strstr(red, "********"));
	free(red);
	char *second_line = xstrdup(strchr(c.private_key, '\n') + 1);
	*strchr(second_line, '\n') = '\0';
	red = log_redact(second_line);
	ck_assert_str_eq(red, "********");
	free(red);
	free(second_line);
	credential_free(&c);
	credential_free(&d);
	ck_assert_ptr_null(c.private_key);
	rm_rf(dir);
	free(key);
	free(pub);
	free(dir);
}
END_TEST

START_TEST(password_hash_verifies_and_is_salted)
{
	struct build_credential c;
	ck_assert_int_eq(credential_create("hnbuild", "builder-Pa55word", &c), 0);
	ck_assert(str_startswith(c.password_hash, "$6$"));
	ck_assert_uint_eq(strlen(c.password_hash), 3 + 16 + 1 + 86);
	ck_assert_ptr_null(strstr(c.password_hash, "builder-Pa55word"));
	/* crypt(3) with the hash as setting reproduces it: the hash is of our password. */
	ck_assert_str_eq(crypt("builder-Pa55word", c.password_hash), c.password_hash);
	ck_assert_str_ne(crypt("wrong-password", c.password_hash), c.password_hash);
	char *other = NULL;
	ck_assert_int_eq(credential_hash_password("builder-Pa55word", &other), 0);
	ck_assert_str_ne(other, c.password_hash); /* a fresh salt each time */
	free(other);
	char *red = log_redact("password is builder-Pa55word.");
	ck_assert_str_eq(red, "password is ********.");
	free(red);
	credential_free(&c);
	ck_assert_int_eq(credential_hash_password("", &other), -EINVAL);
}
END_TEST

START_TEST(bad_user_names)
{
	struct build_credential c;
	const char *bad[] = {"",   "Root", "root", "1abc", "a b", "a;rm", "abcdefghijklmnopqrstuvwxyz0123456",
			     "x\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(credential_create(bad[i], NULL, &c), -EINVAL);
		ck_assert_int_eq(err_exit_code(), 2);
	}
	ck_assert_int_eq(credential_check_user_name("build_user-1"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("credential");
	TCase *tc = tcase_create("credential");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, key_pair_is_real_and_matches);
	tcase_add_test(tc, password_hash_verifies_and_is_salted);
	tcase_add_test(tc, bad_user_names);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
