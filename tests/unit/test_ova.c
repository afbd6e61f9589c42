/* test_ova.c — the OVA: tar order and ustar format, manifest lines and
 * digests, the OVF inside (schema-valid, sizes right), the VMDK inside read
 * back by qemu-img, signing with OpenSSL, and bad signing keys. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dirent.h>
#include <openssl/evp.h>

#include "formats_util.h"
#include "err.h"
#include "log.h"
#include "export.h"
#include "ova.h"
#include "outfile.h"
#include "cleanup.h"
#include "util.h"
#include "unit_run.h"

#define BASE "eks-hybrid-ubuntu24-amd64-k8s1.31"

struct member {
	char name[256];
	char *data;
	size_t len;
};

/* Read every member of the OVA; check the raw ustar headers too. */
static size_t read_ova(const char *path, struct member *m, size_t max, int *format)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 1 << 16), ARCHIVE_OK);
	struct archive_entry *e;
	size_t n = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		ck_assert_uint_lt(n, max);
		snprintf(m[n].name, sizeof(m[n].name), "%s", archive_entry_pathname(e));
		m[n].len = (size_t)archive_entry_size(e);
		m[n].data = malloc(m[n].len + 1);
		ck_assert_int_eq(archive_read_data(a, m[n].data, m[n].len), (la_ssize_t)m[n].len);
		m[n].data[m[n].len] = '\0';
		ck_assert_int_eq(archive_entry_filetype(e), AE_IFREG);
		*format = archive_format(a);
		n++;
	}
	archive_read_free(a);
	/* the first header is a POSIX ustar header */
	char *raw = NULL;
	size_t rlen;
	ck_assert_int_eq(read_file(path, &raw, &rlen), 0);
	ck_assert_uint_eq(rlen % 512, 0);
	ck_assert_int_eq(memcmp(raw + 257, "ustar\0" "00", 8), 0);
	ck_assert_str_eq(raw, BASE ".ovf");
	free(raw);
	return n;
}

static void sha_hex(const void *d, size_t n, char hex[65])
{
	unsigned char md[32];
	unsigned int l;
	EVP_Digest(d, n, md, &l, EVP_sha256(), NULL);
	sha256_hex(md, hex);
}

static char *make_disk(const char *dir)
{
	char *src = fu_path(dir, "disk.raw");
	fu_sparse(src, 64 << 20);
	fu_pattern(src, 0, 1 << 20, 1);
	fu_pattern(src, 40 << 20, 3 << 20, 2);
	return src;
}

static struct export_request request(const char *src, const char *out)
{
	struct export_request r = {
		.source_path = src,
		.formats = FORMAT_OVA,
		.output_dir = out,
		.base_name = BASE,
		.os = OS_UBUNTU24,
		.arch = ARCH_AMD64,
		.firmware = FIRMWARE_UEFI,
		.cpus = 2,
		.memory_mib = 4096,
		.k8s_version = "1.31",
		.nodeadm_version = "v1.0.6",
	};
	return r;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

START_TEST(ova_layout_and_manifest)
{
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	char *d = fu_mkdtemp(), *src = make_disk(d), *out = fu_path(d, "out");
	struct export_request req = request(src, out);
	struct export_result res;
	ck_assert_msg(export_all(&req, &res) == 0, "%s", err_message());
	ck_assert_uint_eq(res.n_files, 1);
	ck_assert_str_eq(res.files[0].name, BASE ".ova");
	char *ova = fu_path(out, BASE ".ova");
	char hex[65];
	uint64_t size;
	ck_assert_int_eq(sha256_file(ova, hex, &size), 0);
	ck_assert_str_eq(hex, res.files[0].sha256);
	ck_assert_uint_eq(size, res.files[0].size);
	/* only the OVA, SHA256SUMS and manifest.json: no temporary VMDK left */
	ck_assert_int_eq(count_entries(out), 3);

	struct member m[8];
	int format = 0;
	size_t n = read_ova(ova, m, 8, &format);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(format, ARCHIVE_FORMAT_TAR_USTAR);
	ck_assert_str_eq(m[0].name, BASE ".ovf");
	ck_assert_str_eq(m[1].name, BASE ".mf");
	ck_assert_str_eq(m[2].name, BASE "-disk1.vmdk");
	/* manifest: exactly SHA256(name)= hex, for the .ovf and the disk */
	char ovf_hex[65], vmdk_hex[65], want[1024];
	sha_hex(m[0].data, m[0].len, ovf_hex);
	sha_hex(m[2].data, m[2].len, vmdk_hex);
	snprintf(want, sizeof(want), "SHA256(%s)= %s\nSHA256(%s)= %s\n", m[0].name, ovf_hex, m[2].name, vmdk_hex);
	ck_assert_str_eq(m[1].data, want);
	/* the OVF names the disk with its exact size in the tar */
	char sz[512];
	snprintf(sz, sizeof(sz), "ovf:href=\"%s\" ovf:id=\"file1\" ovf:size=\"%zu\"", m[2].name, m[2].len);
	ck_assert_ptr_nonnull(strstr(m[0].data, sz));
	ck_assert_ptr_nonnull(strstr(m[0].data, "ovf:capacity=\"67108864\""));
	ck_assert_ptr_nonnull(strstr(m[0].data, "vmw:value=\"efi\""));
	/* schema-valid, and the disk reads back equal to the source */
	char *ovf = fu_path(d, "x.ovf"), *vmdk = fu_path(d, "x.vmdk"), buf[8192];
	ck_assert_int_eq(write_file_atomic(ovf, m[0].data, m[0].len, 0644), 0);
	ck_assert_int_eq(write_file_atomic(vmdk, m[2].data, m[2].len, 0644), 0);
	char *xl[] = {"xmllint", "--noout", "--nonet", "--schema", "tests/schemas/ovf/dsp8023_1.1.1.xsd", ovf,
		      NULL};
	ck_assert_msg(fu_run(xl, buf, sizeof(buf)) == 0, "%s", buf);
	ck_assert_msg(fu_qemu_compare(src, "raw", vmdk, "vmdk", buf, sizeof(buf)) == 0, "%s", buf);
	/* the mtime comes from SOURCE_DATE_EPOCH: the same input gives the same OVA */
	export_result_free(&res);
	ck_assert_int_eq(export_all(&req, &res), 0);
	ck_assert_str_eq(res.files[0].sha256, hex);
	export_result_free(&res);
	for (size_t i = 0; i < n; i++)
		free(m[i].data);
	fu_rm_rf(d);
	free(d), free(src), free(out), free(ova), free(ovf), free(vmdk);
	unsetenv("SOURCE_DATE_EPOCH");
}
END_TEST

static void make_key(const char *dir, const char *stem)
{
	char key[512], crt[512];
	snprintf(key, sizeof(key), "%s/%s.key", dir, stem);
	snprintf(crt, sizeof(crt), "%s/%s.pem", dir, stem);
	char *argv[] = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
			"-days", "2", "-subj", "/CN=hnbuild test", NULL};
	char buf[4096];
	ck_assert_msg(fu_run(argv, buf, sizeof(buf)) == 0, "%s", buf);
}

START_TEST(ova_signed)
{
	char *d = fu_mkdtemp(), *src = make_disk(d), *out = fu_path(d, "out");
	make_key(d, "sign");
	char *key = fu_path(d, "sign.key"), *crt = fu_path(d, "sign.pem");
	struct export_request req = request(src, out);
	req.sign_key = key;
	req.sign_cert = crt;
	struct export_result res;
	ck_assert_msg(export_all(&req, &res) == 0, "%s", err_message());
	char *ova = fu_path(out, BASE ".ova");
	struct member m[8];
	int format;
	size_t n = read_ova(ova, m, 8, &format);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(m[1].name, BASE ".mf");
	ck_assert_str_eq(m[2].name, BASE ".cert");
	ck_assert_str_eq(m[3].name, BASE "-disk1.vmdk");
	/* first line: SHA256(<name>.mf)= <hex signature>, then the certificate */
	const char *prefix = "SHA256(" BASE ".mf)= ";
	ck_assert_int_eq(strncmp(m[2].data, prefix, strlen(prefix)), 0);
	char *nl = strchr(m[2].data, '\n');
	ck_assert_ptr_nonnull(nl);
	char *pem = NULL;
	size_t pem_len;
	ck_assert_int_eq(read_file(crt, &pem, &pem_len), 0);
	ck_assert_str_eq(nl + 1, pem);
	size_t hexlen = (size_t)(nl - m[2].data) - strlen(prefix);
	ck_assert_uint_eq(hexlen, 512); /* RSA-2048 */
	unsigned char sig[256];
	for (size_t i = 0; i < 256; i++)
		ck_assert_int_eq(sscanf(m[2].data + strlen(prefix) + 2 * i, "%2hhx", &sig[i]), 1);
	char *sigf = fu_path(d, "sig.bin"), *mf = fu_path(d, "x.mf"), *pub = fu_path(d, "pub.pem"), buf[4096];
	ck_assert_int_eq(write_file_atomic(sigf, sig, sizeof(sig), 0644), 0);
	ck_assert_int_eq(write_file_atomic(mf, m[1].data, m[1].len, 0644), 0);
	char *px[] = {"openssl", "x509", "-pubkey", "-noout", "-in", crt, "-out", pub, NULL};
	ck_assert_int_eq(fu_run(px, buf, sizeof(buf)), 0);
	char *vf[] = {"openssl", "dgst", "-sha256", "-verify", pub, "-signature", sigf, mf, NULL};
	ck_assert_msg(fu_run(vf, buf, sizeof(buf)) == 0, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "Verified OK"));
	/* a changed manifest no longer verifies (the check can fail) */
	m[1].data[0] = 'X';
	ck_assert_int_eq(write_file_atomic(mf, m[1].data, m[1].len, 0644), 0);
	ck_assert_int_ne(fu_run(vf, buf, sizeof(buf)), 0);
	export_result_free(&res);
	for (size_t i = 0; i < n; i++)
		free(m[i].data);
	free(pem);
	fu_rm_rf(d);
	free(d), free(src), free(out), free(key), free(crt), free(ova), free(sigf), free(mf), free(pub);
}
END_TEST

START_TEST(bad_signing_key)
{
	char *d = fu_mkdtemp(), *src = make_disk(d), *out = fu_path(d, "out");
	make_key(d, "a");
	make_key(d, "b");
	char *junk = fu_path(d, "junk.key"), *akey = fu_path(d, "a.key"), *bcrt = fu_path(d, "b.pem"),
	     *acrt = fu_path(d, "a.pem"), *missing = fu_path(d, "missing.key");
	ck_assert_int_eq(write_file_atomic(junk, "not a key\n", 10, 0600), 0);
	ck_assert_int_eq(mkdir_p(out, 0755), 0);
	struct {
		const char *key, *cert, *msg;
	} cases[] = {
		{junk, acrt, "--sign"},
		{missing, acrt, "--sign"},
		{akey, bcrt, "does not match"},
		{akey, junk, "--cert"},
		{akey, NULL, "go together"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct export_request req = request(src, out);
		req.sign_key = cases[i].key;
		req.sign_cert = cases[i].cert;
		struct export_result res;
		ck_assert_int_lt(export_all(&req, &res), 0);
		ck_assert_msg(strstr(err_message(), cases[i].msg), "case %zu: %s", i, err_message());
		ck_assert_int_eq(err_exit_code(), EXIT_USAGE);
		/* nothing left behind: no OVA, no temporary VMDK */
		ck_assert_int_eq(count_entries(out), 0);
	}
	fu_rm_rf(d);
	free(d), free(src), free(out), free(junk), free(akey), free(bcrt), free(acrt), free(missing);
}
END_TEST

START_TEST(manifest_and_tar_units)
{
	const struct ova_digest dg[] = {{"a.ovf", "00ff"}, {"a-disk1.vmdk", "abcd"}};
	char *mf = ova_manifest(dg, 2);
	ck_assert_str_eq(mf, "SHA256(a.ovf)= 00ff\nSHA256(a-disk1.vmdk)= abcd\n");
	free(mf);
	char *d = fu_mkdtemp(), *p = fu_path(d, "t.tar");
	struct outfile o;
	ck_assert_int_eq(outfile_open(&o, p), 0);
	const struct ova_member bad[] = {{.name = "dir/x", .data = "x", .size = 1}};
	ck_assert_int_lt(ova_write_tar(&o, bad, 1, 0), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "flat name"));
	outfile_abort(&o);
	ck_assert_int_eq(count_entries(d), 0);
	/* ustar up to 8 GiB - 1 per member; GNU tar from 8 GiB on */
	struct ova_member big[] = {{.name = "a.ovf", .size = 100}, {.name = "a.vmdk", .size = (8ull << 30) - 1}};
	ck_assert(!ova_needs_gnutar(big, 2));
	big[1].size = 8ull << 30;
	ck_assert(ova_needs_gnutar(big, 2));
	/* a small archive: ustar magic, exact sizes, zero padding to 10 KiB records */
	ck_assert_int_eq(outfile_open(&o, p), 0);
	const struct ova_member two[] = {{.name = "a.ovf", .data = "<x/>", .size = 4},
					 {.name = "a.mf", .data = "m\n", .size = 2}};
	ck_assert_int_eq(ova_write_tar(&o, two, 2, 1700000000), 0);
	ck_assert_int_eq(outfile_finish(&o), 0);
	ck_assert_int_eq(outfile_commit(&o), 0);
	outfile_abort(&o);
	char *t = NULL;
	size_t tlen;
	ck_assert_int_eq(read_file(p, &t, &tlen), 0);
	ck_assert_uint_eq(tlen % 10240, 0);
	ck_assert_str_eq(t, "a.ovf");
	ck_assert_int_eq(memcmp(t + 257, "ustar\0" "00", 8), 0);
	ck_assert_int_eq(memcmp(t + 124, "00000000004", 11), 0); /* size, octal */
	ck_assert_int_eq(memcmp(t + 136, "14524770400", 11), 0); /* mtime 1700000000, octal */
	ck_assert_int_eq(memcmp(t + 512, "<x/>", 4), 0);
	ck_assert_str_eq(t + 1024, "a.mf");
	ck_assert_int_eq(memcmp(t + 1536, "m\n", 2), 0);
	free(t);
	fu_rm_rf(d);
	free(d), free(p);
}
END_TEST

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, -1);
	Suite *s = suite_create("ova");
	TCase *tc = tcase_create("ova");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, ova_layout_and_manifest);
	tcase_add_test(tc, ova_signed);
	tcase_add_test(tc, bad_signing_key);
	tcase_add_test(tc, manifest_and_tar_units);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
