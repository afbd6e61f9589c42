/* test_kscheck.c — the kickstart checker against documents pykickstart's
 * RHEL 8 and 9 handlers accept and refuse (tests/unit/data/kickstart/:
 * accept/ and reject/, one case per file, named for the releases they are
 * for), hnbuild's own rendered kickstarts, and single rules and messages. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "kscheck.h"
#include "strbuf.h"
#include "util.h"
#include "unit_run.h"

#define DATA "tests/unit/data/kickstart"

struct checked {
	struct doc_check dc;
	size_t nerr, nwarn;
};

static struct checked check_text(const char *file, const char *text, enum os_id os)
{
	struct checked c = {{0}, 0, 0};
	ck_assert_int_eq(kickstart_check(file, text, strlen(text), os, &c.dc), 0);
	c.nerr = strv_len(c.dc.errors);
	c.nwarn = strv_len(c.dc.warnings);
	return c;
}

/* Every problem, for the failure message. */
static char *problems(const struct doc_check *dc)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (size_t i = 0; dc->errors && dc->errors[i]; i++)
		sb_addf(&sb, "\n  error: %s", dc->errors[i]);
	for (size_t i = 0; dc->warnings && dc->warnings[i]; i++)
		sb_addf(&sb, "\n  warning: %s", dc->warnings[i]);
	return sb_detach(&sb, NULL);
}

static bool has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strstr(v[i], s))
			return true;
	return false;
}

/* The releases a data file is for: rhel8-*, rhel9-* or both-*. */
static size_t releases_of(const char *name, enum os_id *os)
{
	if (str_startswith(name, "rhel8-")) {
		os[0] = OS_RHEL8;
		return 1;
	}
	if (str_startswith(name, "rhel9-")) {
		os[0] = OS_RHEL9;
		return 1;
	}
	if (str_startswith(name, "both-")) {
		os[0] = OS_RHEL8;
		os[1] = OS_RHEL9;
		return 2;
	}
	ck_abort_msg("%s: the name must start with rhel8-, rhel9- or both-", name);
	return 0;
}

static const char *os_label(enum os_id os)
{
	return os == OS_RHEL8 ? "RHEL 8" : "RHEL 9";
}

/* The *.ks files of a data directory, sorted. */
static char **list_documents(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d, "%s: %s", dir, strerror(errno));
	char **names = NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 3 && strcmp(e->d_name + n - 3, ".ks") == 0)
			strv_push(&names, e->d_name);
	}
	closedir(d);
	size_t n = strv_len(names);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	return names;
}

static char *read_document(const char *dir, const char *name, size_t *len)
{
	_cleanup_free_ char *path = path_join(dir, name);
	char *text = NULL;
	int r = read_file(path, &text, len);
	ck_assert_msg(r == 0, "%s: %s", path, strerror(-r));
	return text;
}

START_TEST(accepted_documents_pass)
{
	char **names = list_documents(DATA "/accept");
	size_t n = strv_len(names), failed = 0, rhel8 = 0, rhel9 = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		_cleanup_free_ char *text = read_document(DATA "/accept", names[i], &len);
		enum os_id os[2];
		size_t nos = releases_of(names[i], os);
		for (size_t k = 0; k < nos; k++) {
			struct doc_check dc = {0};
			ck_assert_int_eq(kickstart_check(names[i], text, len, os[k], &dc), 0);
			if (strv_len(dc.errors)) {
				_cleanup_free_ char *all = problems(&dc);
				fprintf(stderr, "%s (%s): refused but pykickstart accepts it:%s\n", names[i],
					os_label(os[k]), all);
				failed++;
			}
			rhel8 += os[k] == OS_RHEL8;
			rhel9 += os[k] == OS_RHEL9;
			doc_check_free(&dc);
		}
	}
	strv_free(names);
	ck_assert_msg(failed == 0, "%zu accepted document(s) refused", failed);
	ck_assert_uint_ge(n, 10);
	ck_assert_uint_ge(rhel8, 5);
	ck_assert_uint_ge(rhel9, 5);
}
END_TEST

/* "# expect: TEXT" on line 1, "# line: N" on line 2. */
static void expectation(const char *name, const char *text, char **expect, unsigned *line)
{
	const char *nl = strchr(text, '\n');
	ck_assert_msg(str_startswith(text, "# expect: ") && nl, "%s: line 1 must be '# expect: TEXT'", name);
	*expect = strndup(text + strlen("# expect: "), (size_t)(nl - text) - strlen("# expect: "));
	ck_assert_msg(sscanf(nl + 1, "# line: %u", line) == 1 && *line > 0, "%s: line 2 must be '# line: N'",
		      name);
}

START_TEST(rejected_documents_fail_with_their_error)
{
	char **names = list_documents(DATA "/reject");
	size_t n = strv_len(names), failed = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		_cleanup_free_ char *text = read_document(DATA "/reject", names[i], &len);
		_cleanup_free_ char *expect = NULL;
		unsigned line = 0;
		expectation(names[i], text, &expect, &line);
		char at[64];
		snprintf(at, sizeof(at), "%s:%u:", names[i], line);
		enum os_id os[2];
		size_t nos = releases_of(names[i], os);
		for (size_t k = 0; k < nos; k++) {
			struct doc_check dc = {0};
			ck_assert_int_eq(kickstart_check(names[i], text, len, os[k], &dc), 0);
			bool found = false;
			for (size_t e = 0; dc.errors && dc.errors[e]; e++)
				found = found ||
					(str_startswith(dc.errors[e], at) && strstr(dc.errors[e], expect));
			if (!found) {
				_cleanup_free_ char *all = problems(&dc);
				fprintf(stderr, "%s (%s): expected an error at line %u with '%s', got:%s\n",
					names[i], os_label(os[k]), line, expect, *all ? all : " nothing");
				failed++;
			}
			doc_check_free(&dc);
		}
	}
	strv_free(names);
	ck_assert_msg(failed == 0, "%zu rejected document(s) not refused as expected", failed);
	ck_assert_uint_ge(n, 25);
}
END_TEST

static void golden_passes(const char *name, enum os_id os)
{
	_cleanup_free_ char *path = path_join("tests/golden", name);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	ck_assert_int_eq(read_file(path, &text, &len), 0);
	struct doc_check dc = {0};
	ck_assert_int_eq(kickstart_check(name, text, len, os, &dc), 0);
	_cleanup_free_ char *all = problems(&dc);
	ck_assert_msg(!dc.errors && !dc.warnings, "%s:%s", name, all);
	doc_check_free(&dc);
}

START_TEST(hnbuild_rendered_kickstarts_pass)
{
	golden_passes("ks-rhel8-amd64-bios-password.cfg", OS_RHEL8);
	golden_passes("ks-rhel9-amd64-uefi.cfg", OS_RHEL9);
	golden_passes("ks-rhel9-arm64-uefi.cfg", OS_RHEL9);
}
END_TEST

START_TEST(only_rhel_targets)
{
	struct doc_check dc = {0};
	ck_assert_int_eq(kickstart_check("ks.cfg", "text\n", 5, OS_UBUNTU24, &dc), -EINVAL);
	ck_assert_int_eq(kickstart_check("ks.cfg", "text\n", 5, OS_UBUNTU22, &dc), -EINVAL);
	ck_assert_ptr_null(dc.errors);
	ck_assert_int_eq(kickstart_check("ks.cfg", NULL, 0, OS_RHEL9, &dc), 0);
	ck_assert_ptr_null(dc.errors);
	ck_assert_ptr_null(dc.warnings);
}
END_TEST

START_TEST(unambiguous_prefix_is_accepted)
{
	struct checked c =
	    check_text("ks.cfg", "clearpart --all --initl\n%post --noch --logf=/x\n%end\n", OS_RHEL9);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 0 && c.nwarn == 0, "%s", all);
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(messages_name_file_line_column_and_token)
{
	const char *ks = "text\n"
			 "%post --nochrot\n"
			 "echo\n"
			 "%end\n"
			 "deviceprobe\n";
	struct checked c = check_text("ks.cfg", ks, OS_RHEL9);
	ck_assert_uint_eq(c.nerr, 2);
	ck_assert_str_eq(c.dc.errors[0],
			 "ks.cfg:2:7: %post: unknown option '--nochrot' (did you mean --nochroot?)");
	ck_assert_str_eq(
	    c.dc.errors[1],
	    "ks.cfg:5:1: command 'deviceprobe' was removed in RHEL 9 (RHEL 8 took it as deprecated and "
	    "ignored it)");
	doc_check_free(&c.dc);
	/* the same in RHEL 8: deprecated, a warning */
	c = check_text("ks.cfg", "deviceprobe\n", OS_RHEL8);
	ck_assert_uint_eq(c.nerr, 0);
	ck_assert_str_eq(c.dc.warnings[0],
			 "ks.cfg:1:1: command 'deviceprobe' is deprecated in RHEL 8 and has no effect");
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(every_problem_is_reported)
{
	const char *ks = "timzone UTC\n"
			 "part / --sise=100\n"
			 "user --groups=wheel\n"
			 "%foo\n"
			 "%end\n"
			 "%end\n"
			 "%packages --ignoremisssing\n";
	struct checked c = check_text("ks.cfg", ks, OS_RHEL8);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 7, "%s", all);
	ck_assert(has(c.dc.errors, "ks.cfg:1:1: unknown command 'timzone' (did you mean 'timezone'?)"));
	ck_assert(has(c.dc.errors, "ks.cfg:2:8: part: unknown option '--sise' (did you mean --size?)"));
	ck_assert(has(c.dc.errors, "ks.cfg:3: user: missing the required option --name"));
	ck_assert(has(c.dc.errors, "ks.cfg:4:1: unknown section '%foo'"));
	ck_assert(has(c.dc.errors, "ks.cfg:6:1: %end outside a section"));
	ck_assert(
	    has(c.dc.errors, "ks.cfg:7: section %packages does not end with %end (the file ends at line 7)"));
	ck_assert(has(c.dc.errors, "--ignoremisssing' (did you mean --ignoremissing?)"));
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(warnings_deprecated_and_repeated_commands)
{
	const char *ks = "install\n"
			 "timezone UTC\n"
			 "timezone Europe/Paris\n"
			 "text\n"
			 "graphical\n"
			 "user --name=a\n"
			 "user --name=a\n"
			 "network --hostname=x\n"
			 "network --hostname=y\n"
			 "ignoredisk --only-use=sda --interactive\n";
	struct checked c = check_text("ks.cfg", ks, OS_RHEL8);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 0, "%s", all);
	ck_assert(
	    has(c.dc.warnings, "ks.cfg:1:1: command 'install' is deprecated in RHEL 8 and has no effect"));
	ck_assert(has(c.dc.warnings, "ks.cfg:3:1: 'timezone' given again (first on line 2)"));
	ck_assert(has(c.dc.warnings, "ks.cfg:5:1: 'graphical' overrides 'text' on line 4"));
	ck_assert(has(c.dc.warnings, "ks.cfg:7: user: user 'a' is already defined on line 6"));
	ck_assert(has(c.dc.warnings,
		      "ks.cfg:9: network: network device without --device is already defined on line 8"));
	ck_assert(has(c.dc.warnings, "ks.cfg:10:27: ignoredisk: --interactive is deprecated in RHEL 8"));
	ck_assert_uint_eq(c.nwarn, 6);
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(warnings_include_ksappend_traceback_authconfig)
{
	const char *ks = "%include /tmp/part-include\n"
			 "%ksappend http://example.com/extra.ks\n"
			 "auth --enableshadow\n"
			 "%traceback\n"
			 "%include /tmp/in-a-section\n"
			 "%end\n";
	struct checked c = check_text("ks.cfg", ks, OS_RHEL9);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 0, "%s", all);
	ck_assert(
	    has(c.dc.warnings, "ks.cfg:1:10: %include /tmp/part-include: the installer reads that file"));
	ck_assert(
	    has(c.dc.warnings, "ks.cfg:2:11: %ksappend http://example.com/extra.ks: the installer puts"));
	ck_assert(
	    has(c.dc.warnings, "ks.cfg:3: auth: the authconfig command will be deprecated, use authselect"));
	ck_assert(has(c.dc.warnings, "ks.cfg:4:1: %traceback is deprecated in RHEL 9: use %onerror"));
	ck_assert(has(c.dc.warnings, "ks.cfg:5:10: %include /tmp/in-a-section"));
	ck_assert_uint_eq(c.nwarn, 5);
	doc_check_free(&c.dc);
	/* %traceback is not deprecated in RHEL 8; %ksappend without a URL is refused */
	c = check_text("ks.cfg", "%traceback\n%end\n%ksappend\n", OS_RHEL8);
	ck_assert_uint_eq(c.nwarn, 0);
	ck_assert_uint_eq(c.nerr, 1);
	ck_assert(has(c.dc.errors, "ks.cfg:3:1: %ksappend needs a URL"));
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(scripts_are_not_checked)
{
	const char *ks = "%post --interpreter=/usr/bin/python3\n"
			 "deviceprobe --bogus 'unclosed\n"
			 "%not-a-section\n"
			 "  %end-of-line is text\n"
			 "%end\n"
			 "%pre\n"
			 "\n"
			 "# comment\n"
			 "%end trailing words are ignored\n";
	struct checked c = check_text("ks.cfg", ks, OS_RHEL9);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 0 && c.nwarn == 0, "%s", all);
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(packages_lines)
{
	const char *ks = "%packages --excludedocs\n"
			 "@^minimal-environment\n"
			 "@core --nodefaults\n"
			 "@Development Tools --optional\n"
			 "-@dial-up\n"
			 "-iwl*firmware # no firmware\n"
			 "vim*\n"
			 "\n"
			 "%end\n";
	struct checked c = check_text("ks.cfg", ks, OS_RHEL8);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 0 && c.nwarn == 0, "%s", all);
	doc_check_free(&c.dc);
	/* the RHEL 9 aliases; --ignorebroken is removed for RHEL; the old names warn in 9 */
	c = check_text("ks.cfg", "%packages --inst-langs=en --instLangs=en --ignorebroken\n%end\n", OS_RHEL9);
	ck_assert_uint_eq(c.nerr, 1);
	ck_assert(has(c.dc.errors, "ks.cfg:1:42: %packages: unknown option '--ignorebroken'"));
	ck_assert(has(c.dc.warnings, "--instLangs will be deprecated, use its alias --inst-langs"));
	doc_check_free(&c.dc);
	c = check_text("ks.cfg", "%packages --inst-langs=en\n%end\n", OS_RHEL8);
	ck_assert(has(c.dc.errors,
		      "%packages: unknown option '--inst-langs' in a RHEL 8 kickstart (new in RHEL 9)"));
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(option_values_and_positionals)
{
	struct checked c =
	    check_text("ks.cfg",
		       "network --device eth0 --bootproto static --ip=192.0.2.2 --netmask 255.255.255.0\n"
		       "part / --size -1\n"
		       "logvol / --vgname=vg --name=root --percent=50\n"
		       "rootpw one two\n",
		       OS_RHEL9);
	_cleanup_free_ char *all = problems(&c.dc);
	/* "-1" is a value (a negative number); rootpw takes one password, not shown */
	ck_assert_msg(c.nerr == 1, "%s", all);
	ck_assert(has(c.dc.errors, "ks.cfg:4:12: rootpw: unexpected argument '(not shown)'"));
	doc_check_free(&c.dc);
	/* --reformat takes /dev/sda1 as its value: the mount point is missing */
	c = check_text("ks.cfg", "mount --reformat /dev/sda1 /home\n", OS_RHEL9);
	ck_assert_uint_eq(c.nerr, 1);
	ck_assert(has(c.dc.errors, "ks.cfg:1: mount: missing the device and mount point"));
	doc_check_free(&c.dc);
	c = check_text("ks.cfg", "autopart --type=BTRFS\n", OS_RHEL9);
	ck_assert_uint_eq(c.nerr, 1);
	ck_assert(
	    has(c.dc.errors, "ks.cfg:1: autopart: autopart --type=btrfs is not supported (not in RHEL 9)"));
	doc_check_free(&c.dc);
	/* a value never comes from the next option */
	c = check_text("ks.cfg", "user --name --lock\n", OS_RHEL8);
	ck_assert_uint_eq(c.nerr, 2);
	ck_assert(has(c.dc.errors, "ks.cfg:1:6: user: --name needs a value"));
	ck_assert(has(c.dc.errors, "user: missing the required option --name"));
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(quoting_and_comments_as_shlex)
{
	struct checked c = check_text("ks.cfg",
				      "bootloader --append=\"console=ttyS0 quiet\" # the serial console\n"
				      "user --name='build er' --gecos=\"say \\\"hi\\\"\" --password=a\\ b\n"
				      "network --hostname=host#name\n",
				      OS_RHEL9);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 0, "%s", all);
	ck_assert_uint_eq(c.nwarn, 1);
	ck_assert(has(c.dc.warnings, "ks.cfg:3:24: '#' inside a word starts a comment"));
	doc_check_free(&c.dc);
	c = check_text("ks.cfg", "rootpw --plaintext 'abc\n", OS_RHEL9);
	ck_assert(has(c.dc.errors, "ks.cfg:1:20: no closing quotation"));
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(text_encoding)
{
	struct doc_check dc = {0};
	const char nul[] = "text\nlang en_US\0x\n";
	ck_assert_int_eq(kickstart_check("ks.cfg", nul, sizeof(nul) - 1, OS_RHEL9, &dc), 0);
	ck_assert_uint_eq(strv_len(dc.errors), 1);
	ck_assert(has(dc.errors, "ks.cfg:2:11: NUL byte"));
	doc_check_free(&dc);
	const char bom[] = "\xef\xbb\xbftext\n";
	ck_assert_int_eq(kickstart_check("ks.cfg", bom, sizeof(bom) - 1, OS_RHEL9, &dc), 0);
	ck_assert_uint_eq(strv_len(dc.errors), 1);
	ck_assert(has(dc.errors, "ks.cfg:1:1: the file starts with a UTF-8 byte order mark"));
	doc_check_free(&dc);
	/* overlong and surrogate forms are not UTF-8 for Python either; U+2028
	 * ends a line (str.splitlines) */
	const char bad[] = "# note\xe2\x80\xa8lang \xc0\xaf\nlang \xed\xa0\x80\n";
	ck_assert_int_eq(kickstart_check("ks.cfg", bad, sizeof(bad) - 1, OS_RHEL8, &dc), 0);
	ck_assert_uint_eq(strv_len(dc.errors), 2);
	ck_assert(has(dc.errors, "ks.cfg:2:6: not UTF-8 (byte 0xc0)"));
	ck_assert(has(dc.errors, "ks.cfg:3:6: not UTF-8 (byte 0xed)"));
	doc_check_free(&dc);
}
END_TEST

START_TEST(addons)
{
	struct checked c = check_text("ks.cfg",
				      "%addon com_redhat_kdump --enable --reserve-mb=auto\n%end\n"
				      "%addon com_redhat_kdump --enabel\n%end\n"
				      "%addon com_example_foo\n%end\n"
				      "%addon\n%end\n",
				      OS_RHEL9);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 2 && c.nwarn == 1, "%s", all);
	ck_assert(
	    has(c.dc.errors,
		"ks.cfg:3:25: %addon com_redhat_kdump: unknown option '--enabel' (did you mean --enable?)"));
	ck_assert(has(c.dc.errors, "ks.cfg:7:1: %addon needs the name of an add-on"));
	ck_assert(has(c.dc.warnings,
		      "ks.cfg:5:8: %addon com_example_foo: not an add-on of the RHEL install media"));
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(certificate_section)
{
	struct checked c =
	    check_text("ks.cfg",
		       "%certificate --filename=ca.pem --dir=/etc/pki/ca-trust/source/anchors\n"
		       "-----BEGIN CERTIFICATE-----\n"
		       "-----END CERTIFICATE-----\n"
		       "%end\n"
		       "%certificate --filename=x.pem\n"
		       "\n"
		       "%end\n",
		       OS_RHEL9);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 2 && c.nwarn == 2, "%s", all);
	ck_assert(has(c.dc.warnings, "ks.cfg:1:1: %certificate came with pykickstart 3.61"));
	ck_assert(has(c.dc.errors, "ks.cfg:5: %certificate: one of --dir or --type must be given"));
	ck_assert(has(c.dc.errors, "ks.cfg:5: %certificate: the section is empty"));
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(conflicts_and_partitioning)
{
	struct checked c = check_text("ks.cfg",
				      "part / --size=1\n"
				      "partition / --size=2\n"
				      "part swap --size=1\n"
				      "part swap --size=1\n"
				      "reqpart\n"
				      "autopart\n",
				      OS_RHEL8);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 2 && c.nwarn == 1, "%s", all);
	ck_assert(has(c.dc.warnings, "ks.cfg:2: partition: partition for '/' is already defined on line 1"));
	ck_assert(has(c.dc.errors, "ks.cfg:6: autopart cannot be used together with part (line 1)"));
	ck_assert(has(c.dc.errors, "ks.cfg:6: autopart cannot be used together with reqpart (line 5)"));
	doc_check_free(&c.dc);
}
END_TEST

START_TEST(realm_and_end_of_options)
{
	struct checked c =
	    check_text("ks.cfg",
		       "realm join --one-time-password=secret --computer-ou OU=Linux ad.example.com\n"
		       "realm join ad.example.com\n"
		       "rootpw --plaintext -- --starts-with-dashes\n",
		       OS_RHEL9);
	_cleanup_free_ char *all = problems(&c.dc);
	ck_assert_msg(c.nerr == 1, "%s", all);
	ck_assert(has(c.dc.errors, "ks.cfg:2: realm: join may only be given once (line 1)"));
	doc_check_free(&c.dc);
	c = check_text("ks.cfg", "realm leave x\nrealm join --c=x a.example.com\ncdrom --\nrootpw --\n",
		       OS_RHEL8);
	ck_assert_uint_eq(c.nerr, 4);
	ck_assert(has(c.dc.errors, "ks.cfg:1:7: realm: unsupported realm command 'leave' (only join)"));
	ck_assert(has(c.dc.errors, "ks.cfg:2:12: realm join: ambiguous option '--c'"));
	ck_assert(has(c.dc.errors, "ks.cfg:3:7: cdrom: unexpected argument '--'"));
	ck_assert(has(c.dc.errors, "ks.cfg:4: rootpw: rootpw needs a password or --lock"));
	doc_check_free(&c.dc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kscheck");
	TCase *tc = tcase_create("kscheck");
	tcase_add_test(tc, accepted_documents_pass);
	tcase_add_test(tc, rejected_documents_fail_with_their_error);
	tcase_add_test(tc, hnbuild_rendered_kickstarts_pass);
	tcase_add_test(tc, only_rhel_targets);
	tcase_add_test(tc, unambiguous_prefix_is_accepted);
	tcase_add_test(tc, messages_name_file_line_column_and_token);
	tcase_add_test(tc, every_problem_is_reported);
	tcase_add_test(tc, warnings_deprecated_and_repeated_commands);
	tcase_add_test(tc, warnings_include_ksappend_traceback_authconfig);
	tcase_add_test(tc, scripts_are_not_checked);
	tcase_add_test(tc, packages_lines);
	tcase_add_test(tc, option_values_and_positionals);
	tcase_add_test(tc, quoting_and_comments_as_shlex);
	tcase_add_test(tc, text_encoding);
	tcase_add_test(tc, addons);
	tcase_add_test(tc, certificate_section);
	tcase_add_test(tc, conflicts_and_partitioning);
	tcase_add_test(tc, realm_and_end_of_options);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
