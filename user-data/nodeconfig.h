/* nodeconfig.h — nodeadm's NodeConfig (node.eks.aws/v1alpha1) for one hybrid
 * node: the values, the checks nodeadm makes before `nodeadm init` (all of
 * them at once, so the user fixes everything in one go), and the YAML. */
#pragma once

#include <stdbool.h>

enum nodeconfig_credential {
	NODECONFIG_CRED_NONE, /* neither given: invalid */
	NODECONFIG_CRED_SSM,
	NODECONFIG_CRED_IAM_RA,
	NODECONFIG_CRED_BOTH, /* both given: invalid */
};

/* Defaults nodeadm itself uses for IAM Roles Anywhere file locations. */
#define NODECONFIG_IAM_RA_CERT_PATH "/etc/iam/pki/server.pem"
#define NODECONFIG_IAM_RA_KEY_PATH "/etc/iam/pki/server.key"

/* Every string is owned (NULL = not set). */
struct node_config {
	/* spec.cluster */
	char *cluster_name;	     /* required */
	char *region;		     /* required */
	char *api_server_endpoint;   /* optional: https URL */
	char *certificate_authority; /* optional: base64 of the PEM CA bundle */
	char *cidr;		     /* optional: service IPv4/IPv6 CIDR */
	/* spec.hybrid.ssm */
	char *ssm_activation_code; /* secret, 20-250 characters */
	char *ssm_activation_id;   /* lowercase UUID */
	/* spec.hybrid.iamRolesAnywhere */
	char *node_name; /* <= 64, also the role session name */
	char *trust_anchor_arn;
	char *profile_arn;
	char *role_arn;
	char *certificate_path; /* NULL = NODECONFIG_IAM_RA_CERT_PATH */
	char *private_key_path; /* NULL = NODECONFIG_IAM_RA_KEY_PATH */
	char *aws_config_path;	/* NULL = nodeadm's default */
	bool enable_credentials_file;
	/* spec.kubelet.flags, spec.containerd.config */
	char **kubelet_flags;
	char *containerd_config;
};

void node_config_free(struct node_config *nc);
/* Deep copy (for per-node variants). */
void node_config_copy(struct node_config *dst, const struct node_config *src);

/* Which credential kind the set fields describe. */
enum nodeconfig_credential nodeconfig_credential(const struct node_config *nc);

/* Check nc as nodeadm does, plus format checks nodeadm leaves to AWS (ARNs,
 * region, cluster name). Appends one line per problem to *problems, each
 * "<NodeConfig field>: <what is wrong>"; secrets are never quoted in them.
 * Returns 0 when valid, -EINVAL otherwise (nothing recorded in err). */
int nodeconfig_validate(const struct node_config *nc, char ***problems);

/* Individual checks, shared with the command line and the node list. */
bool nodeconfig_is_uuid(const char *s);
/* Kubernetes node name: DNS-1123 subdomain, at most 64 characters here. */
bool nodeconfig_node_name_ok(const char *s);
/* kind: "trust-anchor", "profile" (rolesanywhere) or "role" (iam). */
bool nodeconfig_arn_ok(const char *arn, const char *kind);
bool nodeconfig_region_ok(const char *s);

/* Render the NodeConfig document (libyaml). Returns 0 or -errno. */
int nodeconfig_render(const struct node_config *nc, char **yaml);
