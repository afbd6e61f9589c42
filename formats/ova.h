/* ova.h — OVA packaging: the manifest (SHA256(name)= hex), the optional
 * signature certificate, and the ustar archive (.ovf, .mf, .cert, disks). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "outfile.h"

struct ova_member {
	const char *name;          /* flat name inside the OVA */
	const void *data;          /* in-memory content, or */
	const char *path;          /* a file to copy */
	uint64_t size;             /* exact size */
};

struct ova_digest {
	const char *name;
	const char *sha256;        /* lowercase hex */
};

/* "SHA256(<name>)= <hex>\n" for each entry (caller frees). */
char *ova_manifest(const struct ova_digest *d, size_t n);
/* Sign the .mf bytes (RSA PKCS#1 v1.5 over SHA-256, or the key's own
 * scheme) and build the .cert: "SHA256(<mf_name>)= <hex signature>\n"
 * followed by the PEM certificate file. Errors name the bad file. */
int ova_sign(const void *mf, size_t mf_len, const char *mf_name, const char *key_path, const char *cert_path,
	     char **cert, size_t *cert_len);
/* Write members in order as a tar to out: ustar, or GNU tar when a member
 * is 8 GiB or larger. mtime fixes every entry's time. */
int ova_write_tar(struct outfile *out, const struct ova_member *m, size_t n, time_t mtime);
/* Does any member reach 8 GiB (the ustar limit), so GNU tar is needed? */
bool ova_needs_gnutar(const struct ova_member *m, size_t n);
/* SOURCE_DATE_EPOCH when set and valid, else now. */
time_t ova_mtime(void);
