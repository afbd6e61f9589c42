/* bottlerocket.h — the TOML user-data Bottlerocket's VMware variants read to
 * join EKS as hybrid nodes (settings.kubernetes/network/aws, the
 * eks-hybrid-setup bootstrap container, optional admin container), following
 * the EKS user guide's "Connect hybrid nodes with Bottlerocket". */
#pragma once

#include "nodeconfig.h"

#define BOTTLEROCKET_DEFAULT_ADMIN_USER "ec2-user"

struct bottlerocket_opts {
	const char *hostname;	     /* node name: hostname and Kubernetes node name */
	const char *admin_user;	     /* admin container SSH user; NULL = ec2-user */
	char *const *ssh_keys;	     /* admin container enabled only when given */
	const char *iam_ra_cert_pem; /* IAM Roles Anywhere: required */
	const char *iam_ra_key_pem;  /* secret */
	const char *proxy;	     /* settings.network.https-proxy, or NULL */
	const char *no_proxy;	     /* comma-separated; NULL = none */
};

/* Bottlerocket cannot look the cluster up: API server endpoint and CA are
 * required; IAM Roles Anywhere needs the certificate and key; kubelet flags
 * and containerd config have no equivalent here. Appends problems, returns
 * 0 or -EINVAL. Run nodeconfig_validate as well. */
int bottlerocket_validate(const struct node_config *nc, const struct bottlerocket_opts *o, char ***problems);

/* Render settings TOML. Returns 0 or -errno. */
int bottlerocket_render(const struct node_config *nc, const struct bottlerocket_opts *o, char **out);

/* cluster-dns-ip from a service CIDR: its 10th address (IPv4), as EKS does.
 * Returns NULL when cidr is NULL or not IPv4. Caller frees. */
char *bottlerocket_cluster_dns_ip(const char *cidr);
