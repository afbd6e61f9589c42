/* test_autoinstall.c — Ubuntu autoinstall rendering: golden files, JSON
 * Schema validity (subiquity's schema, via python3-jsonschema), YAML-level
 * escaping of values, and the user's own --autoinstall file. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "autoinstall.h"
#include "err.h"
#include "installdata_test.h"
#include "installer.h"
#include "unit_run.h"

#define FAKE_KEY                                                                                             \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2Uta2V5LWZvci1nb2xkZW4tZmlsZXMtb25seQ hnbuild-build"
#define FAKE_HASH                                                                                            \
	"$6$abcdefghijklmnop$"                                                                               \
	"Cn3Q0cLsS0pWq6iqx0VUtPqS0X3d2L0m1bVnH0Nq8pLw3sR3kV0oYVbU6r1aQ7jZ8yJX4hG0fD9cE2bA1zZ0/"

static struct install_params base_params(enum os_id os, enum arch_id arch, enum firmware_kind fw)
{
	return (struct install_params){
	    .os = os,
	    .arch = arch,
	    .firmware = fw,
	    .user = "hnbuild",
	    .public_key = FAKE_KEY,
	    .instance_id = "hnbuild-install",
	};
}

/* Validate a user-data document against subiquity's autoinstall schema. */
static int schema_check_with(const char *user_data, const char *schema_file)
{
	char *dir = test_tmpdir();
	char *file = test_path(dir, "user-data");
	test_write(file, user_data);
	int st = test_sh(
	    "python3 -c '"
	    "import json, sys, yaml, jsonschema\n"
	    "doc = yaml.safe_load(open(sys.argv[1]))\n"
	    "assert open(sys.argv[1]).readline() == \"#cloud-config\\n\", \"no #cloud-config header\"\n"
	    "schema = json.load(open(sys.argv[2]))\n"
	    "jsonschema.validate(doc[\"autoinstall\"], schema)\n"
	    "' %s %s",
	    file, schema_file);
	rm_rf(dir);
	free(file);
	free(dir);
	return st;
}

/* Against the newest schema (tests/schemas/SOURCES.txt). */
static int schema_check(const char *user_data)
{
	return schema_check_with(user_data, "tests/schemas/autoinstall-schema.json");
}

/* A value of the parsed document, by a Python expression on `d`. */
static int yaml_expect(const char *user_data, const char *assertion)
{
	char *dir = test_tmpdir();
	char *file = test_path(dir, "doc.yaml");
	test_write(file, user_data);
	int st =
	    test_sh("python3 -c 'import sys, yaml\nd = yaml.safe_load(open(sys.argv[1]))\nassert %s, d' %s "
		    ">/dev/null 2>&1",
		    assertion, file);
	rm_rf(dir);
	free(file);
	free(dir);
	return st;
}

START_TEST(golden_ubuntu24_amd64_uefi_key_only)
{
	struct install_params p = base_params(OS_UBUNTU24, ARCH_AMD64, FIRMWARE_UEFI);
	char *ud = NULL, *md = NULL;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), 0);
	test_golden("autoinstall-ubuntu24-amd64-uefi.yaml", ud);
	test_golden("autoinstall-meta-data.yaml", md);
	ck_assert_int_eq(schema_check(ud), 0);
	/* What the build relies on, read back as YAML. */
	ck_assert_int_eq(yaml_expect(ud, "d[\"autoinstall\"][\"shutdown\"] == \"poweroff\""), 0);
	ck_assert_int_eq(yaml_expect(ud, "d[\"autoinstall\"][\"storage\"][\"swap\"][\"size\"] == 0"), 0);
	ck_assert_int_eq(
	    yaml_expect(ud, "d[\"autoinstall\"][\"storage\"][\"config\"][0][\"ptable\"] == \"gpt\""), 0);
	ck_assert_int_eq(yaml_expect(ud, "[c for c in d[\"autoinstall\"][\"storage\"][\"config\"] if "
					 "c.get(\"path\") == \"/boot/efi\"]"),
			 0);
	ck_assert_int_eq(yaml_expect(ud, "d[\"autoinstall\"][\"ssh\"][\"allow-pw\"] is False"), 0);
	ck_assert_int_eq(
	    yaml_expect(ud, "d[\"autoinstall\"][\"user-data\"][\"users\"][0][\"lock_passwd\"] is True"), 0);
	ck_assert_int_eq(yaml_expect(ud, "\"passwd\" not in d[\"autoinstall\"][\"user-data\"][\"users\"][0]"),
			 0);
	ck_assert_int_eq(
	    yaml_expect(ud, "d[\"autoinstall\"][\"user-data\"][\"users\"][0][\"ssh_authorized_keys\"] == "
			    "[\"" FAKE_KEY "\"]"),
	    0);
	ck_assert_int_eq(yaml_expect(ud, "\"identity\" not in d[\"autoinstall\"]"), 0);
	ck_assert_int_eq(yaml_expect(ud, "d[\"autoinstall\"][\"apt\"][\"fallback\"] == \"offline-install\""),
			 0);
	/* Negative control: the assertion helper does fail. */
	ck_assert_int_ne(yaml_expect(ud, "d[\"autoinstall\"][\"shutdown\"] == \"reboot\""), 0);
	free(ud);
	free(md);
}
END_TEST

START_TEST(golden_ubuntu22_amd64_bios_password_and_late_commands)
{
	struct install_params p = base_params(OS_UBUNTU22, ARCH_AMD64, FIRMWARE_BIOS);
	char *extra[] = {"echo 'extra: yes' > /target/etc/hnbuild-extra", "true", NULL};
	p.password_hash = FAKE_HASH;
	p.late_commands = extra;
	char *ud = NULL, *md = NULL;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), 0);
	test_golden("autoinstall-ubuntu22-amd64-bios-password.yaml", ud);
	ck_assert_int_eq(schema_check(ud), 0);
	ck_assert_int_eq(
	    yaml_expect(ud, "d[\"autoinstall\"][\"storage\"][\"config\"][0][\"ptable\"] == \"msdos\""), 0);
	ck_assert_int_eq(
	    yaml_expect(ud, "d[\"autoinstall\"][\"storage\"][\"config\"][0][\"grub_device\"] is True"), 0);
	ck_assert_int_eq(yaml_expect(ud, "d[\"autoinstall\"][\"ssh\"][\"allow-pw\"] is True"), 0);
	ck_assert_int_eq(
	    yaml_expect(ud,
			"d[\"autoinstall\"][\"user-data\"][\"users\"][0][\"passwd\"] == \"" FAKE_HASH "\""),
	    0);
	/* "true" stays the string "true"; ours come first, the user's last. */
	ck_assert_int_eq(
	    yaml_expect(ud, "d[\"autoinstall\"][\"late-commands\"][-2:] == [\"echo \\x27extra: yes\\x27 > "
			    "/target/etc/hnbuild-extra\", \"true\"]"),
	    0);
	ck_assert_int_eq(
	    yaml_expect(ud, "d[\"autoinstall\"][\"late-commands\"][0] == \"rm -f /target/swap.img\""), 0);
	free(ud);
	free(md);
}
END_TEST

START_TEST(golden_ubuntu24_arm64_uefi)
{
	struct install_params p = base_params(OS_UBUNTU24, ARCH_ARM64, FIRMWARE_UEFI);
	char *ud = NULL, *md = NULL;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), 0);
	test_golden("autoinstall-ubuntu24-arm64-uefi.yaml", ud);
	ck_assert_int_eq(schema_check(ud), 0);
	ck_assert_ptr_nonnull(strstr(ud, "console=ttyAMA0,115200"));
	ck_assert_ptr_null(strstr(ud, "ttyS0"));
	free(ud);
	free(md);
}
END_TEST

/* What a build renders: no key (it is granted offline before provision). */
START_TEST(no_key_no_authorized_keys)
{
	struct install_params p = base_params(OS_UBUNTU24, ARCH_AMD64, FIRMWARE_UEFI);
	p.public_key = NULL;
	char *ud = NULL, *md = NULL;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), 0);
	ck_assert_int_eq(schema_check(ud), 0);
	ck_assert_ptr_null(strstr(ud, "ssh-ed25519"));
	ck_assert_int_eq(yaml_expect(ud, "not d[\"autoinstall\"][\"user-data\"][\"users\"][0].get(\"ssh_authorized_keys\")"), 0);
	ck_assert_int_eq(yaml_expect(ud, "d[\"autoinstall\"][\"user-data\"][\"users\"][0][\"lock_passwd\"] is True"), 0);
	free(ud);
	free(md);
}
END_TEST

START_TEST(ubuntu20_has_no_apt_fallback)
{
	struct install_params p = base_params(OS_UBUNTU20, ARCH_AMD64, FIRMWARE_BIOS);
	char *ud = NULL, *md = NULL;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), 0);
	ck_assert_ptr_null(strstr(ud, "fallback"));
	ck_assert_int_eq(schema_check(ud), 0);
	/* 20.04 media carry subiquity 21.08, whose schema knows time zones
	 * only by an enum without Etc/ names (tests/schemas/SOURCES.txt). */
	ck_assert_int_eq(schema_check_with(ud, "tests/schemas/autoinstall-schema-21.08.2.json"), 0);
	ck_assert_int_eq(yaml_expect(ud, "d[\"autoinstall\"][\"timezone\"] == \"UTC\""), 0);
	free(ud);
	free(md);
}
END_TEST

START_TEST(values_are_escaped_by_libyaml)
{
	/* A hostile hostname is refused; hostile late-commands stay one string each. */
	struct install_params p = base_params(OS_UBUNTU24, ARCH_AMD64, FIRMWARE_UEFI);
	char *evil[] = {"echo \"a\"\n  shutdown: reboot\nx: [", "yes", "- item", "0755", "#comment", NULL};
	p.late_commands = evil;
	char *ud = NULL, *md = NULL;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), 0);
	ck_assert_int_eq(yaml_expect(ud, "d[\"autoinstall\"][\"shutdown\"] == \"poweroff\""), 0);
	ck_assert_int_eq(
	    yaml_expect(ud, "d[\"autoinstall\"][\"late-commands\"][-5:] == [\"echo \\\"a\\\"\\n  shutdown: "
			    "reboot\\nx: [\", \"yes\", \"- item\", \"0755\", \"#comment\"]"),
	    0);
	ck_assert_int_eq(schema_check(ud), 0);
	free(ud);
	free(md);

	p.late_commands = NULL;
	p.hostname = "bad host\nname";
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), -EINVAL);
	ck_assert_int_eq(err_exit_code(), 2);
	p.hostname = NULL;
	p.password_hash = "plain-password";
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "hash"));
	p.password_hash = NULL;
	p.public_key = "ssh-ed25519 AAAA\nssh-rsa BBBB";
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), -EINVAL);
	p.public_key = FAKE_KEY;
	p.arch = ARCH_ARM64;
	p.firmware = FIRMWARE_BIOS;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "UEFI"));
	p.os = OS_RHEL9;
	p.firmware = FIRMWARE_UEFI;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), -EINVAL);
}
END_TEST

START_TEST(user_file_verbatim_wrapped_and_bad)
{
	char *dir = test_tmpdir();
	char *cc = test_path(dir, "cc.yaml"), *bare = test_path(dir, "bare.yaml"),
	     *bad = test_path(dir, "bad.yaml"), *notai = test_path(dir, "notai.yaml"),
	     *missing = test_path(dir, "missing.yaml");
	const char *cc_text =
	    "# my comment\nautoinstall:\n  version: 1\n  identity: {realname: u, username: u, "
	    "hostname: h, password: \"$6$x$y\"}\n  late-commands:\n    - echo ${HOME}\n";
	test_write(cc, cc_text);
	test_write(bare, "version: 1\nshutdown: poweroff\nlocale: en_GB.UTF-8\n");
	test_write(bad, "autoinstall:\n  version: 1\n  late-commands: [unclosed\n");
	test_write(notai, "users: []\n");

	struct install_params p = base_params(OS_UBUNTU24, ARCH_AMD64, FIRMWARE_UEFI);
	char *ud = NULL, *md = NULL;

	/* Verbatim (header added, comments kept, ${HOME} untouched). */
	p.user_file = cc;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), 0);
	ck_assert_str_eq(
	    ud, "#cloud-config\n# my comment\nautoinstall:\n  version: 1\n  identity: {realname: u, "
		"username: u, hostname: h, password: \"$6$x$y\"}\n  late-commands:\n    - echo ${HOME}\n");
	ck_assert_ptr_null(strstr(ud, "hnbuild"));
	free(ud);
	free(md);

	/* Extra late-commands are appended to the user's, nothing else added. */
	char *extra[] = {"echo extra", NULL};
	p.late_commands = extra;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), 0);
	ck_assert_int_eq(
	    yaml_expect(ud, "d[\"autoinstall\"][\"late-commands\"] == [\"echo ${HOME}\", \"echo extra\"]"),
	    0);
	ck_assert_int_eq(yaml_expect(ud, "d[\"autoinstall\"][\"identity\"][\"password\"] == \"$6$x$y\""), 0);
	ck_assert_int_eq(yaml_expect(ud, "\"user-data\" not in d[\"autoinstall\"]"), 0);
	ck_assert_int_eq(schema_check(ud), 0);
	free(ud);
	free(md);

	/* A bare autoinstall document is wrapped under autoinstall:. */
	p.user_file = bare;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), 0);
	ck_assert(strncmp(ud, "#cloud-config\nautoinstall:\n", 27) == 0);
	ck_assert_int_eq(yaml_expect(ud,
				     "d == {\"autoinstall\": {\"version\": 1, \"shutdown\": \"poweroff\", "
				     "\"locale\": \"en_GB.UTF-8\", \"late-commands\": [\"echo extra\"]}}"),
			 0);
	free(ud);
	free(md);

	/* Bad YAML: file:line:column, exit 2. */
	p.user_file = bad;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), -EINVAL);
	ck_assert_int_eq(err_exit_code(), 2);
	ck_assert_msg(strstr(err_message(), "bad.yaml:") && strstr(err_message(), "invalid YAML"), "%s",
		      err_message());
	p.user_file = notai;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "not an autoinstall document"));
	p.user_file = missing;
	ck_assert_int_eq(autoinstall_render(&p, &ud, &md), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "missing.yaml"));

	rm_rf(dir);
	free(cc);
	free(bare);
	free(bad);
	free(notai);
	free(missing);
	free(dir);
}
END_TEST

START_TEST(installer_ops_and_seed)
{
	struct install_params p = base_params(OS_UBUNTU24, ARCH_AMD64, FIRMWARE_UEFI);
	const struct installer_ops *ops = installer_for_os(OS_UBUNTU22);
	ck_assert_str_eq(ops->name, "autoinstall");
	ck_assert_str_eq(ops->seed_label, "CIDATA");
	struct install_data d;
	ck_assert_int_eq(installer_render(&p, &d), 0);
	ck_assert_uint_eq(d.n_files, 2);
	ck_assert_str_eq(d.files[0].name, "user-data");
	ck_assert_str_eq(d.files[1].name, "meta-data");
	char *dir = test_tmpdir();
	char *iso = test_path(dir, "seed.iso");
	ck_assert_int_eq(installer_write_seed(&d, iso), 0);
	ck_assert_int_eq(
	    test_sh("xorriso -indev %s -pvd_info 2>/dev/null | grep -q \"^Volume Id    : CIDATA$\"", iso), 0);
	ck_assert_int_eq(
	    test_sh("cd %s && xorriso -osirrox on -indev seed.iso -extract /user-data ud >/dev/null 2>&1 "
		    "&& cmp -s ud - <<'EOF'\n%sEOF",
		    dir, d.files[0].data),
	    0);
	char *cmdline = installer_kernel_cmdline(&p, NULL);
	ck_assert_str_eq(cmdline, "autoinstall ds=nocloud console=tty0 console=ttyS0,115200 no_timer_check");
	free(cmdline);
	install_data_free(&d);
	rm_rf(dir);
	free(iso);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("autoinstall");
	TCase *tc = tcase_create("autoinstall");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, golden_ubuntu24_amd64_uefi_key_only);
	tcase_add_test(tc, golden_ubuntu22_amd64_bios_password_and_late_commands);
	tcase_add_test(tc, golden_ubuntu24_arm64_uefi);
	tcase_add_test(tc, no_key_no_authorized_keys);
	tcase_add_test(tc, ubuntu20_has_no_apt_fallback);
	tcase_add_test(tc, values_are_escaped_by_libyaml);
	tcase_add_test(tc, user_file_verbatim_wrapped_and_bad);
	tcase_add_test(tc, installer_ops_and_seed);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
