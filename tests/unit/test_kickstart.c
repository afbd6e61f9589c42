/* test_kickstart.c — RHEL kickstart rendering: golden files for UEFI/BIOS,
 * key-only and password builds, quoting of values, the user's own
 * --kickstart file, and the OEMDRV seed. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "installdata_test.h"
#include "installer.h"
#include "kickstart.h"
#include "unit_run.h"

#define FAKE_KEY                                                                                             \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2Uta2V5LWZvci1nb2xkZW4tZmlsZXMtb25seQ hnbuild-build"
#define FAKE_HASH                                                                                            \
	"$6$abcdefghijklmnop$"                                                                               \
	"Cn3Q0cLsS0pWq6iqx0VUtPqS0X3d2L0m1bVnH0Nq8pLw3sR3kV0oYVbU6r1aQ7jZ8yJX4hG0fD9cE2bA1zZ0/"

static struct install_params base_params(enum os_id os, enum arch_id arch, enum firmware_kind fw)
{
	return (struct install_params){
	    .os = os, .arch = arch, .firmware = fw, .user = "hnbuild", .public_key = FAKE_KEY};
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

START_TEST(golden_rhel9_amd64_uefi_key_only)
{
	struct install_params p = base_params(OS_RHEL9, ARCH_AMD64, FIRMWARE_UEFI);
	char *ks = NULL;
	ck_assert_int_eq(kickstart_render(&p, &ks), 0);
	test_golden("ks-rhel9-amd64-uefi.cfg", ks);
	ck_assert(has_line(ks, "part /boot/efi --fstype=efi --size=600"));
	ck_assert(!has_line(ks, "part biosboot --fstype=biosboot --size=1"));
	ck_assert(has_line(ks, "user --name=hnbuild --groups=wheel --lock"));
	ck_assert(has_line(ks, "sshkey --username=hnbuild \"" FAKE_KEY "\""));
	ck_assert(has_line(ks, "bootloader --append=\"console=tty0 console=ttyS0,115200\""));
	ck_assert(has_line(ks, "poweroff"));
	ck_assert(has_line(ks, "rootpw --lock"));
	/* No swap, no autopart, no template-only lines or placeholders. */
	ck_assert_ptr_null(strstr(ks, "swap --"));
	ck_assert_ptr_null(strstr(ks, "--fstype=swap"));
	ck_assert_ptr_null(strstr(ks, "autopart"));
	ck_assert_ptr_null(strstr(ks, "${"));
	ck_assert_ptr_null(strstr(ks, "##"));
	ck_assert_ptr_null(strstr(ks, "@@"));
	ck_assert_ptr_null(strstr(ks, "%post --log=/root/ks-post-user.log"));
	free(ks);
}
END_TEST

START_TEST(golden_rhel8_amd64_bios_password_and_post)
{
	struct install_params p = base_params(OS_RHEL8, ARCH_AMD64, FIRMWARE_BIOS);
	char *post[] = {"echo \"extra\" > /etc/hnbuild-extra", "dnf -y install vim-minimal", NULL};
	p.password_hash = FAKE_HASH;
	p.late_commands = post;
	char *ks = NULL;
	ck_assert_int_eq(kickstart_render(&p, &ks), 0);
	test_golden("ks-rhel8-amd64-bios-password.cfg", ks);
	ck_assert(has_line(ks, "part biosboot --fstype=biosboot --size=1"));
	ck_assert(!has_line(ks, "part /boot/efi --fstype=efi --size=600"));
	ck_assert(
	    has_line(ks, "user --name=hnbuild --groups=wheel --iscrypted --password=\"" FAKE_HASH "\""));
	ck_assert(has_line(ks, "%post --log=/root/ks-post-user.log"));
	ck_assert(has_line(ks, "echo \"extra\" > /etc/hnbuild-extra"));
	free(ks);
}
END_TEST

START_TEST(golden_rhel9_arm64_uefi)
{
	struct install_params p = base_params(OS_RHEL9, ARCH_ARM64, FIRMWARE_UEFI);
	char *ks = NULL;
	ck_assert_int_eq(kickstart_render(&p, &ks), 0);
	test_golden("ks-rhel9-arm64-uefi.cfg", ks);
	ck_assert(has_line(ks, "bootloader --append=\"console=tty0 console=ttyAMA0,115200\""));
	free(ks);
}
END_TEST

/* What a build renders: no key (it is granted offline before provision). */
START_TEST(no_key_no_sshkey_line)
{
	struct install_params p = base_params(OS_RHEL9, ARCH_AMD64, FIRMWARE_UEFI);
	p.public_key = NULL;
	char *ks = NULL;
	ck_assert_int_eq(kickstart_render(&p, &ks), 0);
	ck_assert_ptr_null(strstr(ks, "sshkey"));
	ck_assert(has_line(ks, "user --name=hnbuild --groups=wheel --lock"));
	free(ks);
}
END_TEST

START_TEST(quoting_and_bad_values)
{
	char *q = kickstart_quote("a \"b\" \\ # c");
	ck_assert_str_eq(q, "\"a \\\"b\\\" \\\\ # c\"");
	free(q);

	/* The quoted form reads back as the value with a shell-like splitter
	 * (pykickstart uses shlex). */
	ck_assert_int_eq(
	    test_sh("python3 -c 'import shlex,sys; assert shlex.split(sys.argv[1]) == [\"--x=a \\\"b\\\" "
		    "\\\\ # c\"], shlex.split(sys.argv[1])' '--x=\"a \\\"b\\\" \\\\ # c\"'"),
	    0);

	struct install_params p = base_params(OS_RHEL9, ARCH_AMD64, FIRMWARE_UEFI);
	char *ks = NULL;
	p.user = "Bad User";
	ck_assert_int_eq(kickstart_render(&p, &ks), -EINVAL);
	ck_assert_int_eq(err_exit_code(), 2);
	p.user = "hnbuild";
	p.public_key = "ssh-ed25519 AAAA\" --username=root \"x";
	ck_assert_int_eq(kickstart_render(&p, &ks), -EINVAL);
	p.public_key = FAKE_KEY;
	p.password_hash = "secret password";
	ck_assert_int_eq(kickstart_render(&p, &ks), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "hash"));
	p.password_hash = NULL;
	char *bad_post[] = {"%end", NULL};
	p.late_commands = bad_post;
	ck_assert_int_eq(kickstart_render(&p, &ks), -EINVAL);
	/* Issue 20.2: a section opened on a later line of one command, after
	 * blanks, or behind a line break Python's splitlines sees. */
	const char *hostile[] = {"true\n%end\n%pre\ntouch /tmp/pwn-pre\n%end\n%post\ntrue", "true\n  \t%pre",
				 "true\r%pre", "true\v%pre", "true\x1e%pre", "true\xe2\x80\xa8%pre", "true\xc2\x85%pre"};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char *one[] = {(char *)hostile[i], NULL};
		p.late_commands = one;
		ck_assert_int_eq(kickstart_render(&p, &ks), -EINVAL);
		ck_assert_ptr_nonnull(strstr(err_message(), "kickstart: extra %post command 1, line "));
	}
	char *fine[] = {"echo 100% done", "printf 'a\\n%%s\\n' x", NULL};
	p.late_commands = fine;
	ck_assert_int_eq(kickstart_render(&p, &ks), 0);
	free(ks);
	ks = NULL;
	p.late_commands = NULL;
	p.arch = ARCH_ARM64;
	p.firmware = FIRMWARE_BIOS;
	ck_assert_int_eq(kickstart_render(&p, &ks), -EINVAL);
	p.os = OS_UBUNTU24;
	p.firmware = FIRMWARE_UEFI;
	ck_assert_int_eq(kickstart_render(&p, &ks), -EINVAL);
	ck_assert_ptr_null(ks);
}
END_TEST

START_TEST(user_kickstart_file)
{
	char *dir = test_tmpdir();
	char *file = test_path(dir, "my.ks"), *empty = test_path(dir, "empty.ks");
	test_write(file, "text\nautopart --noswap\nrootpw --lock\npoweroff");
	test_write(empty, "");
	struct install_params p = base_params(OS_RHEL9, ARCH_AMD64, FIRMWARE_UEFI);
	p.user_file = file;
	char *ks = NULL;
	ck_assert_int_eq(kickstart_render(&p, &ks), 0);
	ck_assert_str_eq(ks, "text\nautopart --noswap\nrootpw --lock\npoweroff");
	free(ks);
	char *post[] = {"touch /etc/extra", NULL};
	p.late_commands = post;
	ck_assert_int_eq(kickstart_render(&p, &ks), 0);
	ck_assert_str_eq(
	    ks, "text\nautopart --noswap\nrootpw --lock\npoweroff\n\n%post --log=/root/ks-post-user.log\n"
		"touch /etc/extra\n%end\n");
	free(ks);
	p.user_file = empty;
	ck_assert_int_eq(kickstart_render(&p, &ks), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "empty.ks"));
	p.user_file = "/nonexistent/x.ks";
	ck_assert_int_eq(kickstart_render(&p, &ks), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "/nonexistent/x.ks"));
	rm_rf(dir);
	free(file);
	free(empty);
	free(dir);
}
END_TEST

START_TEST(oemdrv_seed_and_cmdline)
{
	struct install_params p = base_params(OS_RHEL9, ARCH_AMD64, FIRMWARE_UEFI);
	const struct installer_ops *ops = installer_for_os(OS_RHEL8);
	ck_assert_str_eq(ops->name, "kickstart");
	ck_assert_str_eq(ops->seed_label, "OEMDRV");
	struct install_data d;
	ck_assert_int_eq(installer_render(&p, &d), 0);
	ck_assert_uint_eq(d.n_files, 1);
	ck_assert_str_eq(d.files[0].name, "ks.cfg");
	char *dir = test_tmpdir();
	char *iso = test_path(dir, "oemdrv.iso");
	ck_assert_int_eq(installer_write_seed(&d, iso), 0);
	ck_assert_int_eq(
	    test_sh("xorriso -indev %s -pvd_info 2>/dev/null | grep -q \"^Volume Id    : OEMDRV$\"", iso), 0);
	ck_assert_int_eq(
	    test_sh("cd %s && xorriso -osirrox on -indev oemdrv.iso -extract /ks.cfg ks >/dev/null 2>&1 && "
		    "grep -q '^sshkey --username=hnbuild' ks",
		    dir),
	    0);
	struct iso_info info = {.label = (char *)"RHEL-9-4-0-BaseOS x86_64"};
	char *cmdline = installer_kernel_cmdline(&p, &info);
	ck_assert_str_eq(cmdline,
			 "inst.stage2=hd:LABEL=RHEL-9-4-0-BaseOS\\x20x86_64 inst.ks=hd:LABEL=OEMDRV:/ks.cfg "
			 "inst.text console=tty0 console=ttyS0,115200 no_timer_check");
	free(cmdline);
	install_data_free(&d);
	rm_rf(dir);
	free(iso);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kickstart");
	TCase *tc = tcase_create("kickstart");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, golden_rhel9_amd64_uefi_key_only);
	tcase_add_test(tc, golden_rhel8_amd64_bios_password_and_post);
	tcase_add_test(tc, golden_rhel9_arm64_uefi);
	tcase_add_test(tc, no_key_no_sshkey_line);
	tcase_add_test(tc, quoting_and_bad_values);
	tcase_add_test(tc, user_kickstart_file);
	tcase_add_test(tc, oemdrv_seed_and_cmdline);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
