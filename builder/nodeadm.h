/* nodeadm.h — what hnbuild knows of nodeadm releases, in one place: the
 * default pin, the digests recorded for releases, and the version gates
 * that decide whether a release can do what a build asks of it. */
#pragma once

#include <stdbool.h>

#include "spec.h"
#include "targets.h"

/* The release installed when none is given (aws/eks-hybrid, newest tag). */
#define NODEADM_DEFAULT_VERSION "v1.0.20"
/* The first release that registers SSM hybrid activations today: v1.0.19
 * replaced the GPG keys that verify the SSM agent installer, and AWS's
 * documentation requires it for --credential-provider ssm. */
#define NODEADM_SSM_MIN_VERSION "v1.0.19"

/* Parse "vX.Y.Z" (the leading v optional, anything after Z ignored, as in
 * "v1.0.20-rc1"). false for anything else, "latest" included. */
bool nodeadm_version_parse(const char *v, unsigned out[3]);
/* <0, 0, >0 as a is older than, the same as, newer than b; both parse. */
int nodeadm_version_cmp(const char *a, const char *b);

/* The SHA-256 recorded in hnbuild for this release and arch ("amd64" or
 * "arm64"), or NULL when none is recorded. */
const char *nodeadm_pinned_sha256(const char *version, const char *arch);

/* Whether nodeadm fetched from `url` must have a digest given out of band:
 * over plain http a .sha256 beside the binary comes down the same
 * unprotected channel, and the binary runs as root in the guest. The
 * refusal reads "<origin>: '<url>' " NODEADM_HTTP_REFUSAL. */
bool nodeadm_url_is_plain_http(const char *url);
#define NODEADM_HTTP_REFUSAL                                                                                 \
	"is plain http, so the .sha256 beside it proves nothing: give --nodeadm-sha256 with the digest you " \
	"trust, or serve nodeadm over https"

/* Whether nodeadm `version` can install with this credential provider; NULL
 * when it can, else the reason (a static string). "latest" always can. */
const char *nodeadm_credential_gate(const char *version, enum credential_provider cred);

/* What nodeadm install itself refuses for an OS family and containerd
 * source (the table in nodeadm.c, each row with where nodeadm decides it),
 * so that validate refuses it before anything boots: NULL when nodeadm
 * accepts it, else the reason (a static string). */
const char *nodeadm_containerd_refusal(enum os_family family, enum containerd_source src);
