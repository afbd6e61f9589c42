/* cloudconfig.h — deploy-time cloud-init data for one hybrid node: the
 * #cloud-config user-data that installs the NodeConfig and runs
 * `nodeadm init` once, and the metadata (instance-id, hostname, netplan v2
 * network). Works with NoCloud seeds and vSphere guestinfo alike. */
#pragma once

#include <stdbool.h>

#include "nodeconfig.h"
#include "nodelist.h"

/* Where the user-data puts things in the guest. */
#define CLOUDCONFIG_NODECONFIG_PATH "/etc/eks/nodeadm/nodeConfig.yaml"
#define CLOUDCONFIG_INIT_SCRIPT "/usr/local/sbin/hnbuild-nodeadm-init"
#define CLOUDCONFIG_INIT_LOG "/var/log/hnbuild-nodeadm-init.log"
#define CLOUDCONFIG_INIT_MARKER "/var/lib/hnbuild/nodeadm-init.done"
#define CLOUDCONFIG_DEFAULT_NO_PROXY "localhost,127.0.0.1,::1"
#define CLOUDCONFIG_UBUNTU_DEFAULT_NIC "e*"
#define CLOUDCONFIG_RHEL_DEFAULT_NIC "ens192"

/* Proxy drop-in and package manager locations differ by OS family. */
enum cloudconfig_os {
	CLOUDCONFIG_OS_UBUNTU,
	CLOUDCONFIG_OS_RHEL,
};

struct cloudconfig_opts {
	enum cloudconfig_os os;
	const char *proxy;	     /* http(s) URL or NULL */
	const char *no_proxy;	     /* NULL = CLOUDCONFIG_DEFAULT_NO_PROXY */
	const char *user;	     /* extra login user with sudo, or NULL */
	char *const *ssh_keys;	     /* for user (or the image's default user) */
	const char *iam_ra_cert_pem; /* IAM Roles Anywhere certificate contents, or NULL */
	const char *iam_ra_key_pem;  /* its private key (secret), or NULL */
};

/* Is url http(s)://[user[:password]@]host[:port][/], in RFC 3986's
 * characters (percent escapes allowed) and none that mean something in the
 * systemd, apt, dnf and shell files it goes into (quotes, blanks, ';', '$',
 * '#', '\\', control characters)? */
bool cloudconfig_proxy_ok(const char *url);
/* A NO_PROXY list: comma-separated hosts, domains, IPs and CIDRs, nothing
 * else (no blanks, quotes or control characters). */
bool cloudconfig_no_proxy_ok(const char *list);
/* Is this a login name cloud-init and useradd accept? */
bool cloudconfig_user_ok(const char *name);

/* #cloud-config user-data for a validated NodeConfig. Returns 0 or -errno. */
int cloudconfig_render_userdata(const struct node_config *nc, const struct cloudconfig_opts *opts,
				char **out);
/* Metadata: instance-id and local-hostname (the node name) and a `network`
 * key (netplan v2). The network: on Ubuntu DHCP (or the static address) on
 * the NICs matching the node's interface, default the glob "e*" (netplan
 * takes globs). RHEL's renderers (sysconfig, NetworkManager) need an exact
 * name: a static address goes on the node's interface, default
 * CLOUDCONFIG_RHEL_DEFAULT_NIC (vmxnet3 on vSphere); a DHCP node without an
 * interface gets no `network` key, so cloud-init's fallback (DHCP on the
 * first NIC, whatever its name) applies. */
int cloudconfig_render_metadata(const struct node_entry *node, enum cloudconfig_os os, char **out);
/* The same network as a NoCloud `network-config` file (version 2); *out is
 * NULL when there is none to write (the fallback case above). */
int cloudconfig_render_network(const struct node_entry *node, enum cloudconfig_os os, char **out);
