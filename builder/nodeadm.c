/* nodeadm.c — nodeadm releases: version order, recorded digests, gates. */
#include "nodeadm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"

/*
 * Digests recorded in hnbuild, one row per release: a build verifies the
 * nodeadm it downloads against the row for its version and arch, whatever a
 * mirror publishes beside it. A row is added from the release's own
 * nodeadm.sha256 files, fetched over TLS from hybrid-assets.eks.amazonaws.com
 * (releases/<tag>/bin/linux/<arch>/nodeadm.sha256) and compared with the
 * aws/eks-hybrid release notes. No row is filled in yet: the machines this
 * code was written on reach no address but Debian's archive, so not one of
 * these digests could be read, and a digest that was not read is worse than
 * none. Until a row is there a build takes the digest from --nodeadm-sha256,
 * or from the .sha256 beside the binary when that comes over https.
 */
static const struct nodeadm_release {
	const char *version;
	const char *sha256_amd64, *sha256_arm64;
} releases[] = {
    {NODEADM_DEFAULT_VERSION, NULL, NULL},
    {NODEADM_SSM_MIN_VERSION, NULL, NULL},
};

bool nodeadm_version_parse(const char *v, unsigned out[3])
{
	if (!v)
		return false;
	if (*v == 'v')
		v++;
	for (int i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*v))
			return false;
		char *end;
		unsigned long n = strtoul(v, &end, 10);
		if (n > 1000000)
			return false;
		out[i] = (unsigned)n;
		v = end;
		if (i < 2 && *v++ != '.')
			return false;
	}
	return *v == '\0' || *v == '-' || *v == '+';
}

static int version_order(const unsigned x[3], const unsigned y[3])
{
	for (int i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

int nodeadm_version_cmp(const char *a, const char *b)
{
	unsigned x[3] = {0}, y[3] = {0};
	nodeadm_version_parse(a, x);
	nodeadm_version_parse(b, y);
	return version_order(x, y);
}

bool nodeadm_url_is_plain_http(const char *url)
{
	return url && !strncasecmp(url, "http://", 7);
}

const char *nodeadm_pinned_sha256(const char *version, const char *arch)
{
	for (size_t i = 0; version && i < ARRAY_SIZE(releases); i++)
		if (!strcmp(releases[i].version, version))
			return !strcmp(arch, "arm64") ? releases[i].sha256_arm64 : releases[i].sha256_amd64;
	return NULL;
}

const char *nodeadm_credential_gate(const char *version, enum credential_provider cred)
{
	unsigned v[3], min[3];
	if (cred != CRED_SSM || !nodeadm_version_parse(version, v))
		return NULL;
	nodeadm_version_parse(NODEADM_SSM_MIN_VERSION, min);
	if (version_order(v, min) < 0)
		return "registers SSM hybrid activations only from " NODEADM_SSM_MIN_VERSION
		       " on (that release replaced the keys that verify the SSM agent installer, and AWS "
		       "requires it): use " NODEADM_SSM_MIN_VERSION
		       " or later, or --credential-provider iam-ra";
	return NULL;
}

/*
 * The OS x containerd-source combinations nodeadm install refuses, one row
 * per rule with its source (aws/eks-hybrid at v1.0.20). nodeadm also refuses
 * 'docker' on AL2023 (same function); that row joins when hnbuild builds
 * AL2023. No OS x credential-provider rule is enforced by nodeadm's code.
 */
static const struct containerd_rule {
	enum os_family family;
	enum containerd_source src;
	const char *why;
	const char *source;
} containerd_rules[] = {
    {FAMILY_RHEL, CONTAINERD_DISTRO, "rejects containerd source 'distro' on RHEL (use docker or none)",
     "internal/containerd/install.go, ValidateContainerdSource"},
};

const char *nodeadm_containerd_refusal(enum os_family family, enum containerd_source src)
{
	for (size_t i = 0; i < ARRAY_SIZE(containerd_rules); i++)
		if (containerd_rules[i].family == family && containerd_rules[i].src == src)
			return containerd_rules[i].why;
	return NULL;
}
