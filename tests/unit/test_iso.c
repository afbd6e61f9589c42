/* test_iso.c — the iso stage on real (small) ISO9660 images made with
 * xorriso: inspection of Ubuntu-like and RHEL-like ISOs, bad input (not an
 * ISO, truncated, unknown, other OS or arch), extraction, and acquisition
 * from a path or a loopback URL through the digest-keyed cache with its
 * lock (wrong digest: exit 3 and nothing kept; concurrent builds download
 * once; unreachable URL). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "digest.h"
#include "err.h"
#include "httpd_test.h"
#include "installdata_test.h"
#include "iso.h"
#include "unit_run.h"

static char *fx; /* fixture directory */

static char *fx_path(const char *name)
{
	return path_join(fx, name);
}

/* Fixtures are made before the suite runs, outside check's assertions. */
#define NEED(cond)                                                                                           \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "fixture setup failed: %s (line %d)\n", #cond, __LINE__);            \
			exit(2);                                                                             \
		}                                                                                            \
	} while (0)

static void add_file(const char *root, const char *rel, const char *text)
{
	char *p = path_join(root, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	NEED(mkdir_p(p, 0755) == 0);
	*slash = '/';
	NEED(write_file_atomic(p, text, strlen(text), 0644) == 0);
	free(p);
}

static void make_iso_from(const char *name, const char *label, const char *const *files)
{
	char *root = path_join(fx, "root");
	rm_rf(root);
	NEED(mkdir_p(root, 0755) == 0);
	for (size_t i = 0; files[i]; i += 2)
		add_file(root, files[i], files[i + 1]);
	char *out = fx_path(name);
	NEED(test_sh("xorriso -as mkisofs -quiet -V '%s' -J -r -o '%s' '%s' >/dev/null 2>&1", label, out,
		     root) == 0);
	rm_rf(root);
	free(root);
	free(out);
}

static const char treeinfo_rhel9[] =
    "[header]\ntype = productmd.treeinfo\nversion = 1.2\n\n"
    "[release]\nname = Red Hat Enterprise Linux\nshort = RHEL\nversion = 9.4\n\n"
    "[tree]\narch = x86_64\nplatforms = x86_64,xen\n\n"
    "[images-x86_64]\nkernel = images/pxeboot/vmlinuz\ninitrd = images/pxeboot/initrd.img\n\n"
    "[stage2]\nmainimage = images/install.img\n";

static void build_fixtures(void)
{
	char tmpl[] = "/tmp/hnbuild-isofx-XXXXXX";
	fx = xstrdup(mkdtemp(tmpl));
	const char *ubuntu_amd64[] = {".disk/info",
				      "Ubuntu-Server 24.04 LTS \"Noble Numbat\" - Release amd64 (20240423)\n",
				      "casper/vmlinuz",
				      "KERNEL-UBUNTU",
				      "casper/initrd",
				      "INITRD-UBUNTU",
				      NULL};
	make_iso_from("ubuntu24-amd64.iso", "Ubuntu-Server 24.04 LTS amd64", ubuntu_amd64);
	const char *ubuntu_arm64[] = {
	    ".disk/info",
	    "Ubuntu-Server 24.04.1 LTS \"Noble Numbat\" - Release arm64 (20240827)\n",
	    "casper/vmlinuz",
	    "KERNEL-UBUNTU-ARM",
	    "casper/initrd",
	    "INITRD",
	    NULL};
	make_iso_from("ubuntu24-arm64.iso", "Ubuntu-Server 24.04.1 LTS arm64", ubuntu_arm64);
	const char *rhel9[] = {".treeinfo",
			       treeinfo_rhel9,
			       ".discinfo",
			       "1714000000.0\nRed Hat Enterprise Linux 9.4\nx86_64\n",
			       "images/pxeboot/vmlinuz",
			       "KERNEL-RHEL",
			       "images/pxeboot/initrd.img",
			       "INITRD-RHEL",
			       "images/install.img",
			       "STAGE2",
			       NULL};
	make_iso_from("rhel9-amd64.iso", "RHEL-9-4-0-BaseOS-x86_64", rhel9);
	const char *rhel8_label_only[] = {"images/pxeboot/vmlinuz", "K", "images/pxeboot/initrd.img", "I",
					  NULL};
	make_iso_from("rhel8-arm64.iso", "RHEL-8-10-0-BaseOS-aarch64", rhel8_label_only);
	const char *no_kernel[] = {".disk/info",
				   "Ubuntu-Server 24.04 LTS \"Noble Numbat\" - Release amd64 (20240423)\n",
				   "README", "no kernel here", NULL};
	make_iso_from("ubuntu-no-kernel.iso", "Ubuntu-Server 24.04 LTS amd64", no_kernel);
	const char *data[] = {"README", "just data", NULL};
	make_iso_from("data.iso", "DATA", data);
	char *p = fx_path("ubuntu24-amd64.iso"), *q = fx_path("truncated.iso");
	NEED(test_sh("head -c 40000 %s > %s", p, q) == 0);
	free(p);
	free(q);
	p = fx_path("random.iso");
	NEED(test_sh("head -c 102400 /dev/urandom > %s", p) == 0);
	free(p);
	p = fx_path("tiny.iso");
	NEED(write_file_atomic(p, "not an iso", 10, 0644) == 0);
	free(p);
}

static int inspect(const char *name, struct iso_info *info)
{
	char *p = fx_path(name);
	int r = iso_inspect(p, info);
	free(p);
	return r;
}

START_TEST(inspect_ubuntu)
{
	struct iso_info i;
	ck_assert_int_eq(inspect("ubuntu24-amd64.iso", &i), 0);
	ck_assert_str_eq(i.label, "Ubuntu-Server 24.04 LTS amd64");
	ck_assert_int_eq(i.family, FAMILY_UBUNTU);
	ck_assert_str_eq(i.distribution, "Ubuntu");
	ck_assert_str_eq(i.release, "24.04");
	ck_assert_str_eq(i.arch_name, "amd64");
	ck_assert_int_eq(i.arch, ARCH_AMD64);
	ck_assert_str_eq(i.kernel, "casper/vmlinuz");
	ck_assert_str_eq(i.initrd, "casper/initrd");
	ck_assert_ptr_null(i.stage2);
	ck_assert_uint_gt(i.size, 32768);
	iso_info_free(&i);
	ck_assert_int_eq(inspect("ubuntu24-arm64.iso", &i), 0);
	ck_assert_str_eq(i.release, "24.04.1");
	ck_assert_int_eq(i.arch, ARCH_ARM64);
	ck_assert_int_eq(iso_check_matches(&i, "u.iso", OS_UBUNTU24, ARCH_ARM64), 0);
	iso_info_free(&i);
}
END_TEST

START_TEST(inspect_rhel)
{
	struct iso_info i;
	ck_assert_int_eq(inspect("rhel9-amd64.iso", &i), 0);
	ck_assert_str_eq(i.label, "RHEL-9-4-0-BaseOS-x86_64");
	ck_assert_int_eq(i.family, FAMILY_RHEL);
	ck_assert_str_eq(i.distribution, "Red Hat Enterprise Linux");
	ck_assert_str_eq(i.release, "9.4");
	ck_assert_str_eq(i.arch_name, "x86_64");
	ck_assert_int_eq(i.arch, ARCH_AMD64);
	ck_assert_str_eq(i.kernel, "images/pxeboot/vmlinuz");
	ck_assert_str_eq(i.initrd, "images/pxeboot/initrd.img");
	ck_assert_str_eq(i.stage2, "images/install.img");
	ck_assert_int_eq(iso_check_matches(&i, "r.iso", OS_RHEL9, ARCH_AMD64), 0);
	iso_info_free(&i);
	/* No .treeinfo: the label says RHEL 8.10 aarch64. */
	ck_assert_int_eq(inspect("rhel8-arm64.iso", &i), 0);
	ck_assert_int_eq(i.family, FAMILY_RHEL);
	ck_assert_str_eq(i.release, "8.10");
	ck_assert_int_eq(i.arch, ARCH_ARM64);
	ck_assert_int_eq(iso_check_matches(&i, "r8.iso", OS_RHEL8, ARCH_ARM64), 0);
	iso_info_free(&i);
}
END_TEST

START_TEST(bad_isos_are_exit_3)
{
	struct iso_info i = {0};
	ck_assert_int_lt(inspect("random.iso", &i), 0);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_msg(strstr(err_message(), "random.iso is not an ISO9660 image"), "%s", err_message());
	ck_assert_int_lt(inspect("tiny.iso", &i), 0);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_ptr_nonnull(strstr(err_message(), "tiny.iso is not an ISO9660 image"));
	ck_assert_int_lt(inspect("truncated.iso", &i), 0);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_msg(strstr(err_message(), "truncated.iso is truncated: 40000 of"), "%s", err_message());
	ck_assert_int_lt(inspect("data.iso", &i), 0);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_msg(strstr(err_message(), "(label 'DATA') is neither an Ubuntu"), "%s", err_message());
	ck_assert_int_lt(inspect("ubuntu-no-kernel.iso", &i), 0);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_msg(strstr(err_message(), "has no casper/vmlinuz"), "%s", err_message());
	ck_assert_ptr_null(i.label);
	ck_assert_int_eq(inspect("does-not-exist.iso", &i), -ENOENT);
}
END_TEST

START_TEST(other_os_or_arch)
{
	struct iso_info i;
	ck_assert_int_eq(inspect("ubuntu24-arm64.iso", &i), 0);
	ck_assert_int_lt(iso_check_matches(&i, "x.iso", OS_UBUNTU24, ARCH_AMD64), 0);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_str_eq(err_message(),
			 "ISO x.iso is Ubuntu 24.04.1 arm64 (label 'Ubuntu-Server 24.04.1 LTS arm64') but "
			 "the build asks for --os ubuntu24 --arch amd64");
	ck_assert_int_lt(iso_check_matches(&i, "x.iso", OS_UBUNTU22, ARCH_ARM64), 0);
	ck_assert_int_lt(iso_check_matches(&i, "x.iso", OS_RHEL9, ARCH_ARM64), 0);
	iso_info_free(&i);
	ck_assert_int_eq(inspect("rhel9-amd64.iso", &i), 0);
	ck_assert_int_lt(iso_check_matches(&i, "r.iso", OS_RHEL8, ARCH_AMD64), 0);
	ck_assert_str_eq(
	    err_message(),
	    "ISO r.iso is Red Hat Enterprise Linux 9.4 x86_64 (label 'RHEL-9-4-0-BaseOS-x86_64') "
	    "but the build asks for --os rhel8 --arch amd64");
	ck_assert_int_lt(iso_check_matches(&i, "r.iso", OS_UBUNTU24, ARCH_AMD64), 0);
	iso_info_free(&i);
}
END_TEST

START_TEST(extract_members)
{
	char *dir = test_tmpdir(), *dest = test_path(dir, "vmlinuz"), *iso = fx_path("ubuntu24-amd64.iso");
	ck_assert_int_eq(iso_extract_file(iso, "casper/vmlinuz", dest), 0);
	char *data = NULL;
	size_t len;
	ck_assert_int_eq(read_file(dest, &data, &len), 0);
	ck_assert_str_eq(data, "KERNEL-UBUNTU");
	free(data);
	ck_assert_int_eq(iso_extract_file(iso, "/casper/initrd", dest), 0);
	ck_assert_int_eq(read_file(dest, &data, &len), 0);
	ck_assert_str_eq(data, "INITRD-UBUNTU");
	free(data);
	ck_assert_int_eq(iso_extract_file(iso, "images/pxeboot/vmlinuz", dest), -ENOENT);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_ptr_nonnull(strstr(err_message(), "has no images/pxeboot/vmlinuz"));
	rm_rf(dir);
	free(dir);
	free(dest);
	free(iso);
}
END_TEST

static struct build_spec spec_for(const char *iso, enum os_id os, enum arch_id arch, enum checksum_algo algo,
				  const char *hex)
{
	struct build_spec s;
	memset(&s, 0, sizeof(s));
	s.os = os;
	s.arch = arch;
	s.iso = (char *)iso;
	s.iso_checksum.algo = algo;
	s.iso_checksum.hex = (char *)hex;
	return s;
}

static void sha256_of(const char *path, char hex[static DIGEST_HEX_MAX])
{
	ck_assert_int_eq(digest_file(path, CHECKSUM_SHA256, NULL, hex), 0);
}

START_TEST(acquire_local)
{
	char *iso = fx_path("ubuntu24-amd64.iso");
	char hex[DIGEST_HEX_MAX];
	sha256_of(iso, hex);
	struct iso_image img;
	struct build_spec s = spec_for(iso, OS_UBUNTU24, ARCH_AMD64, CHECKSUM_SHA256, hex);
	ck_assert_int_eq(iso_acquire(&s, "/nonexistent-cache-unused", &img), 0);
	ck_assert_str_eq(img.path, iso);
	ck_assert_str_eq(img.digest, hex);
	ck_assert(!img.downloaded);
	ck_assert_str_eq(img.info.release, "24.04");
	iso_image_free(&img);

	/* Wrong digest: exit 3, nothing returned. */
	struct build_spec bad = spec_for(iso, OS_UBUNTU24, ARCH_AMD64, CHECKSUM_SHA256,
					 "0000000000000000000000000000000000000000000000000000000000000000");
	ck_assert_int_eq(iso_acquire(&bad, NULL, &img), -EBADMSG);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_ptr_nonnull(strstr(err_message(), "Checksum mismatch for"));

	/* file: reference to a local SHA256SUMS, picked by basename. */
	char *dir = test_tmpdir(), *sums = test_path(dir, "SHA256SUMS");
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "%s *other.iso\n%s *ubuntu24-amd64.iso\n",
		"1111111111111111111111111111111111111111111111111111111111111111", hex);
	test_write(sums, sb_str(&sb));
	sb_release(&sb);
	struct build_spec ref = spec_for(iso, OS_UBUNTU24, ARCH_AMD64, CHECKSUM_FILE, NULL);
	ref.iso_checksum.file_ref = sums;
	ck_assert_int_eq(iso_acquire(&ref, NULL, &img), 0);
	ck_assert_str_eq(img.digest, hex);
	iso_image_free(&img);

	/* No checksum: allowed, with a warning, and unverified. */
	struct build_spec none = spec_for(iso, OS_UBUNTU24, ARCH_AMD64, CHECKSUM_NONE, NULL);
	ck_assert_int_eq(iso_acquire(&none, NULL, &img), 0);
	ck_assert_ptr_null(img.digest);
	iso_image_free(&img);

	/* Right digest, wrong target: exit 3 naming both. */
	struct build_spec arm = spec_for(iso, OS_UBUNTU24, ARCH_ARM64, CHECKSUM_SHA256, hex);
	ck_assert_int_lt(iso_acquire(&arm, NULL, &img), 0);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_ptr_nonnull(strstr(err_message(), "but the build asks for --os ubuntu24 --arch arm64"));

	/* A missing file is a usage error naming it. */
	struct build_spec missing =
	    spec_for("/nonexistent/x.iso", OS_UBUNTU24, ARCH_AMD64, CHECKSUM_NONE, NULL);
	ck_assert_int_eq(iso_acquire(&missing, NULL, &img), -EINVAL);
	ck_assert_int_eq(err_exit_code(), 2);
	ck_assert_ptr_nonnull(strstr(err_message(), "/nonexistent/x.iso"));
	rm_rf(dir);
	free(sums);
	free(dir);
	free(iso);
}
END_TEST

static struct fetch_options quick(void)
{
	struct fetch_options o;
	fetch_options_init(&o);
	o.retries = 1;
	o.backoff_ms = 10;
	o.connect_timeout = 5;
	return o;
}

static size_t count_files(const char *dir, const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "ls %s 2>/dev/null | grep -c '%s$'", dir, suffix);
	FILE *f = popen(sb_str(&sb), "r");
	unsigned n = 0;
	if (fscanf(f, "%u", &n) != 1)
		n = 0;
	pclose(f);
	sb_release(&sb);
	return n;
}

START_TEST(acquire_url_cache_and_bad_digest)
{
	char *iso = fx_path("rhel9-amd64.iso");
	char *bytes = NULL;
	size_t len = 0;
	ck_assert_int_eq(read_file(iso, &bytes, &len), 0);
	char hex[DIGEST_HEX_MAX];
	sha256_of(iso, hex);
	struct httpd h;
	httpd_start(&h, bytes, len);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/rhel-9.4-x86_64-dvd.iso", h.port);
	char *cache = test_tmpdir(), *iso_dir = path_join(cache, "iso");
	struct fetch_options o = quick();

	/* Wrong digest first: exit 3, and the bad download is not kept. */
	struct build_spec bad = spec_for(url, OS_RHEL9, ARCH_AMD64, CHECKSUM_SHA256,
					 "2222222222222222222222222222222222222222222222222222222222222222");
	struct iso_image img;
	ck_assert_int_eq(iso_acquire_ex(&bad, cache, &o, &img), -EBADMSG);
	ck_assert_int_eq(err_exit_code(), 3);
	ck_assert_msg(strstr(err_message(), url), "%s", err_message());
	ck_assert_uint_eq(count_files(iso_dir, ".iso"), 0);
	ck_assert_uint_eq(count_files(iso_dir, ".part"), 0);

	struct build_spec s = spec_for(url, OS_RHEL9, ARCH_AMD64, CHECKSUM_SHA256, hex);
	ck_assert_int_eq(iso_acquire_ex(&s, cache, &o, &img), 0);
	ck_assert(img.downloaded);
	ck_assert_ptr_nonnull(strstr(img.path, "/iso/sha256-"));
	ck_assert_str_eq(img.info.release, "9.4");
	iso_image_free(&img);
	int requests = h.requests;
	httpd_stop(&h);

	/* The server is gone: the cached copy is used (and re-verified). */
	ck_assert_int_eq(iso_acquire_ex(&s, cache, &o, &img), 0);
	ck_assert(!img.downloaded);
	iso_image_free(&img);
	ck_assert_int_eq(requests, 2);

	/* A corrupted cache entry is detected and, with no server, fails. */
	char *cached = NULL;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "%s/sha256-%s.iso", iso_dir, hex);
	cached = sb_detach(&sb, NULL);
	ck_assert_int_eq(test_sh("printf X | dd of=%s bs=1 seek=40000 conv=notrunc 2>/dev/null", cached), 0);
	ck_assert_int_lt(iso_acquire_ex(&s, cache, &o, &img), 0);
	ck_assert_uint_eq(count_files(iso_dir, ".iso"), 0);

	/* Unreachable URL: the error names it. */
	struct build_spec gone =
	    spec_for("https://127.0.0.1:1/x.iso", OS_RHEL9, ARCH_AMD64, CHECKSUM_SHA256, hex);
	ck_assert_int_lt(iso_acquire_ex(&gone, cache, &o, &img), 0);
	ck_assert_msg(strstr(err_message(), "https://127.0.0.1:1/x.iso"), "%s", err_message());
	ck_assert_int_eq(err_exit_code(), 1);

	/* No checksum over plain http: refused (nothing would verify it). */
	struct build_spec unverified = spec_for(url, OS_RHEL9, ARCH_AMD64, CHECKSUM_NONE, NULL);
	ck_assert_int_eq(iso_acquire_ex(&unverified, cache, &o, &img), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "plain http"));

	rm_rf(cache);
	free(cached);
	free(cache);
	free(iso_dir);
	free(bytes);
	free(iso);
}
END_TEST

START_TEST(concurrent_builds_download_once)
{
	char *iso = fx_path("ubuntu24-amd64.iso");
	char *bytes = NULL;
	size_t len = 0;
	ck_assert_int_eq(read_file(iso, &bytes, &len), 0);
	char hex[DIGEST_HEX_MAX];
	sha256_of(iso, hex);
	struct httpd h;
	httpd_start(&h, bytes, len);
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ubuntu.iso", h.port);
	char *cache = test_tmpdir();
	pid_t kids[3];
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			struct fetch_options o = quick();
			struct build_spec s = spec_for(url, OS_UBUNTU24, ARCH_AMD64, CHECKSUM_SHA256, hex);
			struct iso_image img;
			int r = iso_acquire_ex(&s, cache, &o, &img);
			_exit(r == 0 ? 0 : 1);
		}
	}
	for (int k = 0; k < 3; k++) {
		int st = 0;
		waitpid(kids[k], &st, 0);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(h.requests, 1);
	ck_assert_uint_eq(h.body_bytes_sent, len);
	httpd_stop(&h);
	rm_rf(cache);
	free(cache);
	free(bytes);
	free(iso);
}
END_TEST

START_TEST(default_cache_dir)
{
	setenv("XDG_CACHE_HOME", "/var/tmp/xdg", 1);
	char *d = iso_default_cache_dir();
	ck_assert_str_eq(d, "/var/tmp/xdg/hnbuild");
	free(d);
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/home/u", 1);
	d = iso_default_cache_dir();
	ck_assert_str_eq(d, "/home/u/.cache/hnbuild");
	free(d);
}
END_TEST

int main(void)
{
	build_fixtures();
	Suite *s = suite_create("iso");
	TCase *tc = tcase_create("iso");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, inspect_ubuntu);
	tcase_add_test(tc, inspect_rhel);
	tcase_add_test(tc, bad_isos_are_exit_3);
	tcase_add_test(tc, other_os_or_arch);
	tcase_add_test(tc, extract_members);
	tcase_add_test(tc, acquire_local);
	tcase_add_test(tc, acquire_url_cache_and_bad_digest);
	tcase_add_test(tc, concurrent_builds_download_once);
	tcase_add_test(tc, default_cache_dir);
	suite_add_tcase(s, tc);
	int failed = unit_run(s);
	rm_rf(fx);
	free(fx);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
