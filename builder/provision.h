/* provision.h — boot 2: the installed disk runs under libvirt with its SSH
 * port forwarded to 127.0.0.1, and the provisioning steps run inside it over
 * SSH (libssh, the build's ephemeral key): proxy, RHSM, nodeadm install,
 * user scripts, RHSM clean-up. Step output streams into the build log. */
#pragma once

#include <stdbool.h>

#include "credential.h"
#include "spec.h"

struct machine;

struct provision_params {
	const struct build_spec *spec;
	const struct build_credential *cred;
	unsigned ssh_port;            /* 127.0.0.1 port forwarded to the guest's 22 */
	const char *nodeadm_path;     /* verified nodeadm binary on the host */
	struct machine *vm;           /* to notice a guest that dies */
	unsigned timeout;             /* seconds for the whole stage */
};

struct provision_conn;

/* Run every step over a connection; on failure err_message() names the
 * step and shows the tail of its output. Ends by powering the guest off. */
int provision_steps(struct provision_conn *c);

/* The pieces the steps are made of. */
/* Wait (until p->timeout) for the guest's SSH to accept the build key. */
int provision_connect(const struct provision_params *p, struct provision_conn **out);
/* Run script as root (`sudo -n /bin/sh -s`, the script on stdin), streaming
 * its output to the log as "step | line". A non-zero exit is an error that
 * names the step and shows the output's last lines. */
int provision_shell(struct provision_conn *c, const char *step, const char *script, size_t len);
/* Copy a local file to remote (mode 0600, owned by root). */
int provision_upload(struct provision_conn *c, const char *local, const char *remote);
/* Upload a user's --provision-script to remote and run it as root through
 * the interpreter its #! line names, then remove it. Like every step, it
 * runs with the build's proxy in its environment (HTTP_PROXY, HTTPS_PROXY,
 * NO_PROXY and their lower-case twins) when --proxy is set. */
int provision_user_script(struct provision_conn *c, const char *script, const char *remote);

void provision_close(struct provision_conn *c);

/* A free TCP port on 127.0.0.1 (for the SSH forward). */
int provision_free_port(unsigned *port);

/* The URL nodeadm is fetched from: --nodeadm-url with {arch}/{version}
 * substituted, or the official release location. Caller frees. */
char *provision_nodeadm_url(const struct build_spec *spec);
