/* ova.c — builds the OVA: streamOptimized VMDK first (to a temporary file
 * beside the output, so its exact size and digest are known), then the OVF,
 * the manifest and the optional certificate, then the tar in vSphere's
 * order: .ovf, .mf, .cert, disk. */
#include "ova.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "export.h"
#include "format.h"
#include "log.h"
#include "ovf.h"
#include "strbuf.h"
#include "util.h"
#include "vmdk.h"

#define GNUTAR_THRESHOLD (UINT64_C(8) << 30)

char *ova_manifest(const struct ova_digest *d, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "SHA256(%s)= %s\n", d[i].name, d[i].sha256);
	return sb_detach(&sb, NULL);
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0;
}

static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "not a PEM file";
}

int ova_sign(const void *mf, size_t mf_len, const char *mf_name, const char *key_path, const char *cert_path,
	     char **cert, size_t *cert_len)
{
	_cleanup_free_ char *cert_pem = NULL;
	size_t cert_pem_len = 0;
	int r = read_file(cert_path, &cert_pem, &cert_pem_len);
	if (r < 0)
		return err_usage("--cert %s: cannot read: %s", cert_path, strerror(-r));
	_cleanup_free_ char *key_pem = NULL;
	size_t key_pem_len = 0;
	r = read_file(key_path, &key_pem, &key_pem_len);
	if (r < 0)
		return err_usage("--sign %s: cannot read: %s", key_path, strerror(-r));

	ERR_clear_error();
	BIO *kb = BIO_new_mem_buf(key_pem, (int)key_pem_len);
	EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL) : NULL;
	BIO_free(kb);
	OPENSSL_cleanse(key_pem, key_pem_len);
	if (!key)
		return err_usage("--sign %s: not a usable unencrypted PEM private key (%s)", key_path, ssl_reason());
	ERR_clear_error();
	BIO *cb = BIO_new_mem_buf(cert_pem, (int)cert_pem_len);
	X509 *x = cb ? PEM_read_bio_X509(cb, NULL, no_passphrase, NULL) : NULL;
	BIO_free(cb);
	if (!x) {
		EVP_PKEY_free(key);
		return err_usage("--cert %s: not a PEM certificate (%s)", cert_path, ssl_reason());
	}
	if (X509_check_private_key(x, key) != 1) {
		X509_free(x);
		EVP_PKEY_free(key);
		return err_usage("--sign %s does not match the certificate --cert %s", key_path, cert_path);
	}
	X509_free(x);

	unsigned char *sig = NULL;
	size_t sig_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	r = -EIO;
	if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(ctx, NULL, &sig_len, mf, mf_len) == 1 && (sig = malloc(sig_len)) &&
	    EVP_DigestSign(ctx, sig, &sig_len, mf, mf_len) == 1)
		r = 0;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	if (r < 0) {
		free(sig);
		return err_fail(r, "Signing the OVA manifest with %s failed (%s)", key_path, ssl_reason());
	}
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "SHA256(%s)= ", mf_name);
	for (size_t i = 0; i < sig_len; i++)
		sb_addf(&sb, "%02x", sig[i]);
	sb_addc(&sb, '\n');
	free(sig);
	sb_add(&sb, cert_pem, cert_pem_len);
	if (cert_pem_len && cert_pem[cert_pem_len - 1] != '\n')
		sb_addc(&sb, '\n');
	*cert = sb_detach(&sb, cert_len);
	return 0;
}

time_t ova_mtime(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	unsigned long long v;
	if (s && parse_uint(s, 0, INT64_MAX, &v) == 0)
		return (time_t)v;
	return time(NULL);
}

struct tar_sink {
	struct outfile *out;
	int error;
};

static la_ssize_t tar_write_cb(struct archive *a, void *client, const void *buf, size_t len)
{
	struct tar_sink *s = client;
	int r = outfile_write(s->out, buf, len);
	if (r < 0) {
		s->error = r;
		archive_set_error(a, -r, "%s", strerror(-r));
		return -1;
	}
	return (la_ssize_t)len;
}

static int copy_member(struct archive *a, const struct ova_member *m, struct tar_sink *sink)
{
	_cleanup_close_ int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_fail_errno(-errno, "Cannot open %s", m->path);
	size_t bufsize = 1 << 20;
	_cleanup_free_ char *buf = malloc(bufsize);
	uint64_t left = m->size;
	while (left > 0) {
		ssize_t n = read(fd, buf, left < bufsize ? (size_t)left : bufsize);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_fail_errno(-errno, "Failed to read %s", m->path);
		if (n == 0)
			return err_fail(-EIO, "%s is shorter than its declared %llu bytes", m->path,
					(unsigned long long)m->size);
		if (archive_write_data(a, buf, (size_t)n) != n)
			return sink->error ? sink->error
					   : err_fail(-EIO, "Writing the OVA failed: %s", archive_error_string(a));
		left -= (uint64_t)n;
	}
	return 0;
}

bool ova_needs_gnutar(const struct ova_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].size >= GNUTAR_THRESHOLD)
			return true; /* ustar cannot hold it; vSphere reads GNU tar (not pax) */
	return false;
}

int ova_write_tar(struct outfile *out, const struct ova_member *m, size_t n, time_t mtime)
{
	for (size_t i = 0; i < n; i++)
		if (strchr(m[i].name, '/') || !strcmp(m[i].name, ".") || !strcmp(m[i].name, ".."))
			return err_fail(-EINVAL, "OVA member \"%s\" must be a flat name", m[i].name);
	bool gnu = ova_needs_gnutar(m, n);
	struct archive *a = archive_write_new();
	if (!a)
		return err_fail(-ENOMEM, "Out of memory");
	struct tar_sink sink = {.out = out};
	int r = 0;
	if ((gnu ? archive_write_set_format_gnutar(a) : archive_write_set_format_ustar(a)) != ARCHIVE_OK ||
	    archive_write_open(a, &sink, NULL, tar_write_cb, NULL) != ARCHIVE_OK)
		r = err_fail(-EIO, "Cannot start the OVA archive: %s", archive_error_string(a));
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_size(e, (la_int64_t)m[i].size);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, mtime, 0);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_uname(e, "root");
		archive_entry_set_gname(e, "root");
		if (archive_write_header(a, e) != ARCHIVE_OK)
			r = sink.error ? sink.error
				       : err_fail(-EIO, "Cannot add %s to the OVA: %s", m[i].name, archive_error_string(a));
		else if (m[i].data) {
			if (archive_write_data(a, m[i].data, (size_t)m[i].size) != (la_ssize_t)m[i].size)
				r = sink.error ? sink.error
					       : err_fail(-EIO, "Writing the OVA failed: %s", archive_error_string(a));
		} else {
			r = copy_member(a, &m[i], &sink);
		}
		archive_entry_free(e);
	}
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = sink.error ? sink.error : err_fail(-EIO, "Finishing the OVA failed: %s", archive_error_string(a));
	archive_write_free(a);
	return r;
}

static int ova_format_write(const struct export_source *src, const struct export_target *dst,
			    struct export_output *out)
{
	const struct export_request *req = dst->req;
	_cleanup_free_ char *ovf_name = NULL, *mf_name = NULL, *cert_name = NULL, *vmdk_name = NULL,
			    *vmdk_path = NULL, *ova_path = NULL;
	if (asprintf(&ovf_name, "%s.ovf", dst->base_name) < 0 || asprintf(&mf_name, "%s.mf", dst->base_name) < 0 ||
	    asprintf(&cert_name, "%s.cert", dst->base_name) < 0 ||
	    asprintf(&vmdk_name, "%s-disk1.vmdk", dst->base_name) < 0 ||
	    asprintf(&out->name, "%s.ova", dst->base_name) < 0)
		return err_fail(-ENOMEM, "Out of memory");
	vmdk_path = path_join(dst->dir, vmdk_name);
	ova_path = path_join(dst->dir, out->name);

	enum ovf_controller ctrl = OVF_CTRL_PVSCSI;
	if (req->controller && ovf_controller_lookup(req->controller, &ctrl) < 0)
		return err_usage("Disk controller \"%s\" is not one of pvscsi, lsilogic, sata, nvme", req->controller);
	char vmx[16];
	if (ovf_normalize_vmx(req->vmx_version, vmx) < 0)
		return err_usage("--vmx-version: \"%s\" is not a VMware hardware version (vmx-13 ... vmx-21)",
				 req->vmx_version);
	bool sign = !str_empty(req->sign_key) || !str_empty(req->sign_cert);
	if (sign && (str_empty(req->sign_key) || str_empty(req->sign_cert)))
		return err_usage("--sign KEY.pem and --cert CERT.pem go together");

	/* 1. the disk, to a temporary file in the output directory */
	struct outfile vmdk _cleanup_outfile_ = {.fd = -1};
	int r = outfile_open(&vmdk, vmdk_path);
	if (r < 0)
		return r;
	/* ddb.adapterType only knows ide/buslogic/lsilogic/legacyESX; the OVF
	 * names the real controller. */
	struct vmdk_options vo = {
		.extent_name = vmdk_name,
		.adapter_type = "lsilogic",
		.level = req->compression_level,
		.threads = req->threads,
		.progress_stage = "export",
	};
	struct vmdk_stats st;
	r = vmdk_write(src->raw_fd, src->virtual_size, &vmdk, &vo, &st);
	if (r == 0)
		r = outfile_finish(&vmdk);
	if (r < 0)
		return r;
	log_debug("VMDK: %llu grains, %llu bytes", (unsigned long long)st.grains_written,
		  (unsigned long long)st.file_size);

	/* 2. the descriptor, manifest and certificate */
	const struct os_info *os = os_by_id(req->os);
	_cleanup_free_ char *full_version = NULL;
	if (asprintf(&full_version, "%s, Kubernetes %s, nodeadm %s, hnbuild %s", os ? os->pretty : "",
		     req->k8s_version ? req->k8s_version : "unknown",
		     req->nodeadm_version ? req->nodeadm_version : "unknown", HNBUILD_VERSION) < 0)
		return -ENOMEM;
	struct ovf_params op = {
		.vm_name = dst->base_name,
		.disk_href = vmdk_name,
		.disk_file_size = vmdk.pos,
		.capacity = (src->virtual_size + 511) / 512 * 512,
		.os = req->os,
		.arch = req->arch,
		.os_type = req->guest_id,
		.vmx_version = vmx,
		.cpus = req->cpus ? req->cpus : 2,
		.memory_mib = req->memory_mib ? req->memory_mib : 4096,
		.network = req->network_name,
		.controller = ctrl,
		.uefi = req->firmware == FIRMWARE_UEFI,
		.version = req->k8s_version,
		.full_version = full_version,
	};
	_cleanup_free_ char *ovf = NULL;
	size_t ovf_len = 0;
	r = ovf_render(&op, &ovf, &ovf_len);
	if (r < 0)
		return r;
	unsigned char md[32];
	unsigned int mdlen = 0;
	char ovf_hex[65];
	EVP_Digest(ovf, ovf_len, md, &mdlen, EVP_sha256(), NULL);
	sha256_hex(md, ovf_hex);
	const struct ova_digest digests[] = {{ovf_name, ovf_hex}, {vmdk_name, vmdk.sha256}};
	_cleanup_free_ char *mf = ova_manifest(digests, ARRAY_SIZE(digests));
	_cleanup_free_ char *cert = NULL;
	size_t cert_len = 0;
	if (sign) {
		r = ova_sign(mf, strlen(mf), mf_name, req->sign_key, req->sign_cert, &cert, &cert_len);
		if (r < 0)
			return r;
	}

	/* 3. the archive */
	r = outfile_open(&out->file, ova_path);
	if (r < 0)
		return r;
	struct ova_member members[4];
	size_t n = 0;
	members[n++] = (struct ova_member){.name = ovf_name, .data = ovf, .size = ovf_len};
	members[n++] = (struct ova_member){.name = mf_name, .data = mf, .size = strlen(mf)};
	if (cert)
		members[n++] = (struct ova_member){.name = cert_name, .data = cert, .size = cert_len};
	members[n++] = (struct ova_member){.name = vmdk_name, .path = vmdk.tmp_path, .size = vmdk.pos};
	r = ova_write_tar(&out->file, members, n, ova_mtime());
	if (r == 0)
		r = outfile_finish(&out->file);
	/* the temporary VMDK goes away with vmdk's cleanup */
	return r;
}

const struct format_ops format_ova_ops = {
	.name = "ova",
	.ext = "ova",
	.bit = FORMAT_OVA,
	.needs_raw = true,
	.write = ova_format_write,
};
