/* test_aicheck.c — the autoinstall checker on documents real subiquity takes
 * (tests/unit/data/autoinstall/accept) and refuses (reject/, each naming the
 * error and line expected), on hnbuild's own rendered documents, and on what
 * it only warns about. A file added to accept/ or reject/ is a new case. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aicheck.h"
#include "cleanup.h"
#include "strbuf.h"
#include "unit_run.h"
#include "util.h"

#define DATA "tests/unit/data/autoinstall"

static const struct {
	const char *prefix;
	enum os_id os;
} prefixes[] = {{"ubuntu20-", OS_UBUNTU20}, {"ubuntu22-", OS_UBUNTU22}, {"ubuntu24-", OS_UBUNTU24}};

static const enum os_id ubuntus[] = {OS_UBUNTU20, OS_UBUNTU22, OS_UBUNTU24};

/* The releases a file is for, by its name (all-* is every one). */
static bool for_release(const char *name, enum os_id os)
{
	if (str_startswith(name, "all-"))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (str_startswith(name, prefixes[i].prefix))
			return prefixes[i].os == os;
	ck_abort_msg("%s: the name must start with all-, ubuntu20-, ubuntu22- or ubuntu24-", name);
	return false;
}

static enum firmware_kind firmware_of(const char *name)
{
	return strstr(name, "bios") ? FIRMWARE_BIOS : FIRMWARE_UEFI;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml names in dir, sorted. */
static char **yaml_files(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s: %s", dir, strerror(errno));
	char **names = NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml"))
			strv_push(&names, e->d_name);
	}
	closedir(d);
	if (names)
		qsort(names, strv_len(names), sizeof(*names), cmp_name);
	return names;
}

static char *joined(char *const *v)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (; v && *v; v++)
		sb_addf(&sb, "\n  %s", *v);
	return sb_detach(&sb, NULL);
}

static void check_text(const char *name, const char *text, enum os_id os, enum firmware_kind fw,
		       struct doc_check *dc)
{
	ck_assert_int_eq(autoinstall_check(name, text, strlen(text), os, fw, dc), 0);
}

static void check_file(const char *path, enum os_id os, enum firmware_kind fw, struct doc_check *dc)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	ck_assert_msg(read_file(path, &text, &len) == 0, "cannot read %s", path);
	ck_assert_int_eq(autoinstall_check(path, text, len, os, fw, dc), 0);
}

START_TEST(accepted_documents)
{
	char **names = yaml_files(DATA "/accept");
	unsigned per_release[ARRAY_SIZE(ubuntus)] = {0};
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *path = path_join(DATA "/accept", names[i]);
		for (size_t r = 0; r < ARRAY_SIZE(ubuntus); r++) {
			if (!for_release(names[i], ubuntus[r]))
				continue;
			struct doc_check dc = {0};
			check_file(path, ubuntus[r], firmware_of(names[i]), &dc);
			_cleanup_free_ char *errors = joined(dc.errors);
			ck_assert_msg(dc.errors == NULL, "%s refused for %s:%s", names[i],
				      os_by_id(ubuntus[r])->name, errors);
			doc_check_free(&dc);
			per_release[r]++;
		}
	}
	ck_assert_uint_ge(strv_len(names), 10);
	for (size_t r = 0; r < ARRAY_SIZE(ubuntus); r++)
		ck_assert_uint_ge(per_release[r], 5);
	strv_free(names);
}
END_TEST

/* "# expect: TEXT" and "# line: N" open every reject document. */
static void read_expectation(const char *path, const char *text, char **expect, unsigned long long *line)
{
	const char *nl = strchr(text, '\n');
	ck_assert_msg(str_startswith(text, "# expect: ") && nl, "%s: the first line must be '# expect: ...'",
		      path);
	*expect = strndup(text + strlen("# expect: "), (size_t)(nl - text) - strlen("# expect: "));
	const char *second = nl + 1;
	const char *nl2 = strchr(second, '\n');
	ck_assert_msg(str_startswith(second, "# line: ") && nl2, "%s: the second line must be '# line: N'",
		      path);
	_cleanup_free_ char *num =
	    strndup(second + strlen("# line: "), (size_t)(nl2 - second) - strlen("# line: "));
	ck_assert_msg(parse_uint(num, 1, 100000, line) == 0, "%s: bad line number '%s'", path, num);
}

START_TEST(refused_documents)
{
	char **names = yaml_files(DATA "/reject");
	unsigned per_release[ARRAY_SIZE(ubuntus)] = {0};
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *path = path_join(DATA "/reject", names[i]);
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		ck_assert_int_eq(read_file(path, &text, &len), 0);
		_cleanup_free_ char *expect = NULL;
		unsigned long long line = 0;
		read_expectation(path, text, &expect, &line);
		struct strbuf at = STRBUF_INIT;
		sb_init(&at);
		sb_addf(&at, "%s:%llu:", path, line);
		for (size_t r = 0; r < ARRAY_SIZE(ubuntus); r++) {
			if (!for_release(names[i], ubuntus[r]))
				continue;
			const char *os = os_by_id(ubuntus[r])->name;
			struct doc_check dc = {0};
			ck_assert_int_eq(
			    autoinstall_check(path, text, len, ubuntus[r], firmware_of(names[i]), &dc), 0);
			_cleanup_free_ char *errors = joined(dc.errors);
			ck_assert_msg(dc.errors != NULL, "%s accepted for %s", names[i], os);
			ck_assert_msg(strv_len(dc.errors) == 1, "%s: one reason expected for %s, got:%s",
				      names[i], os, errors);
			ck_assert_msg(strstr(dc.errors[0], expect) != NULL, "%s for %s: expected '%s' in:%s",
				      names[i], os, expect, errors);
			ck_assert_msg(str_startswith(dc.errors[0], sb_str(&at)),
				      "%s for %s: expected at line %llu:%s", names[i], os, line, errors);
			doc_check_free(&dc);
			per_release[r]++;
		}
		sb_release(&at);
	}
	ck_assert_uint_ge(strv_len(names), 25);
	for (size_t r = 0; r < ARRAY_SIZE(ubuntus); r++)
		ck_assert_uint_ge(per_release[r], 25);
	strv_free(names);
}
END_TEST

/* What hnbuild renders itself must pass for its release and firmware. */
START_TEST(hnbuild_rendered_documents)
{
	static const struct {
		const char *golden;
		enum os_id os;
		enum firmware_kind fw;
	} rendered[] = {
	    {"tests/golden/autoinstall-ubuntu24-amd64-uefi.yaml", OS_UBUNTU24, FIRMWARE_UEFI},
	    {"tests/golden/autoinstall-ubuntu24-arm64-uefi.yaml", OS_UBUNTU24, FIRMWARE_UEFI},
	    {"tests/golden/autoinstall-ubuntu22-amd64-bios-password.yaml", OS_UBUNTU22, FIRMWARE_BIOS},
	};
	for (size_t i = 0; i < ARRAY_SIZE(rendered); i++) {
		struct doc_check dc = {0};
		check_file(rendered[i].golden, rendered[i].os, rendered[i].fw, &dc);
		_cleanup_free_ char *errors = joined(dc.errors);
		_cleanup_free_ char *warnings = joined(dc.warnings);
		ck_assert_msg(dc.errors == NULL && dc.warnings == NULL, "%s:%s%s", rendered[i].golden, errors,
			      warnings);
		doc_check_free(&dc);
	}
}
END_TEST

static bool has(char *const *v, const char *a, const char *b)
{
	for (; v && *v; v++)
		if (strstr(*v, a) && (!b || strstr(*v, b)))
			return true;
	return false;
}

#define BASE                                                                                                 \
	"#cloud-config\n"                                                                                    \
	"autoinstall:\n"                                                                                     \
	"  version: 1\n"                                                                                     \
	"  identity: {hostname: h, username: u, password: '$6$a$b'}\n"

START_TEST(warnings_for_what_is_ignored)
{
	const char *typo = BASE "  late-comands:\n  - echo hi\n";
	for (size_t r = 0; r < ARRAY_SIZE(ubuntus); r++) {
		struct doc_check dc = {0};
		check_text("ai.yaml", typo, ubuntus[r], FIRMWARE_UEFI, &dc);
		ck_assert_ptr_null(dc.errors);
		ck_assert_uint_eq(strv_len(dc.warnings), 1);
		ck_assert(has(dc.warnings, "ai.yaml:5:3: autoinstall.late-comands: not a key of subiquity",
			      "(did you mean 'late-commands'?)"));
		if (ubuntus[r] == OS_UBUNTU24)
			ck_assert(has(dc.warnings, "Unrecognized top-level key 'late-comands'", NULL));
		doc_check_free(&dc);
	}

	const char *shutdown = BASE "  shutdown: poweroff\n";
	struct doc_check dc = {0};
	check_text("ai.yaml", shutdown, OS_UBUNTU20, FIRMWARE_UEFI, &dc);
	ck_assert_ptr_null(dc.errors);
	ck_assert_uint_eq(strv_len(dc.warnings), 1);
	ck_assert(has(
	    dc.warnings,
	    "ai.yaml:5:3: autoinstall.shutdown: not a key of subiquity 21.08.2 (Ubuntu 20.04 media), which "
	    "ignores it (Ubuntu 22.04 and 24.04 media know it): it reboots when the install is done",
	    NULL));
	doc_check_free(&dc);
	check_text("ai.yaml", shutdown, OS_UBUNTU22, FIRMWARE_UEFI, &dc);
	ck_assert_ptr_null(dc.errors);
	ck_assert_ptr_null(dc.warnings);
	doc_check_free(&dc);

	/* what subiquity takes otherwise than written */
	const char *both = BASE "  storage:\n    layout: {name: direct}\n    config: []\n";
	check_text("ai.yaml", both, OS_UBUNTU24, FIRMWARE_UEFI, &dc);
	ck_assert_ptr_null(dc.errors);
	ck_assert(has(dc.warnings, "ai.yaml:7:5: autoinstall.storage.config: ignored", NULL));
	doc_check_free(&dc);
	const char *encrypted = BASE "  storage:\n    layout: {name: lvm, password: secret}\n";
	check_text("ai.yaml", encrypted, OS_UBUNTU22, FIRMWARE_UEFI, &dc);
	ck_assert_ptr_null(dc.errors);
	ck_assert(has(dc.warnings, "autoinstall.storage.layout.password: ignored by subiquity 22.04.2",
		      "the disk is not encrypted"));
	doc_check_free(&dc);
	const char *unknown_layout = BASE "  storage:\n    layout: {name: lvm-thin}\n";
	check_text("ai.yaml", unknown_layout, OS_UBUNTU24, FIRMWARE_UEFI, &dc);
	ck_assert_ptr_null(dc.errors);
	ck_assert(has(dc.warnings, "installs it as 'direct'", NULL));
	doc_check_free(&dc);
	const char *twice = BASE "  locale: C.UTF-8\n  locale: en_US.UTF-8\n";
	check_text("ai.yaml", twice, OS_UBUNTU24, FIRMWARE_UEFI, &dc);
	ck_assert_ptr_null(dc.errors);
	ck_assert(has(dc.warnings, "ai.yaml:6:3: autoinstall.locale: given again (also at line 5)", NULL));
	doc_check_free(&dc);
	const char *gpt = BASE "  storage:\n    config:\n"
			       "    - {type: disk, id: d, ptable: gpt, grub_device: true}\n"
			       "    - {type: partition, id: p, device: d, size: -1}\n"
			       "    - {type: format, id: f, volume: p, fstype: ext4}\n"
			       "    - {type: mount, id: m, device: f, path: /}\n";
	check_text("ai.yaml", gpt, OS_UBUNTU22, FIRMWARE_BIOS, &dc);
	ck_assert_ptr_null(dc.errors);
	ck_assert(has(dc.warnings,
		      "ai.yaml:7:7: autoinstall.storage.config[0]: GPT disk 'd' has no bios_grub", NULL));
	doc_check_free(&dc);
	const char *live = "#cloud-config\nssh_pwauth: true\nlate-commands: [date]\n"
			   "autoinstall:\n  version: 1\n  user-data: {}\n";
	check_text("ai.yaml", live, OS_UBUNTU22, FIRMWARE_UEFI, &dc);
	ck_assert_ptr_null(dc.errors);
	ck_assert_uint_eq(strv_len(dc.warnings), 1);
	ck_assert(
	    has(dc.warnings, "ai.yaml:3:1: late-commands: an autoinstall key outside 'autoinstall:'", NULL));
	doc_check_free(&dc);
}
END_TEST

START_TEST(every_problem_not_just_the_first)
{
	const char *text = "#cloud-config\n"
			   "autoinstall:\n"
			   "  version: 1\n"
			   "  keyboard: {layout: [us]}\n"
			   "  updates: weekly\n"
			   "  timezone: Etc/UTC\n"
			   "  identity: {hostname: h, username: u}\n";
	struct doc_check dc = {0};
	check_text("ai.yaml", text, OS_UBUNTU20, FIRMWARE_UEFI, &dc);
	_cleanup_free_ char *errors = joined(dc.errors);
	ck_assert_msg(strv_len(dc.errors) == 4, "%s", errors);
	ck_assert(
	    has(dc.errors, "ai.yaml:4:14: autoinstall.keyboard.layout: must be a string, not a list", NULL));
	ck_assert(
	    has(dc.errors, "ai.yaml:5:3: autoinstall.updates: 'weekly' is not one of: security, all", NULL));
	ck_assert(
	    has(dc.errors,
		"ai.yaml:6:3: autoinstall.timezone: 'Etc/UTC' is not a time zone subiquity 21.08.2 (Ubuntu "
		"20.04 media) accepts (use UTC)",
		NULL));
	ck_assert(has(dc.errors, "ai.yaml:7:3: autoinstall.identity: 'password' is required", NULL));
	doc_check_free(&dc);
}
END_TEST

START_TEST(rules_differ_by_release)
{
	const char *etc_utc = BASE "  timezone: Etc/UTC\n";
	const char *zfs = BASE "  storage:\n    layout: {name: zfs}\n";
	const char *shutdown = BASE "  shutdown: halt\n";
	const char *no_identity = "version: 1\nstorage: {layout: {name: lvm, reset-partition-only: true}}\n";
	const struct {
		const char *text;
		bool refused[3]; /* ubuntu20, ubuntu22, ubuntu24 */
	} cases[] = {
	    {etc_utc, {true, false, false}},
	    {zfs, {true, true, false}},
	    {shutdown, {false, true, true}}, /* 21.08.2 ignores the key */
	    {no_identity, {true, true, false}},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		for (size_t r = 0; r < ARRAY_SIZE(ubuntus); r++) {
			struct doc_check dc = {0};
			check_text("ai.yaml", cases[i].text, ubuntus[r], FIRMWARE_UEFI, &dc);
			_cleanup_free_ char *errors = joined(dc.errors);
			ck_assert_msg((dc.errors != NULL) == cases[i].refused[r], "case %zu on %s:%s", i,
				      os_by_id(ubuntus[r])->name, errors);
			doc_check_free(&dc);
		}
}
END_TEST

/* Values are typed as PyYAML's safe_load types them (YAML 1.1), and
 * integers as jsonschema's draft 7 (1.0 is one). */
START_TEST(yaml_types_as_pyyaml)
{
	const struct {
		const char *version;
		bool ok;
	} cases[] = {{"1", true},    {"0x1", true},  {"01", true},	{"1.0", true},
		     {"+1", true},   {"0b1", true},  {"true", false},	{"1:0", false},
		     {"0o1", false}, {"1_0", false}, {"\"1\"", false},	{"1e0", false},
		     {"~", false},   {"'1'", false}, {"!!int 1", true}, {"2001-12-14", false}};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf sb = STRBUF_INIT;
		sb_init(&sb);
		sb_addf(&sb, "version: %s\nidentity: {hostname: h, username: u, password: p}\n",
			cases[i].version);
		struct doc_check dc = {0};
		check_text("ai.yaml", sb_str(&sb), OS_UBUNTU24, FIRMWARE_UEFI, &dc);
		_cleanup_free_ char *errors = joined(dc.errors);
		ck_assert_msg((dc.errors == NULL) == cases[i].ok, "version: %s:%s", cases[i].version, errors);
		doc_check_free(&dc);
		sb_release(&sb);
	}
}
END_TEST

START_TEST(bad_input)
{
	struct doc_check dc = {0};
	ck_assert_int_eq(autoinstall_check("ks", "version: 1\n", 11, OS_RHEL9, FIRMWARE_UEFI, &dc), -EINVAL);
	ck_assert_int_eq(autoinstall_check("ai", "version: 1\n", 11, OS_UBUNTU24, FIRMWARE_AUTO, &dc),
			 -EINVAL);
	ck_assert_ptr_null(dc.errors);
	check_text("ai.yaml", "autoinstall:\n  version: [1\n", OS_UBUNTU22, FIRMWARE_BIOS, &dc);
	ck_assert_uint_eq(strv_len(dc.errors), 1);
	ck_assert(has(dc.errors, "ai.yaml:3:", "YAML syntax error"));
	doc_check_free(&dc);
	check_text("ai.yaml", "", OS_UBUNTU22, FIRMWARE_BIOS, &dc);
	ck_assert(has(dc.errors, "ai.yaml:1:1: the document is empty", NULL));
	doc_check_free(&dc);
	check_text("ai.yaml", "#cloud-config\nautoinstall:\n", OS_UBUNTU24, FIRMWARE_BIOS, &dc);
	ck_assert(has(dc.errors, "ai.yaml:2:1: autoinstall: must be a mapping", NULL));
	doc_check_free(&dc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("aicheck");
	TCase *tc = tcase_create("aicheck");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, accepted_documents);
	tcase_add_test(tc, refused_documents);
	tcase_add_test(tc, hnbuild_rendered_documents);
	tcase_add_test(tc, warnings_for_what_is_ignored);
	tcase_add_test(tc, every_problem_not_just_the_first);
	tcase_add_test(tc, rules_differ_by_release);
	tcase_add_test(tc, yaml_types_as_pyyaml);
	tcase_add_test(tc, bad_input);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
