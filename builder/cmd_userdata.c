/* cmd_userdata.c — `hnbuild userdata`: deploy-time join data for hybrid
 * nodes cloned from an hnbuild image (cloud-init user-data with the
 * NodeConfig, metadata, or Bottlerocket settings), checked as nodeadm checks
 * it before anything is written, as files, guestinfo values, govc commands
 * or JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bottlerocket.h"
#include "cleanup.h"
#include "cloudconfig.h"
#include "commands.h"
#include "err.h"
#include "guestinfo.h"
#include "log.h"
#include "nodeconfig.h"
#include "nodelist.h"
#include "strbuf.h"
#include "targets.h"
#include "udtemplate.h"
#include "util.h"

#define DEFAULT_OUTPUT_DIR "userdata"

static inline void strv_freep(char ***v)
{
	strv_free(*v);
}
#define _cleanup_strv_ _cleanup_(strv_freep)

enum ud_format { UD_FILES, UD_GUESTINFO, UD_GOVC, UD_JSON };

struct ud_args {
	struct node_config nc; /* shared by every node; nodeName set per node */
	char *code_flag;       /* --ssm-activation-code (argv: warned) */
	char *code_file;
	char *ca_file;
	char *cert_file, *key_file;
	char *containerd_file;
	char **node_names;
	char *nodes_file;
	char *user;
	char **ssh_keys;
	char *ssh_keys_file;
	char *proxy, *no_proxy;
	char *os;
	char *format;
	char *output_dir;
	bool output_dir_given;
	bool force; /* replace outputs that exist */
	bool bottlerocket;
	bool help;
	/* Loaded */
	char *cert_pem, *key_pem;
	struct node_list nodes;
	enum cloudconfig_os os_family;
	enum ud_format fmt;
};

/* One node's rendered documents. */
struct ud_node {
	const struct node_entry *entry;
	char *userdata;	    /* #cloud-config or Bottlerocket TOML: holds secrets */
	char *metadata;	    /* NULL for Bottlerocket */
	char *network;	    /* NoCloud network-config, NULL for Bottlerocket */
	char *userdata_enc; /* guestinfo values */
	char *metadata_enc;
};

static void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void ud_args_free(struct ud_args *a)
{
	secret_free(a->nc.ssm_activation_code);
	a->nc.ssm_activation_code = NULL;
	node_config_free(&a->nc);
	secret_free(a->code_flag);
	free(a->code_file);
	free(a->ca_file);
	free(a->cert_file);
	free(a->key_file);
	free(a->containerd_file);
	strv_free(a->node_names);
	free(a->nodes_file);
	free(a->user);
	strv_free(a->ssh_keys);
	free(a->ssh_keys_file);
	free(a->proxy);
	free(a->no_proxy);
	free(a->os);
	free(a->format);
	free(a->output_dir);
	free(a->cert_pem);
	secret_free(a->key_pem);
	nodelist_free(&a->nodes);
}

static void ud_nodes_free(struct ud_node *nodes, size_t n)
{
	for (size_t i = 0; nodes && i < n; i++) {
		secret_free(nodes[i].userdata);
		free(nodes[i].metadata);
		free(nodes[i].network);
		free(nodes[i].userdata_enc);
		free(nodes[i].metadata_enc);
	}
	free(nodes);
}

static void print_help(void)
{
	printf("Usage: hnbuild userdata --cluster NAME --region REGION CREDENTIALS NODES [FLAGS]\n"
	       "\n"
	       "Writes the deploy-time data that joins VMs cloned from an hnbuild image to an EKS\n"
	       "cluster as hybrid nodes: a cloud-init #cloud-config user-data that installs the\n"
	       "nodeadm NodeConfig at %s (mode 0600) and runs\n"
	       "`nodeadm init` once (log: %s), and metadata with the\n"
	       "instance-id, hostname and network of each node. With --bottlerocket it writes the\n"
	       "TOML settings Bottlerocket's VMware variants read instead. Everything is checked as\n"
	       "nodeadm checks it before anything is written; every problem is reported at once.\n"
	       "\n"
	       "Cluster:\n"
	       "  --cluster NAME                  EKS cluster name (required)\n"
	       "  --region REGION                 AWS region of the cluster (required)\n"
	       "  --api-server-endpoint URL       https endpoint; optional for nodeadm (it asks EKS),\n"
	       "                                  required with --bottlerocket\n"
	       "  --certificate-authority FILE    cluster CA bundle (PEM); same rule\n"
	       "  --cidr CIDR                     the cluster's service CIDR (optional)\n"
	       "\n"
	       "Credentials, exactly one kind:\n"
	       "  SSM hybrid activation:\n"
	       "  --ssm-activation-id ID          activation id (a lowercase UUID)\n"
	       "  --ssm-activation-code-file FILE activation code (20-250 characters), from a file;\n"
	       "                                  or SSM_ACTIVATION_CODE in the environment\n"
	       "  --ssm-activation-code CODE      accepted for compatibility with a warning: argv is\n"
	       "                                  visible to every user of this machine\n"
	       "  IAM Roles Anywhere:\n"
	       "  --iam-ra-trust-anchor-arn ARN   arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/UUID\n"
	       "  --iam-ra-profile-arn ARN        arn:aws:rolesanywhere:REGION:ACCOUNT:profile/UUID\n"
	       "  --iam-ra-role-arn ARN           arn:aws:iam::ACCOUNT:role/NAME\n"
	       "  --iam-ra-cert FILE              node certificate (PEM) to install at %s\n"
	       "  --iam-ra-key FILE               its private key, installed mode 0600 at %s\n"
	       "                                  (without them the image must already hold both;\n"
	       "                                  the same pair is used for every node)\n"
	       "  --enable-credentials-file       spec.hybrid.enableCredentialsFile: true\n"
	       "\n"
	       "Nodes (at least one; the node name is the VM's hostname, instance-id and, with\n"
	       "IAM Roles Anywhere, the Kubernetes node name and role session name):\n"
	       "  --node-name NAME                a node on DHCP; repeat for more\n"
	       "  --nodes FILE                    YAML or CSV list: name, address (CIDR), gateway, DNS,\n"
	       "                                  interface (see examples/userdata/nodes.yaml, .csv);\n"
	       "                                  nodes without an address use DHCP. The interface\n"
	       "                                  defaults to the glob " CLOUDCONFIG_UBUNTU_DEFAULT_NIC
	       " on Ubuntu; RHEL needs\n"
	       "                                  an exact name: static addresses go "
	       "on " CLOUDCONFIG_RHEL_DEFAULT_NIC "\n"
	       "                                  (vmxnet3) unless given, DHCP uses cloud-init's\n"
	       "                                  fallback (first NIC)\n"
	       "\n"
	       "Node settings:\n"
	       "  --user NAME                     create a login user with passwordless sudo (with\n"
	       "                                  --bottlerocket: the admin container's SSH user,\n"
	       "                                  default " BOTTLEROCKET_DEFAULT_ADMIN_USER ")\n"
	       "  --ssh-authorized-key KEY        its SSH public key; repeat for more (without --user\n"
	       "                                  the keys go to the image's default user)\n"
	       "  --ssh-authorized-keys-file FILE public keys, one per line\n"
	       "  --proxy URL                     http(s) proxy: systemd drop-ins for kubelet,\n"
	       "                                  containerd and the SSM agent, apt or dnf settings,\n"
	       "                                  and the environment of nodeadm init\n"
	       "  --no-proxy LIST                 comma-separated NO_PROXY (default %s)\n"
	       "  --kubelet-flag FLAG             spec.kubelet.flags entry (--flag=value); repeat\n"
	       "  --containerd-config FILE        spec.containerd.config (TOML)\n"
	       "  --os ubuntu|rhel                OS family of the image (default ubuntu; ubuntu22,\n"
	       "                                  rhel9, ... accepted): proxy file locations differ\n"
	       "  --bottlerocket                  Bottlerocket settings TOML instead of cloud-init\n"
	       "                                  (needs --api-server-endpoint and\n"
	       "                                  --certificate-authority; DHCP only)\n"
	       "\n"
	       "Output:\n"
	       "  --format files                  (default) DIR/NODE/user-data (0600), meta-data and\n"
	       "                                  network-config (unless the fallback applies): a\n"
	       "                                  NoCloud seed as it stands\n"
	       "                                  (Bottlerocket: DIR/NODE/settings.toml, 0600)\n"
	       "  --format guestinfo              DIR/NODE.guestinfo (0600): the guestinfo.* key=value\n"
	       "                                  pairs, values gzip+base64 (Bottlerocket: base64)\n"
	       "  --format govc                   DIR/NODE.userdata.b64 and .metadata.b64 (0600) and,\n"
	       "                                  on stdout and in DIR/govc.sh, per node a `govc\n"
	       "                                  vm.change` that reads them with $(cat FILE), then\n"
	       "                                  `govc vm.power -on`. No secret is printed.\n"
	       "                                  govc has no way to read an ExtraConfig\n"
	       "                                  value from a file, so while govc runs the encoded\n"
	       "                                  value is in its argv: run it on a host you trust,\n"
	       "                                  or set guestinfo through the API from --format json\n"
	       "  --format json                   {\"nodes\":[{\"name\",\"guestinfo\":{key:value}}]} on\n"
	       "                                  stdout, or in DIR/userdata.json (0600) when\n"
	       "                                  --output-dir is given. It holds the activation code\n"
	       "                                  (encoded, not encrypted): keep it out of CI logs\n"
	       "  --output-dir DIR                default ./" DEFAULT_OUTPUT_DIR " (created 0700)\n"
	       "  --force                         replace output files that exist; without it an\n"
	       "                                  existing output is an error and nothing is written\n"
	       "  -h, --help                      this help\n"
	       "\n"
	       "Example:\n"
	       "  SSM_ACTIVATION_CODE=... hnbuild userdata --cluster prod --region us-west-2 \\\n"
	       "      --ssm-activation-id 0b1c...-... --nodes nodes.yaml --format govc\n"
	       "\n"
	       "Exit codes: 0 written, 1 writing failed, 2 invalid input (one line per problem).\n",
	       CLOUDCONFIG_NODECONFIG_PATH, CLOUDCONFIG_INIT_LOG, NODECONFIG_IAM_RA_CERT_PATH,
	       NODECONFIG_IAM_RA_KEY_PATH, CLOUDCONFIG_DEFAULT_NO_PROXY);
}

enum {
	OPT_CLUSTER = 256,
	OPT_REGION,
	OPT_API_SERVER,
	OPT_CA,
	OPT_CIDR,
	OPT_SSM_ID,
	OPT_SSM_CODE,
	OPT_SSM_CODE_FILE,
	OPT_TRUST_ANCHOR,
	OPT_PROFILE,
	OPT_ROLE,
	OPT_CERT,
	OPT_KEY,
	OPT_CREDS_FILE,
	OPT_NODE_NAME,
	OPT_NODES,
	OPT_USER,
	OPT_SSH_KEY,
	OPT_SSH_KEYS_FILE,
	OPT_PROXY,
	OPT_NO_PROXY,
	OPT_KUBELET_FLAG,
	OPT_CONTAINERD,
	OPT_OS,
	OPT_BOTTLEROCKET,
	OPT_FORMAT,
	OPT_OUTPUT_DIR,
	OPT_FORCE,
};

static const struct option options[] = {
    {"cluster", required_argument, NULL, OPT_CLUSTER},
    {"region", required_argument, NULL, OPT_REGION},
    {"api-server-endpoint", required_argument, NULL, OPT_API_SERVER},
    {"certificate-authority", required_argument, NULL, OPT_CA},
    {"cidr", required_argument, NULL, OPT_CIDR},
    {"ssm-activation-id", required_argument, NULL, OPT_SSM_ID},
    {"ssm-activation-code", required_argument, NULL, OPT_SSM_CODE},
    {"ssm-activation-code-file", required_argument, NULL, OPT_SSM_CODE_FILE},
    {"iam-ra-trust-anchor-arn", required_argument, NULL, OPT_TRUST_ANCHOR},
    {"iam-ra-profile-arn", required_argument, NULL, OPT_PROFILE},
    {"iam-ra-role-arn", required_argument, NULL, OPT_ROLE},
    {"iam-ra-cert", required_argument, NULL, OPT_CERT},
    {"iam-ra-key", required_argument, NULL, OPT_KEY},
    {"enable-credentials-file", no_argument, NULL, OPT_CREDS_FILE},
    {"node-name", required_argument, NULL, OPT_NODE_NAME},
    {"nodes", required_argument, NULL, OPT_NODES},
    {"user", required_argument, NULL, OPT_USER},
    {"ssh-authorized-key", required_argument, NULL, OPT_SSH_KEY},
    {"ssh-authorized-keys-file", required_argument, NULL, OPT_SSH_KEYS_FILE},
    {"proxy", required_argument, NULL, OPT_PROXY},
    {"no-proxy", required_argument, NULL, OPT_NO_PROXY},
    {"kubelet-flag", required_argument, NULL, OPT_KUBELET_FLAG},
    {"containerd-config", required_argument, NULL, OPT_CONTAINERD},
    {"os", required_argument, NULL, OPT_OS},
    {"bottlerocket", no_argument, NULL, OPT_BOTTLEROCKET},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
    {"force", no_argument, NULL, OPT_FORCE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void problemf(char ***problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problemf(char ***problems, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	strv_push(problems, sb.buf);
}

static void parse_args(int argc, char **argv, struct ud_args *a, char ***problems)
{
	/* Only main prints: getopt must not, and must start afresh each call. */
	opterr = 0;
	optind = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_CLUSTER:
			str_set(&a->nc.cluster_name, optarg);
			break;
		case OPT_REGION:
			str_set(&a->nc.region, optarg);
			break;
		case OPT_API_SERVER:
			str_set(&a->nc.api_server_endpoint, optarg);
			break;
		case OPT_CA:
			str_set(&a->ca_file, optarg);
			break;
		case OPT_CIDR:
			str_set(&a->nc.cidr, optarg);
			break;
		case OPT_SSM_ID:
			str_set(&a->nc.ssm_activation_id, optarg);
			break;
		case OPT_SSM_CODE:
			secret_free(a->code_flag);
			a->code_flag = xstrdup(optarg);
			log_add_secret(optarg);
			break;
		case OPT_SSM_CODE_FILE:
			str_set(&a->code_file, optarg);
			break;
		case OPT_TRUST_ANCHOR:
			str_set(&a->nc.trust_anchor_arn, optarg);
			break;
		case OPT_PROFILE:
			str_set(&a->nc.profile_arn, optarg);
			break;
		case OPT_ROLE:
			str_set(&a->nc.role_arn, optarg);
			break;
		case OPT_CERT:
			str_set(&a->cert_file, optarg);
			break;
		case OPT_KEY:
			str_set(&a->key_file, optarg);
			break;
		case OPT_CREDS_FILE:
			a->nc.enable_credentials_file = true;
			break;
		case OPT_NODE_NAME:
			strv_push(&a->node_names, optarg);
			break;
		case OPT_NODES:
			str_set(&a->nodes_file, optarg);
			break;
		case OPT_USER:
			str_set(&a->user, optarg);
			break;
		case OPT_SSH_KEY:
			strv_push(&a->ssh_keys, optarg);
			break;
		case OPT_SSH_KEYS_FILE:
			str_set(&a->ssh_keys_file, optarg);
			break;
		case OPT_PROXY:
			str_set(&a->proxy, optarg);
			break;
		case OPT_NO_PROXY:
			str_set(&a->no_proxy, optarg);
			break;
		case OPT_KUBELET_FLAG:
			strv_push(&a->nc.kubelet_flags, optarg);
			break;
		case OPT_CONTAINERD:
			str_set(&a->containerd_file, optarg);
			break;
		case OPT_OS:
			str_set(&a->os, optarg);
			break;
		case OPT_BOTTLEROCKET:
			a->bottlerocket = true;
			break;
		case OPT_FORMAT:
			str_set(&a->format, optarg);
			break;
		case OPT_OUTPUT_DIR:
			str_set(&a->output_dir, optarg);
			a->output_dir_given = true;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case 'h':
			a->help = true;
			break;
		case ':':
			problemf(problems, "%s: needs a value", argv[optind - 1]);
			break;
		default:
			if (optopt)
				problemf(problems, "-%c: unknown option (see hnbuild userdata --help)",
					 optopt);
			else
				problemf(problems, "%s: unknown option (see hnbuild userdata --help)",
					 argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++)
		problemf(problems, "'%s': unexpected argument (flags only; see hnbuild userdata --help)",
			 argv[i]);
}

/* Read a small text file given by a flag; problem on failure. */
static char *read_flag_file(const char *flag, const char *path, char ***problems)
{
	char *data = NULL;
	size_t len = 0;
	int r = read_file_max(path, SECRET_FILE_MAX, &data, &len);
	if (r < 0) {
		problemf(problems, "%s: cannot read %s: %s", flag, path, strerror(-r));
		return NULL;
	}
	if (strlen(data) != len) {
		problemf(problems, "%s: %s is not a text file", flag, path);
		free(data);
		return NULL;
	}
	return data;
}

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static void load_activation_code(struct ud_args *a, char ***problems)
{
	const char *env = getenv("SSM_ACTIVATION_CODE");
	if (a->code_file && a->code_flag) {
		problemf(problems, "--ssm-activation-code-file: give the activation code once, not also with "
				   "--ssm-activation-code");
		return;
	}
	char *code = NULL;
	if (a->code_file) {
		code = read_flag_file("--ssm-activation-code-file", a->code_file, problems);
		if (!code)
			return;
		chomp(code);
	} else if (a->code_flag) {
		log_warn("--ssm-activation-code: the value is visible to other users of this machine in the "
			 "process list; use --ssm-activation-code-file or SSM_ACTIVATION_CODE instead");
		code = xstrdup(a->code_flag);
	} else if (!str_empty(env)) {
		code = xstrdup(env);
		chomp(code);
	}
	if (code) {
		log_add_secret(code);
		secret_free(a->nc.ssm_activation_code);
		a->nc.ssm_activation_code = code;
	}
}

static bool ssh_key_ok(const char *k)
{
	return (str_startswith(k, "ssh-") || str_startswith(k, "ecdsa-") || str_startswith(k, "sk-")) &&
	       strchr(k, ' ') && !strpbrk(k, "\n\r");
}

static void load_inputs(struct ud_args *a, char ***problems)
{
	load_activation_code(a, problems);

	if (a->ca_file) {
		_cleanup_free_ char *pem = read_flag_file("--certificate-authority", a->ca_file, problems);
		if (pem && !strstr(pem, "-----BEGIN CERTIFICATE-----"))
			problemf(problems, "--certificate-authority: %s holds no PEM certificate",
				 a->ca_file);
		else if (pem) {
			free(a->nc.certificate_authority);
			guestinfo_encode(pem, strlen(pem), GUESTINFO_BASE64, &a->nc.certificate_authority);
		}
	}
	if (a->cert_file) {
		a->cert_pem = read_flag_file("--iam-ra-cert", a->cert_file, problems);
		if (a->cert_pem && !strstr(a->cert_pem, "-----BEGIN CERTIFICATE-----"))
			problemf(problems, "--iam-ra-cert: %s holds no PEM certificate", a->cert_file);
	}
	if (a->key_file) {
		a->key_pem = read_flag_file("--iam-ra-key", a->key_file, problems);
		if (a->key_pem) {
			log_add_secret(a->key_pem);
			if (!strstr(a->key_pem, "PRIVATE KEY-----"))
				problemf(problems, "--iam-ra-key: %s holds no PEM private key", a->key_file);
		}
	}
	if (!!a->cert_file != !!a->key_file)
		problemf(problems, "%s: give --iam-ra-cert and --iam-ra-key together",
			 a->cert_file ? "--iam-ra-key" : "--iam-ra-cert");
	if ((a->cert_file || a->key_file) && nodeconfig_credential(&a->nc) == NODECONFIG_CRED_SSM)
		problemf(problems,
			 "--iam-ra-cert: a certificate is only used with IAM Roles Anywhere, not SSM");
	if (a->containerd_file) {
		char *toml = read_flag_file("--containerd-config", a->containerd_file, problems);
		if (toml)
			a->nc.containerd_config = toml;
	}

	if (a->ssh_keys_file) {
		_cleanup_free_ char *text =
		    read_flag_file("--ssh-authorized-keys-file", a->ssh_keys_file, problems);
		char *save = NULL;
		for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l;
		     l = strtok_r(NULL, "\n", &save)) {
			chomp(l);
			if (*l && *l != '#')
				strv_push(&a->ssh_keys, l);
		}
	}
	for (size_t i = 0; a->ssh_keys && a->ssh_keys[i]; i++)
		if (!ssh_key_ok(a->ssh_keys[i]))
			problemf(problems,
				 "--ssh-authorized-key: '%.40s' is not an OpenSSH public key line "
				 "(ssh-ed25519 AAAA... comment)",
				 a->ssh_keys[i]);
	if (a->user && !cloudconfig_user_ok(a->user))
		problemf(problems,
			 "--user: '%s' is not a valid login name (lowercase letters, digits, '_' and '-', "
			 "not root)",
			 a->user);
	if (a->proxy && !cloudconfig_proxy_ok(a->proxy))
		problemf(problems,
			 "--proxy: '%s' must be an http:// or https:// URL without spaces or quotes",
			 a->proxy);
	if (a->no_proxy && !a->proxy)
		problemf(problems, "--no-proxy: only meaningful with --proxy");
	if (a->no_proxy && !cloudconfig_no_proxy_ok(a->no_proxy))
		problemf(problems, "--no-proxy: '%s' must be a comma-separated list without spaces or quotes",
			 a->no_proxy);

	a->os_family = CLOUDCONFIG_OS_UBUNTU;
	if (a->os) {
		const struct os_info *os = os_lookup(a->os);
		if (!strcmp(a->os, "ubuntu"))
			a->os_family = CLOUDCONFIG_OS_UBUNTU;
		else if (!strcmp(a->os, "rhel"))
			a->os_family = CLOUDCONFIG_OS_RHEL;
		else if (os)
			a->os_family =
			    os->family == FAMILY_RHEL ? CLOUDCONFIG_OS_RHEL : CLOUDCONFIG_OS_UBUNTU;
		else
			problemf(problems,
				 "--os: '%s' is not ubuntu or rhel (or an os id like ubuntu24, rhel9)",
				 a->os);
	}
	if (a->os && a->bottlerocket)
		problemf(problems, "--os: not used with --bottlerocket");

	const char *f = a->format ? a->format : "files";
	if (!strcmp(f, "files"))
		a->fmt = UD_FILES;
	else if (!strcmp(f, "guestinfo"))
		a->fmt = UD_GUESTINFO;
	else if (!strcmp(f, "govc"))
		a->fmt = UD_GOVC;
	else if (!strcmp(f, "json"))
		a->fmt = UD_JSON;
	else
		problemf(problems, "--format: '%s' is not files, guestinfo, govc or json", f);
	if (!a->output_dir)
		a->output_dir = xstrdup(DEFAULT_OUTPUT_DIR);
	else if (!*a->output_dir)
		problemf(problems, "--output-dir: an empty path names no directory");

	for (size_t i = 0; a->node_names && a->node_names[i]; i++)
		nodelist_add(&a->nodes, a->node_names[i], "--node-name");
	if (a->nodes_file)
		nodelist_load(a->nodes_file, &a->nodes, problems);
	nodelist_validate(&a->nodes, problems);
	for (size_t i = 0; a->os_family == CLOUDCONFIG_OS_RHEL && i < a->nodes.n; i++)
		if (a->nodes.items[i].interface && strchr(a->nodes.items[i].interface, '*'))
			problemf(problems,
				 "%s: interface '%s': RHEL's network configuration needs an exact interface "
				 "name, not a glob",
				 a->nodes.items[i].origin, a->nodes.items[i].interface);
	for (size_t i = 0; a->bottlerocket && i < a->nodes.n; i++)
		if (a->nodes.items[i].address || a->nodes.items[i].interface)
			problemf(problems,
				 "%s: static addresses and interfaces are not supported with --bottlerocket "
				 "(use DHCP "
				 "reservations)",
				 a->nodes.items[i].origin);
}

/* NodeConfig field -> the flag that sets it, so messages name the input. */
static const struct {
	const char *field;
	const char *flag;
} field_flags[] = {
    {"spec.cluster.name", "--cluster"},
    {"spec.cluster.region", "--region"},
    {"spec.cluster.apiServerEndpoint", "--api-server-endpoint"},
    {"spec.cluster.certificateAuthority", "--certificate-authority"},
    {"spec.cluster.cidr", "--cidr"},
    {"spec.hybrid.ssm.activationCode", "--ssm-activation-code-file/SSM_ACTIVATION_CODE"},
    {"spec.hybrid.ssm.activationId", "--ssm-activation-id"},
    {"spec.hybrid.iamRolesAnywhere.trustAnchorArn", "--iam-ra-trust-anchor-arn"},
    {"spec.hybrid.iamRolesAnywhere.profileArn", "--iam-ra-profile-arn"},
    {"spec.hybrid.iamRolesAnywhere.roleArn", "--iam-ra-role-arn"},
    {"spec.hybrid.iamRolesAnywhere.nodeName", "--node-name"},
    {"spec.hybrid.iamRolesAnywhere.certificatePath", "--iam-ra-cert"},
    {"spec.hybrid.iamRolesAnywhere.privateKeyPath", "--iam-ra-key"},
    {"spec.hybrid", "--ssm-activation-*/--iam-ra-*"},
    {"spec.kubelet.flags", "--kubelet-flag"},
    {"spec.containerd.config", "--containerd-config"},
};

static void add_config_problems(char **config_problems, char ***problems)
{
	for (size_t i = 0; config_problems && config_problems[i]; i++) {
		const char *p = config_problems[i];
		size_t n = strcspn(p, ":");
		const char *flag = NULL;
		for (size_t j = 0; j < ARRAY_SIZE(field_flags) && !flag; j++)
			if (strlen(field_flags[j].field) == n && !strncmp(p, field_flags[j].field, n))
				flag = field_flags[j].flag;
		if (flag)
			problemf(problems, "%s (%.*s)%s", flag, (int)n, p, p + n);
		else
			strv_push(problems, p);
	}
}

static void node_config_for(const struct ud_args *a, const char *name, struct node_config *out)
{
	node_config_copy(out, &a->nc);
	if (nodeconfig_credential(&a->nc) == NODECONFIG_CRED_IAM_RA)
		str_set(&out->node_name, name);
}

static void validate_config(const struct ud_args *a, char ***problems)
{
	_cleanup_strv_ char **cp = NULL;
	struct node_config nc = {0};
	node_config_for(a, a->nodes.n ? a->nodes.items[0].name : "node", &nc);
	/* The node list already checked every name; do not report it twice. */
	if (a->nodes.n && !nodeconfig_node_name_ok(nc.node_name))
		str_set(&nc.node_name, "node");
	nodeconfig_validate(&nc, &cp);
	if (a->bottlerocket) {
		struct bottlerocket_opts bo = {.iam_ra_cert_pem = a->cert_pem, .iam_ra_key_pem = a->key_pem};
		if (!a->cert_file)
			bo.iam_ra_cert_pem = NULL;
		bottlerocket_validate(&nc, &bo, &cp);
	}
	add_config_problems(cp, problems);
	secret_free(nc.ssm_activation_code);
	nc.ssm_activation_code = NULL;
	node_config_free(&nc);
}

static int render_node(const struct ud_args *a, const struct node_entry *e, struct ud_node *out)
{
	struct node_config nc = {0};
	node_config_for(a, e->name, &nc);
	int r;
	out->entry = e;
	if (a->bottlerocket) {
		struct bottlerocket_opts bo = {
		    .hostname = e->name,
		    .admin_user = a->user,
		    .ssh_keys = a->ssh_keys,
		    .iam_ra_cert_pem = a->cert_pem,
		    .iam_ra_key_pem = a->key_pem,
		    .proxy = a->proxy,
		    .no_proxy = a->no_proxy,
		};
		r = bottlerocket_render(&nc, &bo, &out->userdata);
		if (r >= 0)
			r = guestinfo_encode(out->userdata, strlen(out->userdata), GUESTINFO_BASE64,
					     &out->userdata_enc);
	} else {
		struct cloudconfig_opts co = {
		    .os = a->os_family,
		    .proxy = a->proxy,
		    .no_proxy = a->no_proxy,
		    .user = a->user,
		    .ssh_keys = a->ssh_keys,
		    .iam_ra_cert_pem = a->cert_pem,
		    .iam_ra_key_pem = a->key_pem,
		};
		r = cloudconfig_render_userdata(&nc, &co, &out->userdata);
		if (r >= 0)
			r = cloudconfig_render_metadata(e, a->os_family, &out->metadata);
		if (r >= 0)
			r = cloudconfig_render_network(e, a->os_family, &out->network);
		if (r >= 0)
			r = guestinfo_encode(out->userdata, strlen(out->userdata), GUESTINFO_GZIP_BASE64,
					     &out->userdata_enc);
		if (r >= 0)
			r = guestinfo_encode(out->metadata, strlen(out->metadata), GUESTINFO_GZIP_BASE64,
					     &out->metadata_enc);
	}
	secret_free(nc.ssm_activation_code);
	nc.ssm_activation_code = NULL;
	node_config_free(&nc);
	return r;
}

/* Where the outputs go. A first pass (dry) only looks: an output that exists
 * is a problem unless --force. The second writes, and keeps which files it
 * created so that a failure removes those and no file that was there before. */
struct out_pass {
	bool dry;
	bool force;
	char ***problems; /* dry pass */
	char ***written;  /* every file written, in order */
	char ***created;  /* those of them that did not exist before */
};

static int write_out(struct out_pass *op, const char *dir, const char *name, const char *data, unsigned mode)
{
	_cleanup_free_ char *path = path_join(dir, name);
	struct stat st;
	bool existed = lstat(path, &st) == 0;
	if (op->dry) {
		if (existed && !op->force)
			problemf(op->problems, "%s: exists: remove it, or give --force to replace it", path);
		else if (existed && S_ISDIR(st.st_mode))
			problemf(op->problems, "%s: is a directory, not a file", path);
		return 0;
	}
	int r = write_file_atomic(path, data, strlen(data), mode);
	if (r < 0)
		return err_fail_errno(r, "Failed to write %s", path);
	strv_push(op->written, path);
	if (!existed)
		strv_push(op->created, path);
	return 0;
}

static const char *encoding_of(const struct ud_args *a)
{
	return guestinfo_encoding_name(a->bottlerocket ? GUESTINFO_BASE64 : GUESTINFO_GZIP_BASE64);
}

static void guestinfo_pairs(const struct ud_args *a, const struct ud_node *n, struct strbuf *out)
{
	if (n->metadata_enc) {
		sb_addf(out, "guestinfo.metadata=%s\n", n->metadata_enc);
		sb_addf(out, "guestinfo.metadata.encoding=%s\n", encoding_of(a));
	}
	sb_addf(out, "guestinfo.userdata=%s\n", n->userdata_enc);
	sb_addf(out, "guestinfo.userdata.encoding=%s\n", encoding_of(a));
}

static void json_guestinfo(const struct ud_args *a, const struct ud_node *nodes, size_t n, struct strbuf *out)
{
	sb_adds(out, "{\"format\":\"");
	sb_adds(out, a->bottlerocket ? "bottlerocket" : "cloud-init");
	sb_adds(out, "\",\"nodes\":[");
	for (size_t i = 0; i < n; i++) {
		sb_adds(out, i ? ",{\"name\":\"" : "{\"name\":\"");
		udtemplate_json_escape(out, nodes[i].entry->name);
		sb_adds(out, "\",\"guestinfo\":{");
		if (nodes[i].metadata_enc)
			sb_addf(out, "\"guestinfo.metadata\":\"%s\",\"guestinfo.metadata.encoding\":\"%s\",",
				nodes[i].metadata_enc, encoding_of(a));
		sb_addf(out, "\"guestinfo.userdata\":\"%s\",\"guestinfo.userdata.encoding\":\"%s\"}}",
			nodes[i].userdata_enc, encoding_of(a));
	}
	sb_adds(out, "]}\n");
}

static void govc_commands(const struct ud_args *a, const char *dir, const struct ud_node *nodes, size_t n,
			  struct strbuf *out)
{
	sb_addf(out,
		"# hnbuild userdata: set guestinfo on %zu VM%s (named like the nodes), then power them on.\n"
		"# The values are read from 0600 files at run time; none is printed here.\n",
		n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		const char *name = nodes[i].entry->name;
		_cleanup_strbuf_ struct strbuf vm = STRBUF_INIT, f = STRBUF_INIT;
		sb_init(&vm);
		sb_init(&f);
		udtemplate_shell_quote(&vm, name);
		sb_addf(out, "govc vm.change -vm %s", vm.buf);
		if (nodes[i].metadata_enc) {
			_cleanup_free_ char *p = NULL;
			sb_reset(&f);
			sb_addf(&f, "%s.metadata.b64", name);
			p = path_join(dir, f.buf);
			sb_reset(&f);
			udtemplate_shell_quote(&f, p);
			sb_addf(
			    out,
			    " \\\n    -e guestinfo.metadata=\"$(cat %s)\" -e guestinfo.metadata.encoding=%s",
			    f.buf, encoding_of(a));
		}
		_cleanup_free_ char *p = NULL;
		sb_reset(&f);
		sb_addf(&f, "%s.userdata.b64", name);
		p = path_join(dir, f.buf);
		sb_reset(&f);
		udtemplate_shell_quote(&f, p);
		sb_addf(out,
			" \\\n    -e guestinfo.userdata=\"$(cat %s)\" -e guestinfo.userdata.encoding=%s\n",
			f.buf, encoding_of(a));
		sb_addf(out, "govc vm.power -on %s\n", vm.buf);
	}
}

static int write_outputs(const struct ud_args *a, const struct ud_node *nodes, size_t n, struct out_pass *op,
			 struct strbuf *stdout_text)
{
	if (a->fmt == UD_JSON && !a->output_dir_given) {
		if (!op->dry)
			json_guestinfo(a, nodes, n, stdout_text);
		return 0;
	}
	int r = 0;
	if (!op->dry) {
		r = mkdir_p(a->output_dir, 0700);
		if (r < 0)
			return err_fail_errno(r, "Failed to create %s", a->output_dir);
	}
	char abs[PATH_MAX];
	if (!realpath(a->output_dir, abs)) {
		if (op->dry && errno == ENOENT)
			return 0; /* nothing there yet, so nothing to replace */
		return err_fail_errno(-errno, "Failed to resolve %s", a->output_dir);
	}

	_cleanup_strbuf_ struct strbuf text = STRBUF_INIT, name = STRBUF_INIT;
	sb_init(&text);
	sb_init(&name);
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct ud_node *nd = &nodes[i];
		const char *node = nd->entry->name;
		sb_reset(&name);
		sb_reset(&text);
		switch (a->fmt) {
		case UD_FILES: {
			_cleanup_free_ char *sub = path_join(abs, node);
			r = op->dry ? 0 : mkdir_p(sub, 0700);
			if (r < 0)
				return err_fail_errno(r, "Failed to create %s", sub);
			if (a->bottlerocket) {
				r = write_out(op, sub, "settings.toml", nd->userdata, 0600);
				break;
			}
			r = write_out(op, sub, "user-data", nd->userdata, 0600);
			if (r >= 0)
				r = write_out(op, sub, "meta-data", nd->metadata, 0644);
			if (r >= 0 && nd->network)
				r = write_out(op, sub, "network-config", nd->network, 0644);
			break;
		}
		case UD_GUESTINFO:
			guestinfo_pairs(a, nd, &text);
			sb_addf(&name, "%s.guestinfo", node);
			r = write_out(op, abs, name.buf, text.buf, 0600);
			explicit_bzero(text.buf, text.len);
			break;
		case UD_GOVC:
			sb_addf(&name, "%s.userdata.b64", node);
			sb_addf(&text, "%s\n", nd->userdata_enc);
			r = write_out(op, abs, name.buf, text.buf, 0600);
			if (r >= 0 && nd->metadata_enc) {
				sb_reset(&name);
				sb_reset(&text);
				sb_addf(&name, "%s.metadata.b64", node);
				sb_addf(&text, "%s\n", nd->metadata_enc);
				r = write_out(op, abs, name.buf, text.buf, 0600);
			}
			break;
		case UD_JSON:
			break;
		}
	}
	if (r < 0)
		return r;
	if (a->fmt == UD_GOVC) {
		sb_reset(&text);
		sb_adds(&text, "#!/bin/sh\nset -eu\n");
		govc_commands(a, abs, nodes, n, &text);
		r = write_out(op, abs, "govc.sh", text.buf, 0700);
		if (r < 0)
			return r;
		if (!op->dry)
			govc_commands(a, abs, nodes, n, stdout_text);
	} else if (a->fmt == UD_JSON) {
		sb_reset(&text);
		json_guestinfo(a, nodes, n, &text);
		r = write_out(op, abs, "userdata.json", text.buf, 0600);
		explicit_bzero(text.buf, text.len);
	}
	return r;
}

int cmd_userdata(int argc, char **argv)
{
	struct ud_args a = {0};
	_cleanup_strv_ char **problems = NULL;
	_cleanup_strv_ char **written = NULL, **created = NULL;
	struct ud_node *nodes = NULL;
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	sb_init(&out);
	int rc = EXIT_OK;

	parse_args(argc, argv, &a, &problems);
	if (a.help) {
		print_help();
		goto done;
	}
	load_inputs(&a, &problems);
	validate_config(&a, &problems);
	if (problems) {
		_cleanup_free_ char *msg = log_problem_lines(problems);
		err_usage("%s", msg);
		rc = EXIT_USAGE;
		goto done;
	}

	/* Render everything first: nothing is written unless all of it renders. */
	nodes = xcalloc(a.nodes.n, sizeof(*nodes));
	for (size_t i = 0; i < a.nodes.n; i++)
		if (render_node(&a, &a.nodes.items[i], &nodes[i]) < 0) {
			rc = err_exit_code();
			goto done;
		}
	/* Look before writing: an output that is there already stops the run
	 * (unless --force) before any file is written. */
	struct out_pass look = {.dry = true, .force = a.force, .problems = &problems};
	if (write_outputs(&a, nodes, a.nodes.n, &look, &out) < 0) {
		rc = err_exit_code();
		goto done;
	}
	if (problems) {
		_cleanup_free_ char *msg = log_problem_lines(problems);
		err_usage("%s", msg);
		rc = EXIT_USAGE;
		goto done;
	}
	struct out_pass put = {.force = a.force, .written = &written, .created = &created};
	if (write_outputs(&a, nodes, a.nodes.n, &put, &out) < 0) {
		/* Do not leave a partial set behind: remove what this run created
		 * (a file it replaced under --force is gone either way). */
		for (size_t i = 0; created && created[i]; i++)
			unlink(created[i]);
		rc = err_exit_code();
		goto done;
	}
	if (a.fmt == UD_FILES || a.fmt == UD_GUESTINFO || (a.fmt == UD_JSON && a.output_dir_given)) {
		printf("# hnbuild userdata: %zu node%s (%s), files holding secrets are mode 0600\n",
		       a.nodes.n, a.nodes.n == 1 ? "" : "s", a.bottlerocket ? "Bottlerocket" : "cloud-init");
		for (size_t i = 0; written && written[i]; i++)
			printf("%s\n", written[i]);
	}
	fputs(out.buf, stdout);
	fflush(stdout);
	explicit_bzero(out.buf, out.len);

done:
	ud_nodes_free(nodes, a.nodes.n);
	ud_args_free(&a);
	return rc;
}
