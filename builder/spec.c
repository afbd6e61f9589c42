/* spec.c — resolves one or more build specs from flags, the environment
 * (hnbuild's own HNBUILD_* names and the AWS Packer templates' variables) and
 * hnbuild.yaml, with precedence flag > environment > file > default, and
 * validates them, reporting every problem of a run at once. */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "aicheck.h"
#include "cleanup.h"
#include "cloudconfig.h"
#include "config.h"
#include "err.h"
#include "kickstart.h"
#include "kscheck.h"
#include "log.h"
#include "nodeadm.h"
#include "strbuf.h"
#include "util.h"

enum setting_flags {
	SF_LIST = 1 << 0,   /* repeatable; comma lists allowed where noted */
	SF_BOOL = 1 << 1,   /* a flag without argument; "true"/"false" elsewhere */
	SF_SECRET = 1 << 2, /* the value itself is secret (only from env or a file) */
	SF_COMMA = 1 << 3,  /* a single value may be a comma-separated list */
	SF_PATH = 1 << 4,   /* a file the value names (shown as-is) */
};

enum setting_id {
	S_OS, S_ARCH, S_FORMAT, S_ISO, S_ISO_CHECKSUM, S_K8S_VERSION, S_CREDENTIAL_PROVIDER,
	S_CONTAINERD_SOURCE, S_REGION, S_NODEADM_VERSION, S_NODEADM_URL, S_NODEADM_SHA256, S_MANIFEST_OVERRIDE, S_PRIVATE_MODE,
	S_PROXY, S_NO_PROXY, S_OUTPUT_DIR, S_NAME, S_DISK_SIZE, S_MEMORY, S_CPUS, S_ACCEL, S_FIRMWARE,
	S_TIMEOUT, S_STALL_TIMEOUT, S_ON_ERROR, S_AUTOINSTALL, S_KICKSTART, S_LATE_COMMAND, S_PROVISION_SCRIPT,
	S_SSH_PASSWORD, S_SSH_PASSWORD_FILE, S_RH_USERNAME, S_RH_PASSWORD, S_RH_PASSWORD_FILE, S_RH_ORG,
	S_RH_ACTIVATION_KEY, S_RH_ACTIVATION_KEY_FILE, S_RHEL_VERSION, S_LIBVIRT_URI, S_LIBVIRT_TIMEOUT, S_NETWORK,
	S_VMX_VERSION, S_QCOW2_COMPAT, S_SIGN_KEY, S_SIGN_CERT, S_PUBLISH, S_VSPHERE_SERVER, S_VSPHERE_USER,
	S_VSPHERE_PASSWORD, S_VSPHERE_PASSWORD_FILE, S_VSPHERE_DATACENTER, S_VSPHERE_CLUSTER,
	S_VSPHERE_DATASTORE, S_VSPHERE_NETWORK, S_VSPHERE_FOLDER, S_VSPHERE_RESOURCE_POOL,
	S_CONTENT_LIBRARY, S_VSPHERE_CA_FILE, S_VSPHERE_INSECURE, S_FORCE, S_RESTRICT_NETWORK, S_GUEST_FORWARD,
	S_NO_CACHE, S_RESUME, S__COUNT
};

struct setting {
	enum setting_id id;
	const char *key;     /* flag name without "--", YAML key */
	const char *metavar; /* NULL for secrets given only through the environment */
	unsigned flags;
	const char *env[3];  /* the AWS templates' (or standard) variables, besides HNBUILD_<KEY> */
	const char *help;
};

/* One table drives the parser, the environment, the build file and --help. */
static const struct setting settings[S__COUNT] = {
	{S_OS, "os", "OS", 0, {0}, "ubuntu20|ubuntu22|ubuntu24|rhel8|rhel9 (default ubuntu24)"},
	{S_ARCH, "arch", "ARCH", 0, {"NODEADM_ARCH"}, "amd64|arm64 (also amd/arm, x86_64/aarch64; default amd64)"},
	{S_FORMAT, "format", "FMT", SF_LIST | SF_COMMA, {"PACKER_OUTPUT_FORMAT"},
	 "qcow2|raw|ova|all, repeatable or comma list (default qcow2)"},
	{S_ISO, "iso", "PATH|URL", 0, {"ISO_URL"}, "installer ISO: local path or https URL (default: official Ubuntu ISO)"},
	{S_ISO_CHECKSUM, "iso-checksum", "SUM", 0, {"ISO_CHECKSUM"},
	 "sha256:HEX, sha512:HEX, sha1:HEX, md5:HEX, file:URL-or-path, bare hex, or none"},
	{S_K8S_VERSION, "k8s-version", "VER", SF_LIST | SF_COMMA, {"K8S_VERSION"},
	 "Kubernetes version for nodeadm install, 1.N or 1.N.P (default 1.31); a comma list builds one image per version from one install"},
	{S_CREDENTIAL_PROVIDER, "credential-provider", "P", 0, {"CREDENTIAL_PROVIDER"},
	 "ssm|iam-ra (iam is accepted; default ssm)"},
	{S_CONTAINERD_SOURCE, "containerd-source", "SRC", 0, {0},
	 "none|distro|docker (default distro on Ubuntu, docker on RHEL)"},
	{S_REGION, "region", "REGION", 0, {"AWS_REGION"}, "AWS region nodeadm installs from (default us-west-2)"},
	{S_NODEADM_VERSION, "nodeadm-version", "VER", 0, {0}, "nodeadm release to install (default " NODEADM_DEFAULT_VERSION ", pinned)"},
	{S_NODEADM_URL, "nodeadm-url", "URL", 0, {0},
	 "nodeadm mirror URL or path ({arch}, {version} substituted); over http it needs --nodeadm-sha256"},
	{S_NODEADM_SHA256, "nodeadm-sha256", "HEX", 0, {0},
	 "SHA-256 of the nodeadm binary to trust; without it, the .sha256 published beside it over https"},
	{S_MANIFEST_OVERRIDE, "manifest-override", "URL", 0, {0}, "nodeadm install --manifest-override (release manifest mirror)"},
	{S_PRIVATE_MODE, "private-mode", NULL, SF_BOOL, {0}, "nodeadm install --private-mode (needs --manifest-override)"},
	/* Not the host's HTTPS_PROXY: a CI runner's proxy must not end up in every image. */
	{S_PROXY, "proxy", "URL", 0, {0},
	 "HTTP(S) proxy the image uses (apt/dnf, containerd, kubelet, SSM drop-ins)"},
	{S_NO_PROXY, "no-proxy", "LIST", 0, {0}, "hosts that bypass the proxy"},
	{S_OUTPUT_DIR, "output-dir", "DIR", SF_PATH, {0}, "where images are written (default ./output)"},
	{S_NAME, "name", "NAME", 0, {0}, "image base name (default eks-hybrid)"},
	{S_DISK_SIZE, "disk-size", "SIZE", 0, {0}, "virtual disk size, e.g. 20G; a bare number is MiB (default 20G)"},
	{S_MEMORY, "memory", "SIZE", 0, {0}, "build VM memory, e.g. 4G; a bare number is MiB (default 4096)"},
	{S_CPUS, "cpus", "N", 0, {0}, "build VM vCPUs (default 2)"},
	{S_ACCEL, "accel", "A", 0, {0}, "auto|kvm|tcg (auto proves KVM with a short boot, else TCG)"},
	{S_FIRMWARE, "firmware", "FW", 0, {0}, "bios|uefi (default uefi; arm64 is always uefi)"},
	{S_TIMEOUT, "timeout", "DUR", 0, {0}, "limit for each VM boot, e.g. 90m, 2h, 600s (default 2h)"},
	{S_STALL_TIMEOUT, "stall-timeout", "DUR", 0, {0},
	 "an install with no console output and no disk writes for this long has hung (default 10m; 0: never)"},
	{S_ON_ERROR, "on-error", "WHAT", 0, {0}, "cleanup|abort|keep: what to do with the VM and disks on failure (Ctrl-C/SIGTERM always cleans up)"},
	{S_AUTOINSTALL, "autoinstall", "FILE", SF_PATH, {0}, "your own autoinstall user-data instead of hnbuild's (Ubuntu)"},
	{S_KICKSTART, "kickstart", "FILE", SF_PATH, {0}, "your own kickstart instead of hnbuild's (RHEL)"},
	{S_LATE_COMMAND, "late-command", "CMD", SF_LIST, {0}, "extra late-command (Ubuntu) or %post line (RHEL), repeatable"},
	{S_PROVISION_SCRIPT, "provision-script", "FILE", SF_LIST | SF_PATH, {0}, "script run in the guest after nodeadm install, repeatable"},
	{S_SSH_PASSWORD, "ssh-password", NULL, SF_SECRET, {"PKR_SSH_PASSWORD"},
	 "build user's password (compatibility; default: a per-build key only)"},
	{S_SSH_PASSWORD_FILE, "ssh-password-file", "FILE", SF_PATH, {0}, "read the build user's password from FILE"},
	{S_RH_USERNAME, "rh-username", "USER", 0, {"RH_USERNAME"}, "Red Hat account for subscription-manager (RHEL)"},
	{S_RH_PASSWORD, "rh-password", NULL, SF_SECRET, {"RH_PASSWORD"}, "Red Hat account password (RHEL)"},
	{S_RH_PASSWORD_FILE, "rh-password-file", "FILE", SF_PATH, {0}, "read the Red Hat password from FILE"},
	{S_RH_ORG, "rh-org", "ORG", 0, {"RH_ORG"}, "Red Hat organization, with an activation key (RHEL)"},
	{S_RH_ACTIVATION_KEY, "rh-activation-key", NULL, SF_SECRET, {"RH_ACTIVATION_KEY"}, "Red Hat activation key (RHEL)"},
	{S_RH_ACTIVATION_KEY_FILE, "rh-activation-key-file", "FILE", SF_PATH, {0}, "read the activation key from FILE"},
	{S_RHEL_VERSION, "rhel-version", "8|9", 0, {"RHEL_VERSION"}, "must agree with --os when set (Packer compatibility)"},
	{S_LIBVIRT_URI, "libvirt-uri", "URI", 0, {"LIBVIRT_DEFAULT_URI"}, "libvirt connection (default qemu:///system)"},
	{S_LIBVIRT_TIMEOUT, "libvirt-timeout", "DUR", 0, {0},
	 "limit for each call to libvirtd; a daemon that does not answer fails the build (default 2m)"},
	{S_NETWORK, "network", "NAME", 0, {0}, "libvirt network for the build VM (default: user-mode networking)"},
	{S_VMX_VERSION, "vmx-version", "N", 0, {0}, "OVA virtual hardware version, e.g. 17 or vmx-17 (default 17)"},
	{S_QCOW2_COMPAT, "qcow2-compat", "C", 0, {0}, "zlib|zstd|none: qcow2 compression (default zlib, readable by any QEMU)"},
	{S_SIGN_KEY, "sign-key", "KEY.pem", SF_PATH, {0}, "sign the OVA manifest with this private key"},
	{S_SIGN_CERT, "sign-cert", "CERT.pem", SF_PATH, {0}, "certificate written into the OVA's .cert"},
	{S_PUBLISH, "publish", NULL, SF_BOOL, {0}, "upload the OVA to vSphere after the build (VSPHERE_* settings)"},
	{S_VSPHERE_SERVER, "vsphere-server", "HOST", 0, {"VSPHERE_SERVER"}, "vCenter host or URL"},
	{S_VSPHERE_USER, "vsphere-user", "USER", 0, {"VSPHERE_USER"}, "vCenter user"},
	{S_VSPHERE_PASSWORD, "vsphere-password", NULL, SF_SECRET, {"VSPHERE_PASSWORD"}, "vCenter password"},
	{S_VSPHERE_PASSWORD_FILE, "vsphere-password-file", "FILE", SF_PATH, {0}, "read the vCenter password from FILE"},
	{S_VSPHERE_DATACENTER, "vsphere-datacenter", "DC", 0, {"VSPHERE_DATACENTER"}, "datacenter"},
	{S_VSPHERE_CLUSTER, "vsphere-cluster", "CLUSTER", 0, {"VSPHERE_CLUSTER"}, "cluster"},
	{S_VSPHERE_DATASTORE, "vsphere-datastore", "DS", 0, {"VSPHERE_DATASTORE"}, "datastore"},
	{S_VSPHERE_NETWORK, "vsphere-network", "NET", 0, {"VSPHERE_NETWORK"}, "network the OVA's NIC maps to"},
	{S_VSPHERE_FOLDER, "vsphere-folder", "FOLDER", 0, {"VSPHERE_OUTPUT_FOLDER"}, "VM folder for the template"},
	{S_VSPHERE_RESOURCE_POOL, "vsphere-resource-pool", "POOL", 0, {"VSPHERE_RESOURCE_POOL"}, "resource pool"},
	{S_CONTENT_LIBRARY, "content-library", "NAME", 0, {0}, "import into this content library instead"},
	{S_VSPHERE_CA_FILE, "vsphere-ca-file", "FILE", SF_PATH, {0}, "CA bundle for vCenter's certificate"},
	{S_VSPHERE_INSECURE, "vsphere-insecure", NULL, SF_BOOL, {"VSPHERE_INSECURE"}, "do not verify vCenter's TLS certificate"},
	{S_FORCE, "force", NULL, SF_BOOL, {0}, "replace an existing template of the same name"},
	{S_RESTRICT_NETWORK, "restrict-network", NULL, SF_BOOL, {0},
	 "user-mode networking without outbound traffic (air-gapped builds, tests)"},
	{S_GUEST_FORWARD, "guest-forward", "IP:PORT=127.0.0.1:PORT", SF_LIST, {0},
	 "let the guest reach a local server: connections to IP:PORT go to 127.0.0.1:PORT, repeatable"},
	{S_NO_CACHE, "no-cache", NULL, SF_BOOL, {0},
	 "install from scratch and store nothing: no cached installed base (hnbuild cache list)"},
	{S_RESUME, "resume", NULL, SF_BOOL, {0},
	 "after a failed build: continue from the last stage that completed (an installed base in the cache)"},
};

/* A value as given, with where it came from. */
struct raw_value {
	char **values;
	char *origin;
	bool set;
};

struct raw_layer {
	struct raw_value v[S__COUNT];
};

static void raw_layer_free(struct raw_layer *l)
{
	for (int i = 0; i < S__COUNT; i++) {
		strv_free(l->v[i].values);
		free(l->v[i].origin);
	}
	memset(l, 0, sizeof(*l));
}

static void raw_set(struct raw_layer *l, enum setting_id id, const char *value, const char *origin, bool append)
{
	struct raw_value *rv = &l->v[id];
	if (!append && rv->set) {
		strv_free(rv->values);
		rv->values = NULL;
	}
	strv_push(&rv->values, value);
	str_set(&rv->origin, origin);
	rv->set = true;
}

static const struct setting *setting_by_key(const char *key)
{
	for (int i = 0; i < S__COUNT; i++)
		if (!strcmp(settings[i].key, key))
			return &settings[i];
	/* Friendly aliases used in build files. */
	if (!strcmp(key, "formats"))
		return &settings[S_FORMAT];
	if (!strcmp(key, "late-commands"))
		return &settings[S_LATE_COMMAND];
	if (!strcmp(key, "provision-scripts"))
		return &settings[S_PROVISION_SCRIPT];
	return NULL;
}

static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64];
	if (lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned prev = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cur = row[j];
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static const char *suggest_key(const char *key)
{
	const char *best = NULL;
	unsigned best_d = 3;
	for (int i = 0; i < S__COUNT; i++) {
		unsigned d = edit_distance(key, settings[i].key);
		if (d < best_d) {
			best_d = d;
			best = settings[i].key;
		}
	}
	return best;
}

static void problemf(char ***problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problemf(char ***problems, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	sb_init(&sb);
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	strv_push(problems, sb_str(&sb));
	sb_release(&sb);
}

/* ---- the three sources ---- */

static void layer_from_config(const struct config_layer *cl, struct raw_layer *out, char ***problems)
{
	for (size_t i = 0; i < cl->n; i++) {
		const struct config_value *cv = &cl->items[i];
		const struct setting *s = setting_by_key(cv->key);
		if (!s) {
			const char *hint = suggest_key(cv->key);
			if (hint)
				problemf(problems, "%s: unknown key '%s' (did you mean '%s'?)", cv->origin, cv->key,
					 hint);
			else
				problemf(problems, "%s: unknown key '%s' (see hnbuild build --help)", cv->origin,
					 cv->key);
			continue;
		}
		if (s->flags & SF_SECRET) {
			problemf(problems,
				 "%s: '%s' does not belong in a build file (it is a secret): use the environment or "
				 "'%s-file'",
				 cv->origin, cv->key, cv->key);
			continue;
		}
		if (cv->is_list && !(s->flags & SF_LIST)) {
			problemf(problems, "%s: '%s' takes one value, not a list", cv->origin, cv->key);
			continue;
		}
		for (size_t j = 0; cv->values && cv->values[j]; j++)
			raw_set(out, s->id, cv->values[j], cv->origin, j > 0);
	}
}

static const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], name, n) && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

static void env_name_for(const struct setting *s, struct strbuf *sb)
{
	sb_reset(sb);
	sb_adds(sb, "HNBUILD_");
	for (const char *p = s->key; *p; p++)
		sb_addc(sb, *p == '-' ? '_' : (char)toupper((unsigned char)*p));
}

void spec_scrub_environment(void)
{
	struct strbuf name = STRBUF_INIT;
	sb_init(&name);
	for (int i = 0; i < S__COUNT; i++) {
		const struct setting *s = &settings[i];
		/* a proxy URL may hold a password too */
		if (!(s->flags & SF_SECRET) && s->id != S_PROXY)
			continue;
		env_name_for(s, &name);
		unsetenv(name.buf);
		for (int e = 0; e < 3 && s->env[e]; e++)
			unsetenv(s->env[e]);
	}
	sb_release(&name);
}

static void layer_from_env(char **env, struct raw_layer *out)
{
	struct strbuf name = STRBUF_INIT, origin = STRBUF_INIT;
	sb_init(&name);
	sb_init(&origin);
	for (int i = 0; i < S__COUNT; i++) {
		const struct setting *s = &settings[i];
		const char *val = NULL, *used = NULL;
		env_name_for(s, &name);
		/* The AWS templates default every variable to "": empty means unset. */
		if (!str_empty(env_get(env, name.buf))) {
			val = env_get(env, name.buf);
			used = name.buf;
		}
		for (int e = 0; !val && e < 3 && s->env[e]; e++)
			if (!str_empty(env_get(env, s->env[e]))) {
				val = env_get(env, s->env[e]);
				used = s->env[e];
			}
		if (!val)
			continue;
		sb_reset(&origin);
		sb_addf(&origin, "environment %s", used);
		raw_set(out, s->id, val, origin.buf, false);
	}
	sb_release(&name);
	sb_release(&origin);
}

/* Global (not per-target) options parsed alongside the settings. */
struct global_opts {
	char *config;
	char **only;
	int verbose, quiet;
	char *log_format;
	bool help;
};

enum { OPT_CONFIG = 1000, OPT_ONLY, OPT_LOG_FORMAT, OPT_SETTING_BASE = 2000 };

static int layer_from_flags(int argc, char **argv, struct raw_layer *out, struct global_opts *g, char ***problems)
{
	struct option opts[S__COUNT + 8];
	int n = 0;
	for (int i = 0; i < S__COUNT; i++) {
		if (settings[i].flags & SF_SECRET)
			continue; /* secrets never come from argv */
		opts[n++] = (struct option){settings[i].key, (settings[i].flags & SF_BOOL) ? no_argument : required_argument,
					    NULL, OPT_SETTING_BASE + i};
	}
	opts[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
	opts[n++] = (struct option){"only", required_argument, NULL, OPT_ONLY};
	opts[n++] = (struct option){"log-format", required_argument, NULL, OPT_LOG_FORMAT};
	opts[n++] = (struct option){"verbose", no_argument, NULL, 'v'};
	opts[n++] = (struct option){"quiet", no_argument, NULL, 'q'};
	opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[n++] = (struct option){0};

	/* getopt_long accepts unambiguous abbreviations: --rh-password=X would
	 * silently become --rh-password-file. Only exact names are accepted. */
	char **args = xcalloc((size_t)argc + 1, sizeof(char *));
	int nargs = 0, bad = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (i > 0 && !strcmp(arg, "--")) {
			while (i < argc)
				args[nargs++] = argv[i++];
			break;
		}
		if (i > 0 && str_startswith(arg, "--")) {
			size_t len = strcspn(arg + 2, "=");
			bool known = false;
			for (int o = 0; opts[o].name; o++)
				if (strlen(opts[o].name) == len && !strncmp(opts[o].name, arg + 2, len))
					known = true;
			if (!known) {
				const struct setting *s = NULL;
				for (int k = 0; k < S__COUNT; k++)
					if (strlen(settings[k].key) == len && !strncmp(settings[k].key, arg + 2, len))
						s = &settings[k];
				if (s && (s->flags & SF_SECRET)) {
					problemf(problems,
						 "--%s: secrets are not taken on the command line (other users can read it): "
						 "use %s or --%s-file",
						 s->key, s->env[0], s->key);
					/* "--rh-password VALUE": the value is the secret; never echo it as an
					 * unexpected argument */
					if (!arg[2 + len] && i + 1 < argc && !str_startswith(argv[i + 1], "--"))
						i++;
				} else
					problemf(problems, "--%.*s: unknown option (see --help)", (int)len, arg + 2);
				bad = 1;
				continue;
			}
		}
		args[nargs++] = argv[i];
	}

	struct strbuf origin = STRBUF_INIT;
	sb_init(&origin);
	optind = 0;
	opterr = 0;
	int c;
	while ((c = getopt_long(nargs, args, "+vqh", opts, NULL)) != -1) {
		if (c >= OPT_SETTING_BASE) {
			const struct setting *s = &settings[c - OPT_SETTING_BASE];
			sb_reset(&origin);
			sb_addf(&origin, "--%s", s->key);
			if (s->flags & SF_BOOL) {
				raw_set(out, s->id, "true", origin.buf, false);
			} else {
				bool append = (s->flags & SF_LIST) && out->v[s->id].set;
				raw_set(out, s->id, optarg, origin.buf, append);
			}
			continue;
		}
		switch (c) {
		case OPT_CONFIG: str_set(&g->config, optarg); break;
		case OPT_ONLY: strv_push(&g->only, optarg); break;
		case OPT_LOG_FORMAT: str_set(&g->log_format, optarg); break;
		case 'v': g->verbose++; break;
		case 'q': g->quiet++; break;
		case 'h': g->help = true; break;
		case ':':
			problemf(problems, "%s: needs a value", args[optind - 1]);
			bad = 1;
			break;
		default:
			if (optopt && optopt < 256)
				problemf(problems, "-%c: unknown option (see --help)", optopt);
			else if (optopt >= OPT_SETTING_BASE && (settings[optopt - OPT_SETTING_BASE].flags & SF_BOOL))
				problemf(problems, "--%s: takes no value (it is a flag; in the build file: true or false)",
					 settings[optopt - OPT_SETTING_BASE].key);
			else if (optopt >= OPT_SETTING_BASE || optopt == OPT_CONFIG || optopt == OPT_ONLY ||
				 optopt == OPT_LOG_FORMAT)
				problemf(problems, "%s: needs a value", args[optind - 1]);
			else
				problemf(problems, "%s: bad option (see --help)", args[optind - 1]);
			bad = 1;
		}
	}
	for (int i = optind; i < nargs; i++) {
		problemf(problems, "'%s': unexpected argument (flags only; see --help)", args[i]);
		bad = 1;
	}
	free(args);
	sb_release(&origin);
	return bad ? -EINVAL : 0;
}

/* ---- interpreting values ---- */

static int pick_enum(const char *value, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] && !strcasecmp(value, names[i]))
			return i;
	return -1;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") || !strcasecmp(v, "on"))
		return *out = true, true;
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") || !strcasecmp(v, "off"))
		return *out = false, true;
	return false;
}

static bool k8s_version_valid(const char *v)
{
	/* 1.N or 1.N.P, optionally with a leading v; nodeadm has the final word. */
	if (*v == 'v')
		v++;
	if (strncmp(v, "1.", 2))
		return false;
	v += 2;
	int parts = 0;
	while (*v) {
		if (!isdigit((unsigned char)*v))
			return false;
		while (isdigit((unsigned char)*v))
			v++;
		parts++;
		if (*v == '.') {
			v++;
			if (!*v)
				return false;
		} else if (*v) {
			return false;
		}
	}
	return parts >= 1 && parts <= 2;
}

static bool region_valid(const char *r)
{
	/* us-west-2, ap-southeast-1, us-gov-west-1, cn-north-1 ... */
	size_t n = strlen(r);
	if (n < 9 || n > 25)
		return false;
	for (const char *p = r; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return isdigit((unsigned char)r[n - 1]) && r[n - 2] == '-';
}

static bool url_like(const char *s)
{
	return str_startswith(s, "https://") || str_startswith(s, "http://") || str_startswith(s, "file://");
}

static int read_secret_file(const char *path, char **out)
{
	char *data = NULL;
	size_t len = 0;
	int r = read_file_max(path, SECRET_FILE_MAX, &data, &len);
	if (r < 0)
		return r;
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	*out = data;
	return 0;
}

struct resolve_ctx {
	char ***problems;
	const char *command;
};

#define PROBLEM(ctx, rv, ...)                                                                              \
	do {                                                                                               \
		struct strbuf _sb = STRBUF_INIT;                                                           \
		sb_init(&_sb);                                                                             \
		sb_addf(&_sb, "%s: ", (rv)->origin);                                                      \
		sb_addf(&_sb, __VA_ARGS__);                                                                \
		strv_push((ctx)->problems, _sb.buf);                                                       \
		sb_release(&_sb);                                                                          \
	} while (0)

static const char *const accel_names[] = {"auto", "kvm", "tcg"};
static const char *const firmware_names[] = {"auto", "bios", "uefi"};
static const char *const on_error_names[] = {"cleanup", "abort", "keep"};
static const char *const containerd_names[] = {NULL, "none", "distro", "docker"};
static const char *const qcow2_compat_names[] = {NULL, "zlib", "zstd", "none"};

static void set_secret(struct resolve_ctx *ctx, const struct raw_value *rv, char **dst, const char *value)
{
	if (strlen(value) < 4) {
		/* Too short to redact from logs without shredding them, and too weak anyway. */
		PROBLEM(ctx, rv, "a secret of fewer than 4 characters is refused");
		return;
	}
	str_set(dst, value);
	log_add_secret(value);
}

static void apply_one(struct resolve_ctx *ctx, struct build_spec *s, enum setting_id id, const struct raw_value *rv)
{
	const char *v = rv->values[0];
	uint64_t bytes;
	unsigned long long n;
	bool b = false;
	int e;

	if (settings[id].flags & SF_BOOL) {
		if (!parse_bool(v, &b)) {
			PROBLEM(ctx, rv, "'%s' is not true or false", v);
			return;
		}
	}
	for (char **pv = rv->values; *pv; pv++)
		if (!utf8_valid(*pv)) {
			PROBLEM(ctx, rv, "not valid UTF-8");
			return;
		}
	if ((settings[id].flags & SF_PATH) || id == S_ISO) {
		for (char **pv = rv->values; *pv; pv++)
			if (!**pv) {
				PROBLEM(ctx, rv, "an empty path names no file or directory");
				return;
			}
	}
	switch (id) {
	case S_OS: {
		const struct os_info *os = os_lookup(v);
		if (!os)
			PROBLEM(ctx, rv, "unknown os '%s' (choose ubuntu20, ubuntu22, ubuntu24, rhel8 or rhel9)", v);
		else
			s->os = os->id;
		break;
	}
	case S_ARCH: {
		const struct arch_info *a = arch_lookup(v);
		if (!a)
			PROBLEM(ctx, rv, "unknown arch '%s' (choose amd64 or arm64)", v);
		else
			s->arch = a->id;
		break;
	}
	case S_FORMAT: {
		unsigned bits = 0;
		for (size_t i = 0; rv->values[i]; i++) {
			_cleanup_free_ char *copy = xstrdup(rv->values[i]);
			char *save = NULL;
			for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				while (*tok == ' ')
					tok++;
				unsigned f = format_lookup(tok);
				if (!f)
					PROBLEM(ctx, rv, "unknown format '%s' (choose qcow2, raw, ova or all)", tok);
				bits |= f;
			}
		}
		if (bits)
			s->formats = bits;
		break;
	}
	case S_ISO: str_set(&s->iso, v); break;
	case S_ISO_CHECKSUM: {
		struct checksum c = {0};
		_cleanup_free_ char *what = xstrdup(rv->origin);
		if (checksum_parse(v, what, &c) < 0) {
			strv_push(ctx->problems, err_message());
			err_clear();
		} else {
			checksum_free(&s->iso_checksum);
			s->iso_checksum = c;
		}
		break;
	}
	case S_K8S_VERSION: {
		char **list = NULL;
		for (size_t i = 0; rv->values[i]; i++) {
			_cleanup_free_ char *copy = xstrdup(rv->values[i]);
			char *save = NULL;
			if (!strpbrk(rv->values[i], "0123456789"))
				PROBLEM(ctx, rv, "'%s' is not a Kubernetes version (expected 1.N or 1.N.P, e.g. 1.31)",
					rv->values[i]);
			for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				tok += strspn(tok, " ");
				tok[strcspn(tok, " ")] = '\0';
				const char *ver = tok[0] == 'v' ? tok + 1 : tok;
				if (!k8s_version_valid(tok))
					PROBLEM(ctx, rv, "'%s' is not a Kubernetes version (expected 1.N or 1.N.P, e.g. 1.31)", tok);
				else if (strv_contains(list, ver))
					PROBLEM(ctx, rv, "Kubernetes version %s is listed twice", ver);
				else
					strv_push(&list, ver);
			}
		}
		if (list) {
			str_set(&s->k8s_version, list[0]);
			strv_free(s->k8s_versions);
			s->k8s_versions = list;
		}
		break;
	}
	case S_CREDENTIAL_PROVIDER:
		if (!strcasecmp(v, "ssm"))
			s->credential_provider = CRED_SSM;
		else if (!strcasecmp(v, "iam-ra") || !strcasecmp(v, "iam"))
			s->credential_provider = CRED_IAM_RA;
		else
			PROBLEM(ctx, rv, "unknown credential provider '%s' (choose ssm or iam-ra)", v);
		break;
	case S_CONTAINERD_SOURCE:
		if ((e = pick_enum(v, containerd_names, 4)) < 0)
			PROBLEM(ctx, rv, "unknown containerd source '%s' (choose none, distro or docker)", v);
		else
			s->containerd_source = (enum containerd_source)e;
		break;
	case S_REGION:
		if (!region_valid(v))
			PROBLEM(ctx, rv, "'%s' is not an AWS region name (e.g. us-west-2)", v);
		else
			str_set(&s->region, v);
		break;
	case S_NODEADM_VERSION: {
		unsigned ver[3];
		if (strcmp(v, "latest") && !nodeadm_version_parse(v, ver))
			PROBLEM(ctx, rv, "'%s' is not a nodeadm version (vX.Y.Z or latest)", v);
		else if (isdigit((unsigned char)v[0])) {
			_cleanup_free_ char *tag = NULL;
			if (asprintf(&tag, "v%s", v) < 0)
				abort();
			str_set(&s->nodeadm_version, tag);
		} else
			str_set(&s->nodeadm_version, v);
		break;
	}
	case S_NODEADM_SHA256: {
		size_t n = strspn(v, "0123456789abcdefABCDEF");
		if (n != 64 || v[n])
			PROBLEM(ctx, rv, "'%s' is not a SHA-256 digest (64 hex digits)", v);
		else {
			str_set(&s->nodeadm_sha256, v);
			for (char *c = s->nodeadm_sha256; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		}
		break;
	}
	case S_NODEADM_URL:
		if (!url_like(v) && v[0] != '/')
			PROBLEM(ctx, rv, "'%s' is not a URL or an absolute path", v);
		else
			str_set(&s->nodeadm_url, v);
		break;
	case S_MANIFEST_OVERRIDE:
		if (!url_like(v))
			PROBLEM(ctx, rv, "'%s' is not a URL", v);
		else
			str_set(&s->manifest_override, v);
		break;
	case S_PRIVATE_MODE: s->private_mode = b; break;
	case S_PROXY: {
		/* A password in the URL (http://user:PASSWORD@host:port) is a secret. */
		const char *auth = strstr(v, "://");
		const char *at = auth ? strchr(auth + 3, '@') : NULL;
		const char *colon = at ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
		if (colon) {
			_cleanup_free_ char *pw = strndup(colon + 1, (size_t)(at - colon - 1));
			if (strlen(pw) < 4)
				PROBLEM(ctx, rv, "a proxy password of fewer than 4 characters is refused");
			else
				log_add_secret(pw);
		}
		/* It is written into systemd drop-ins, apt.conf and dnf.conf. */
		if (!cloudconfig_proxy_ok(v))
			PROBLEM(ctx, rv, "not a proxy URL: http(s)://[user:password@]host[:port] with no blanks, "
					 "quotes or control characters");
		else
			str_set(&s->proxy, v);
		break;
	}
	case S_NO_PROXY:
		if (!cloudconfig_no_proxy_ok(v))
			PROBLEM(ctx, rv, "not a NO_PROXY list: comma-separated hosts, domains, IPs or CIDRs");
		else
			str_set(&s->no_proxy, v);
		break;
	case S_OUTPUT_DIR: str_set(&s->output_dir, v); break;
	case S_NAME: {
		bool ok = *v && strlen(v) <= 64;
		for (const char *p = v; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
				ok = false;
		if (!ok)
			PROBLEM(ctx, rv, "'%s' is not a usable image name (letters, digits, - _ . ; at most 64)", v);
		else
			str_set(&s->name, v);
		break;
	}
	case S_DISK_SIZE:
	case S_MEMORY: {
		bool bare = true;
		for (const char *p = v; *p; p++)
			if (!isdigit((unsigned char)*p))
				bare = false;
		int r = bare ? parse_uint(v, 1, 1ull << 40, &n) : parse_size(v, &bytes);
		if (r < 0) {
			PROBLEM(ctx, rv, "'%s' is not a size (e.g. %s)", v, id == S_MEMORY ? "4G or 4096" : "20G");
			break;
		}
		if (bare)
			bytes = (uint64_t)n << 20;
		if (id == S_DISK_SIZE) {
			if (bytes < (4ull << 30) || bytes > (16ull << 40))
				PROBLEM(ctx, rv, "%s is outside 4G..16T", v);
			else
				s->disk_size = bytes;
		} else {
			if (bytes < (512ull << 20) || bytes > (1ull << 40))
				PROBLEM(ctx, rv, "%s is outside 512M..1T", v);
			else
				s->memory_mib = bytes >> 20;
		}
		break;
	}
	case S_CPUS:
		if (parse_uint(v, 1, 256, &n) < 0)
			PROBLEM(ctx, rv, "'%s' is not a CPU count (1..256)", v);
		else
			s->cpus = (unsigned)n;
		break;
	case S_ACCEL:
		if ((e = pick_enum(v, accel_names, 3)) < 0)
			PROBLEM(ctx, rv, "unknown accelerator '%s' (choose auto, kvm or tcg)", v);
		else
			s->accel = (enum accel_kind)e;
		break;
	case S_FIRMWARE:
		if ((e = pick_enum(v, firmware_names, 3)) < 0)
			PROBLEM(ctx, rv, "unknown firmware '%s' (choose bios or uefi)", v);
		else
			s->firmware = (enum firmware_kind)e;
		break;
	case S_TIMEOUT:
	case S_STALL_TIMEOUT: {
		bool stall = id == S_STALL_TIMEOUT;
		unsigned secs;
		if (parse_duration(v, &secs) < 0)
			PROBLEM(ctx, rv, "'%s' is not a duration (%s)", v,
				stall ? "e.g. 10m, 300s; 0 turns it off" : "e.g. 90m, 2h, 600s");
		else
			*(stall ? &s->stall_timeout : &s->timeout) = secs;
		break;
	}
	case S_LIBVIRT_TIMEOUT: {
		unsigned secs;
		if (parse_duration(v, &secs) < 0 || secs == 0)
			PROBLEM(ctx, rv, "'%s' is not a duration of at least 1 s (e.g. 2m, 90s)", v);
		else
			s->libvirt_timeout = secs;
		break;
	}
	case S_ON_ERROR:
		if ((e = pick_enum(v, on_error_names, 3)) < 0)
			PROBLEM(ctx, rv, "unknown choice '%s' (choose cleanup, abort or keep)", v);
		else
			s->on_error = (enum on_error_kind)e;
		break;
	case S_AUTOINSTALL: str_set(&s->autoinstall_file, v); break;
	case S_KICKSTART: str_set(&s->kickstart_file, v); break;
	case S_LATE_COMMAND:
		strv_free(s->late_commands);
		s->late_commands = strv_copy(rv->values);
		break;
	case S_PROVISION_SCRIPT:
		strv_free(s->provision_scripts);
		s->provision_scripts = strv_copy(rv->values);
		break;
	case S_SSH_PASSWORD: set_secret(ctx, rv, &s->ssh_password, v); break;
	case S_RH_USERNAME: str_set(&s->rh_username, v); break;
	case S_RH_PASSWORD: set_secret(ctx, rv, &s->rh_password, v); break;
	case S_RH_ORG: str_set(&s->rh_org, v); break;
	case S_RH_ACTIVATION_KEY: set_secret(ctx, rv, &s->rh_activation_key, v); break;
	case S_VSPHERE_PASSWORD: set_secret(ctx, rv, &s->vsphere.password, v); break;
	case S_SSH_PASSWORD_FILE:
	case S_RH_PASSWORD_FILE:
	case S_RH_ACTIVATION_KEY_FILE:
	case S_VSPHERE_PASSWORD_FILE: {
		char *secret = NULL;
		int r = read_secret_file(v, &secret);
		if (r < 0) {
			PROBLEM(ctx, rv, "cannot read %s: %s", v, strerror(-r));
			break;
		}
		if (!*secret)
			PROBLEM(ctx, rv, "%s is empty", v);
		else
			set_secret(ctx, rv, id == S_SSH_PASSWORD_FILE	   ? &s->ssh_password
				   : id == S_RH_PASSWORD_FILE	   ? &s->rh_password
				   : id == S_RH_ACTIVATION_KEY_FILE ? &s->rh_activation_key
								    : &s->vsphere.password,
				   secret);
		free(secret);
		break;
	}
	case S_RHEL_VERSION:
		if (strcmp(v, "8") && strcmp(v, "9"))
			PROBLEM(ctx, rv, "'%s' is not a RHEL version (8 or 9)", v);
		break; /* checked against the os after everything is applied */
	case S_LIBVIRT_URI: str_set(&s->libvirt_uri, v); break;
	case S_NETWORK: str_set(&s->network, v); break;
	case S_VMX_VERSION: {
		const char *num = str_startswith(v, "vmx-") ? v + 4 : v;
		if (parse_uint(num, 7, 99, &n) < 0) {
			PROBLEM(ctx, rv, "'%s' is not a virtual hardware version (e.g. 17 or vmx-17)", v);
		} else {
			_cleanup_free_ char *norm = NULL;
			if (asprintf(&norm, "vmx-%llu", n) < 0)
				abort();
			str_set(&s->vmx_version, norm);
		}
		break;
	}
	case S_QCOW2_COMPAT:
		if ((e = pick_enum(v, qcow2_compat_names, 4)) < 0)
			PROBLEM(ctx, rv, "unknown qcow2 compression '%s' (choose zlib, zstd or none)", v);
		else
			s->qcow2_compat = (enum qcow2_compat)e;
		break;
	case S_SIGN_KEY: str_set(&s->sign_key, v); break;
	case S_SIGN_CERT: str_set(&s->sign_cert, v); break;
	case S_PUBLISH: s->publish = b; break;
	case S_VSPHERE_SERVER: str_set(&s->vsphere.server, v); break;
	case S_VSPHERE_USER: str_set(&s->vsphere.user, v); break;
	case S_VSPHERE_DATACENTER: str_set(&s->vsphere.datacenter, v); break;
	case S_VSPHERE_CLUSTER: str_set(&s->vsphere.cluster, v); break;
	case S_VSPHERE_DATASTORE: str_set(&s->vsphere.datastore, v); break;
	case S_VSPHERE_NETWORK: str_set(&s->vsphere.network, v); break;
	case S_VSPHERE_FOLDER: str_set(&s->vsphere.folder, v); break;
	case S_VSPHERE_RESOURCE_POOL: str_set(&s->vsphere.resource_pool, v); break;
	case S_CONTENT_LIBRARY: str_set(&s->vsphere.content_library, v); break;
	case S_VSPHERE_CA_FILE: str_set(&s->vsphere.ca_file, v); break;
	case S_VSPHERE_INSECURE: s->vsphere.insecure = b; break;
	case S_FORCE: s->vsphere.force = b; break;
	case S_RESTRICT_NETWORK: s->restrict_network = b; break;
	case S_NO_CACHE: s->no_cache = b; break;
	case S_RESUME: s->resume = b; break;
	case S_GUEST_FORWARD:
		for (size_t i = 0; rv->values[i]; i++) {
			unsigned a, b2, c, d, port, hport;
			char tail;
			if (sscanf(rv->values[i], "%u.%u.%u.%u:%u=127.0.0.1:%u%c", &a, &b2, &c, &d, &port, &hport,
				   &tail) != 6 ||
			    a > 255 || b2 > 255 || c > 255 || d > 255 || !port || port > 65535 || !hport || hport > 65535)
				PROBLEM(ctx, rv, "'%s' is not GUEST-IP:PORT=127.0.0.1:PORT (the host side is loopback only)",
					rv->values[i]);
		}
		strv_free(s->guest_forwards);
		s->guest_forwards = strv_copy(rv->values);
		break;
	case S__COUNT: break;
	}
}

static void spec_defaults(struct build_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->name = xstrdup("eks-hybrid");
	s->os = OS_UBUNTU24;
	s->arch = ARCH_AMD64;
	s->formats = FORMAT_QCOW2;
	s->k8s_version = xstrdup("1.31");
	s->credential_provider = CRED_SSM;
	s->region = xstrdup("us-west-2");
	s->nodeadm_version = xstrdup(NODEADM_DEFAULT_VERSION);
	s->output_dir = xstrdup("output");
	s->disk_size = 20ull << 30;
	s->memory_mib = 4096;
	s->cpus = 2;
	s->timeout = 2 * 3600;
	s->stall_timeout = 600;
	s->libvirt_uri = xstrdup("qemu:///system");
	s->libvirt_timeout = 120;
	s->vsphere.template_ = true;
}

/* The winning raw value per setting: flags, then environment, then the
 * target entry of the build file, then its top level. */
static const struct raw_value *winner(const struct raw_layer *const *layers, int n, enum setting_id id)
{
	for (int i = 0; i < n; i++)
		if (layers[i] && layers[i]->v[id].set)
			return &layers[i]->v[id];
	return NULL;
}

static const char *origin_of(const struct raw_layer *const *layers, int n, enum setting_id id, const char *fallback)
{
	const struct raw_value *rv = winner(layers, n, id);
	return rv ? rv->origin : fallback;
}

/* A user's --autoinstall / --kickstart file, checked with the rules of the
 * installer of that release before anything is fetched or booted: what it
 * refuses is a problem (file:line:column), what it would ignore a warning. */
static void check_user_document(struct resolve_ctx *ctx, const struct build_spec *s,
				const struct raw_layer *const *layers, int nl, bool unreadable_reported)
{
	const struct os_info *os = os_by_id(s->os);
	bool ubuntu = os->family == FAMILY_UBUNTU;
	const char *path = ubuntu ? s->autoinstall_file : s->kickstart_file;
	if (!path)
		return;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_file(path, &text, &len);
	if (r < 0) {
		if (!unreadable_reported)
			problemf(ctx->problems, "%s: cannot read %s: %s",
				 origin_of(layers, nl, ubuntu ? S_AUTOINSTALL : S_KICKSTART, "file"), path,
				 strerror(-r));
		return;
	}
	struct doc_check c = {0};
	r = ubuntu ? autoinstall_check(path, text, len, s->os, s->firmware, &c)
		   : kickstart_check(path, text, len, s->os, &c);
	if (r < 0)
		problemf(ctx->problems, "%s: cannot check it: %s", path, strerror(-r));
	for (size_t i = 0; c.errors && c.errors[i]; i++)
		problemf(ctx->problems, "%s", c.errors[i]);
	for (size_t i = 0; c.warnings && c.warnings[i]; i++)
		log_warn("%s", c.warnings[i]);
	doc_check_free(&c);
}

static void check_spec(struct resolve_ctx *ctx, struct build_spec *s, const struct raw_layer *const *layers, int nl,
		       const char *target_origin)
{
	const struct os_info *os = os_by_id(s->os);
	const char *where = target_origin ? target_origin : "";
	const char *sep = target_origin ? ": " : "";
	bool building = !strcmp(ctx->command, "build") || !strcmp(ctx->command, "validate");

	if (s->firmware == FIRMWARE_AUTO)
		s->firmware = FIRMWARE_UEFI;
	if (s->arch == ARCH_ARM64 && s->firmware == FIRMWARE_BIOS)
		problemf(ctx->problems, "%s: arm64 boots only with UEFI; drop --firmware bios or build amd64",
			 origin_of(layers, nl, S_FIRMWARE, "firmware"));

	const struct raw_value *rhv = winner(layers, nl, S_RHEL_VERSION);
	if (rhv && os->family == FAMILY_RHEL && strcmp(rhv->values[0], os->release))
		problemf(ctx->problems, "%s: RHEL_VERSION %s conflicts with --os %s", rhv->origin, rhv->values[0],
			 os->name);

	if (os->family == FAMILY_RHEL) {
		for (size_t i = 0; s->late_commands && s->late_commands[i]; i++) {
			unsigned line = 0;
			const char *why = kickstart_script_line_problem(s->late_commands[i], &line);
			if (why)
				problemf(ctx->problems, "%s: value %zu, line %u, %s",
					 origin_of(layers, nl, S_LATE_COMMAND, "late-command"), i + 1, line, why);
		}
	}

	if (s->resume && s->no_cache)
		problemf(ctx->problems, "%s%s--resume continues from the installed-base cache: drop --no-cache", where, sep);

	if (!s->iso) {
		if (os->default_iso_url && s->arch == ARCH_AMD64) {
			s->iso = xstrdup(os->default_iso_url);
			if (s->iso_checksum.algo == CHECKSUM_NONE && os->default_iso_checksum)
				checksum_parse(os->default_iso_checksum, "built-in default", &s->iso_checksum);
		} else if (building) {
			problemf(ctx->problems,
				 "%s%s%s %s has no public ISO download: give --iso PATH|URL (or ISO_URL) and "
				 "--iso-checksum",
				 where, sep, os->name, arch_by_id(s->arch)->name);
		}
	}
	if (s->iso && url_like(s->iso) && !str_startswith(s->iso, "file://") && s->iso_checksum.algo == CHECKSUM_NONE)
		problemf(ctx->problems,
			 "%s: downloads are verified: give --iso-checksum (or ISO_CHECKSUM) for %s",
			 origin_of(layers, nl, S_ISO, "iso"), s->iso);
	if (s->iso && !url_like(s->iso) && s->iso[0] != '/' && !str_startswith(s->iso, "./") &&
	    strstr(s->iso, "://"))
		problemf(ctx->problems, "%s: unsupported URL scheme in '%s' (https, http, file)",
			 origin_of(layers, nl, S_ISO, "iso"), s->iso);
	/* Files the build reads only after the install: missing ones would
	 * fail an hour in. */
	const struct {
		const char *path;
		enum setting_id id;
	} reads[] = {{s->autoinstall_file, S_AUTOINSTALL}, {s->kickstart_file, S_KICKSTART}};
	for (size_t k = 0; building && k < ARRAY_SIZE(reads); k++)
		if (reads[k].path && access(reads[k].path, R_OK) < 0)
			problemf(ctx->problems, "%s: cannot read %s: %s", origin_of(layers, nl, reads[k].id, "file"),
				 reads[k].path, strerror(errno));
	for (size_t i = 0; building && s->provision_scripts && s->provision_scripts[i]; i++)
		if (access(s->provision_scripts[i], R_OK) < 0)
			problemf(ctx->problems, "%s: cannot read %s: %s",
				 origin_of(layers, nl, S_PROVISION_SCRIPT, "provision-script"), s->provision_scripts[i],
				 strerror(errno));
	struct stat ost;
	if (s->output_dir && stat(s->output_dir, &ost) == 0 && !S_ISDIR(ost.st_mode))
		problemf(ctx->problems, "%s: %s exists and is not a directory", origin_of(layers, nl, S_OUTPUT_DIR, "output-dir"),
			 s->output_dir);

	/* stat, not open: opening a FIFO would wait for a writer */
	struct stat ist;
	const char *ipath = s->iso && str_startswith(s->iso, "file://") ? s->iso + 7 : s->iso;
	if (ipath && (!url_like(s->iso) || ipath != s->iso) && stat(ipath, &ist) == 0 &&
	    !S_ISREG(ist.st_mode) && !S_ISBLK(ist.st_mode))
		problemf(ctx->problems, "%s: %s is not an ISO file (not a regular file or block device)",
			 origin_of(layers, nl, S_ISO, "iso"), ipath);

	if (building || !strcmp(ctx->command, "render"))
		check_user_document(ctx, s, layers, nl, building);
	if (s->autoinstall_file && os->family != FAMILY_UBUNTU)
		problemf(ctx->problems, "%s: --autoinstall is for Ubuntu; %s installs from a kickstart (--kickstart)",
			 origin_of(layers, nl, S_AUTOINSTALL, "autoinstall"), os->name);
	if (s->kickstart_file && os->family != FAMILY_RHEL)
		problemf(ctx->problems, "%s: --kickstart is for RHEL; %s installs from autoinstall (--autoinstall)",
			 origin_of(layers, nl, S_KICKSTART, "kickstart"), os->name);
	if (s->private_mode && !s->manifest_override)
		problemf(ctx->problems, "%s: --private-mode needs --manifest-override URL",
			 origin_of(layers, nl, S_PRIVATE_MODE, "private-mode"));
	const char *gate = nodeadm_credential_gate(s->nodeadm_version, s->credential_provider);
	if (gate)
		problemf(ctx->problems, "%s: nodeadm %s %s", origin_of(layers, nl, S_NODEADM_VERSION, "nodeadm-version"),
			 s->nodeadm_version, gate);
	if (building && nodeadm_url_is_plain_http(s->nodeadm_url) && !s->nodeadm_sha256 &&
	    !nodeadm_pinned_sha256(s->nodeadm_version, arch_by_id(s->arch)->nodeadm))
		problemf(ctx->problems, "%s: '%s' " NODEADM_HTTP_REFUSAL,
			 origin_of(layers, nl, S_NODEADM_URL, "nodeadm-url"), s->nodeadm_url);
	const char *refusal = nodeadm_containerd_refusal(os->family, s->containerd_source);
	if (refusal)
		problemf(ctx->problems, "%s: nodeadm %s", origin_of(layers, nl, S_CONTAINERD_SOURCE, "containerd-source"),
			 refusal);
	if (!!s->sign_key != !!s->sign_cert)
		problemf(ctx->problems, "%s: --sign-key and --sign-cert go together",
			 origin_of(layers, nl, s->sign_key ? S_SIGN_KEY : S_SIGN_CERT, "sign"));
	if (s->sign_key && !(s->formats & FORMAT_OVA))
		problemf(ctx->problems, "%s: signing applies to OVA output; add --format ova",
			 origin_of(layers, nl, S_SIGN_KEY, "sign-key"));
	if (s->qcow2_compat == QCOW2_COMPAT_DEFAULT)
		s->qcow2_compat = QCOW2_COMPAT_ZLIB;
	if (!s->vmx_version)
		s->vmx_version = xstrdup("vmx-17");

	if (os->family == FAMILY_RHEL && building) {
		bool account = s->rh_username && s->rh_password;
		bool key = s->rh_org && s->rh_activation_key;
		if (s->rh_username && !s->rh_password)
			problemf(ctx->problems, "%s%sRH_USERNAME is set but RH_PASSWORD is missing (environment or --rh-password-file)", where, sep);
		else if (s->rh_org && !s->rh_activation_key)
			problemf(ctx->problems, "%s%s--rh-org needs RH_ACTIVATION_KEY (environment or --rh-activation-key-file)", where, sep);
		else if (!account && !key)
			problemf(ctx->problems,
				 "%s%s%s needs a Red Hat subscription to install packages: set RH_USERNAME and "
				 "RH_PASSWORD, or --rh-org and RH_ACTIVATION_KEY",
				 where, sep, os->name);
	}
	if (s->publish || (s->packer_builder && !strcmp(s->packer_builder, "vsphere-iso"))) {
		s->publish = true;
		s->formats |= FORMAT_OVA;
		struct {
			const char *value;
			enum setting_id id;
		} need[] = {
			{s->vsphere.server, S_VSPHERE_SERVER}, {s->vsphere.user, S_VSPHERE_USER},
			{s->vsphere.password, S_VSPHERE_PASSWORD_FILE}, {s->vsphere.datacenter, S_VSPHERE_DATACENTER},
			{s->vsphere.datastore, S_VSPHERE_DATASTORE},
		};
		for (unsigned i = 0; i < ARRAY_SIZE(need); i++)
			if (!need[i].value)
				problemf(ctx->problems, "%s%spublishing to vSphere needs %s (or --%s)", where, sep,
					 need[i].id == S_VSPHERE_PASSWORD_FILE ? "VSPHERE_PASSWORD"
									       : settings[need[i].id].env[0],
					 settings[need[i].id].key);
		if (!s->vsphere.cluster && !s->vsphere.resource_pool && !s->vsphere.content_library)
			problemf(ctx->problems, "%s%spublishing to vSphere needs VSPHERE_CLUSTER or --vsphere-resource-pool", where, sep);
	}
}

static void spec_fill(struct resolve_ctx *ctx, struct build_spec *s, const struct raw_layer *const *layers, int nl)
{
	/* Apply lowest precedence first so that higher layers overwrite. */
	for (int id = 0; id < S__COUNT; id++) {
		const struct raw_value *rv = winner(layers, nl, (enum setting_id)id);
		if (rv)
			apply_one(ctx, s, (enum setting_id)id, rv);
	}
}

static void plan_add(struct build_plan *plan, struct build_spec *s)
{
	struct build_spec *ns = realloc(plan->specs, (plan->n_specs + 1) * sizeof(*ns));
	if (!ns)
		abort();
	plan->specs = ns;
	plan->specs[plan->n_specs++] = *s;
	memset(s, 0, sizeof(*s));
}

/* One build per Kubernetes version, in the order given: copies of one
 * spec, so the installed-base cache makes them share one install. */
static int spec_copy_into_plan(struct build_plan *plan, struct build_spec *s)
{
	char **versions = TAKE_PTR(s->k8s_versions);
	size_t first = plan->n_specs;
	plan_add(plan, s);
	for (size_t i = 1; versions && versions[i]; i++) {
		struct build_spec c;
		build_spec_copy(&c, &plan->specs[first]);
		str_set(&c.k8s_version, versions[i]);
		plan_add(plan, &c);
	}
	strv_free(versions);
	return 0;
}

/* Does one of the --only patterns select this os? Sets the builder. */
static bool only_selects(char **only, enum os_id os, const char **builder)
{
	if (!only)
		return true;
	for (size_t i = 0; only[i]; i++)
		if (packer_pattern_matches(only[i], os, builder))
			return true;
	return false;
}

int spec_resolve(const struct spec_sources *src, struct build_plan *plan)
{
	struct raw_layer flags = {0}, env = {0}, file_top = {0};
	struct global_opts g = {0};
	struct config_file cf = {0};
	char **problems = NULL;
	struct resolve_ctx ctx = {&problems, src->command ? src->command : "build"};
	int r = 0;

	memset(plan, 0, sizeof(*plan));
	layer_from_flags(src->argc, src->argv, &flags, &g, &problems);
	if (g.help) {
		r = 1;
		goto out;
	}
	layer_from_env(src->env, &env);
	if (!g.config && env_get(src->env, "HNBUILD_CONFIG"))
		g.config = xstrdup(env_get(src->env, "HNBUILD_CONFIG"));
	if (g.config) {
		if (config_load(g.config, &cf, &problems) >= 0 || cf.top.n || cf.n_targets)
			layer_from_config(&cf.top, &file_top, &problems);
	}
	if (g.verbose && g.quiet)
		problemf(&problems, "-v and -q: conflicting flags (choose one)");
	plan->verbosity = g.quiet ? -1 : g.verbose;
	plan->log_format = 0;
	if (g.log_format) {
		if (!strcmp(g.log_format, "json"))
			plan->log_format = 1;
		else if (strcmp(g.log_format, "text"))
			problemf(&problems, "--log-format: unknown format '%s' (choose text or json)", g.log_format);
	}
	for (size_t i = 0; g.only && g.only[i]; i++) {
		if (str_startswith(g.only[i], "general-build.amazon-ebs") || str_startswith(g.only[i], "amazon-ebs"))
			problemf(&problems,
				 "--only %s: hnbuild does not build AMIs (amazon-ebs); build qcow2/raw and import, or "
				 "use general-build.qemu.*",
				 g.only[i]);
		else if (!packer_pattern_valid(g.only[i]))
			problemf(&problems,
				 "--only %s: matches no build (names look like general-build.qemu.ubuntu22 or "
				 "general-build.vsphere-iso.rhel9; see hnbuild list)",
				 g.only[i]);
	}
	plan->config_file = xstrdup(g.config);

	/* Targets: the build file's list, else what --only selects, else one. */
	size_t n_targets = cf.has_targets ? cf.n_targets : 0;
	if (cf.has_targets && n_targets == 0)
		problemf(&problems, "%s: 'targets' is empty", g.config);
	if (!cf.has_targets && g.only && !flags.v[S_OS].set && !env.v[S_OS].set && !file_top.v[S_OS].set) {
		/* Packer style: -only general-build.qemu.* builds every matching OS. */
		for (unsigned os = 0; os < OS__COUNT; os++) {
			const char *builder = NULL;
			if (!only_selects(g.only, (enum os_id)os, &builder))
				continue;
			struct raw_layer tl = {0};
			struct build_spec s;
			raw_set(&tl, S_OS, os_by_id((enum os_id)os)->name, "--only", false);
			const struct raw_layer *layers[] = {&flags, &env, &tl, &file_top};
			spec_defaults(&s);
			s.packer_builder = builder;
			spec_fill(&ctx, &s, layers, 4);
			check_spec(&ctx, &s, layers, 4, NULL);
			spec_copy_into_plan(plan, &s);
			raw_layer_free(&tl);
		}
	} else if (!cf.has_targets) {
		const struct raw_layer *layers[] = {&flags, &env, &file_top};
		struct build_spec s;
		spec_defaults(&s);
		spec_fill(&ctx, &s, layers, 3);
		const char *builder = NULL;
		if (g.only && !only_selects(g.only, s.os, &builder))
			problemf(&problems, "--only: no pattern selects --os %s", os_by_id(s.os)->name);
		s.packer_builder = builder;
		check_spec(&ctx, &s, layers, 3, NULL);
		spec_copy_into_plan(plan, &s);
	} else {
		for (size_t t = 0; t < n_targets; t++) {
			struct raw_layer tl = {0};
			struct build_spec s;
			layer_from_config(&cf.targets[t], &tl, &problems);
			const struct raw_layer *layers[] = {&flags, &env, &tl, &file_top};
			spec_defaults(&s);
			spec_fill(&ctx, &s, layers, 4);
			const char *builder = NULL;
			if (!only_selects(g.only, s.os, &builder)) {
				build_spec_free(&s);
				raw_layer_free(&tl);
				continue;
			}
			s.packer_builder = builder;
			check_spec(&ctx, &s, layers, 4, cf.targets[t].origin);
			spec_copy_into_plan(plan, &s);
			raw_layer_free(&tl);
		}
		if (plan->n_specs == 0 && !problems)
			problemf(&problems, "--only: no target of %s matches", g.config);
	}
	/* Two targets must not write the same files. */
	for (unsigned i = 0; i < plan->n_specs; i++)
		for (unsigned j = i + 1; j < plan->n_specs; j++) {
			const struct build_spec *a = &plan->specs[i], *b = &plan->specs[j];
			if (a->os == b->os && a->arch == b->arch && !strcmp(a->name, b->name) &&
			    !strcmp(a->output_dir, b->output_dir) && !strcmp(a->k8s_version, b->k8s_version))
				problemf(&problems, "targets %u and %u both build %s %s into %s/%s: give one a different name",
					 i + 1, j + 1, os_by_id(a->os)->name, arch_by_id(a->arch)->name, a->output_dir, a->name);
		}

	if (problems) {
		_cleanup_free_ char *msg = log_problem_lines(problems);
		err_usage("%s", msg);
		build_plan_free(plan);
		r = -EINVAL;
	}
out:
	strv_free(problems);
	raw_layer_free(&flags);
	raw_layer_free(&env);
	raw_layer_free(&file_top);
	config_free(&cf);
	free(g.config);
	strv_free(g.only);
	free(g.log_format);
	return r;
}

/* Every string a spec owns, for copy and free. */
#define SPEC_N_STRINGS 34
static void spec_strings(struct build_spec *s, char **out[SPEC_N_STRINGS])
{
	char **strings[SPEC_N_STRINGS] = {
	    &s->name,		  &s->iso,		    &s->k8s_version,	       &s->region,
	    &s->nodeadm_version,  &s->nodeadm_url,	    &s->manifest_override,     &s->proxy,
	    &s->no_proxy,	  &s->output_dir,	    &s->ssh_password,	       &s->rh_username,
	    &s->rh_password,	  &s->rh_org,		    &s->rh_activation_key,     &s->autoinstall_file,
	    &s->kickstart_file,	  &s->libvirt_uri,	    &s->network,	       &s->vmx_version,
	    &s->sign_key,	  &s->sign_cert,	    &s->vsphere.server,	       &s->vsphere.user,
	    &s->vsphere.password, &s->vsphere.datacenter,   &s->vsphere.cluster,       &s->vsphere.datastore,
	    &s->vsphere.network,  &s->vsphere.folder,	    &s->vsphere.resource_pool, &s->vsphere.content_library,
	    &s->vsphere.ca_file,  &s->nodeadm_sha256,
	};
	memcpy(out, strings, sizeof(strings));
}

void build_spec_copy(struct build_spec *dst, const struct build_spec *src)
{
	*dst = *src;
	char **strings[SPEC_N_STRINGS];
	spec_strings(dst, strings);
	for (unsigned i = 0; i < SPEC_N_STRINGS; i++)
		*strings[i] = xstrdup(*strings[i]);
	dst->iso_checksum.hex = xstrdup(src->iso_checksum.hex);
	dst->iso_checksum.file_ref = xstrdup(src->iso_checksum.file_ref);
	dst->late_commands = strv_copy(src->late_commands);
	dst->provision_scripts = strv_copy(src->provision_scripts);
	dst->guest_forwards = strv_copy(src->guest_forwards);
	dst->k8s_versions = strv_copy(src->k8s_versions);
}

void build_spec_free(struct build_spec *s)
{
	char **strings[SPEC_N_STRINGS];
	spec_strings(s, strings);
	for (unsigned i = 0; i < SPEC_N_STRINGS; i++)
		free(*strings[i]);
	strv_free(s->k8s_versions);
	checksum_free(&s->iso_checksum);
	strv_free(s->late_commands);
	strv_free(s->provision_scripts);
	strv_free(s->guest_forwards);
	memset(s, 0, sizeof(*s));
}

void build_plan_free(struct build_plan *plan)
{
	for (unsigned i = 0; i < plan->n_specs; i++)
		build_spec_free(&plan->specs[i]);
	free(plan->specs);
	free(plan->config_file);
	memset(plan, 0, sizeof(*plan));
}

/* ---- checksums ---- */

const char *checksum_algo_name(enum checksum_algo a)
{
	switch (a) {
	case CHECKSUM_MD5: return "md5";
	case CHECKSUM_SHA1: return "sha1";
	case CHECKSUM_SHA256: return "sha256";
	case CHECKSUM_SHA512: return "sha512";
	case CHECKSUM_FILE: return "file";
	default: return "none";
	}
}

static size_t algo_hex_len(enum checksum_algo a)
{
	switch (a) {
	case CHECKSUM_MD5: return 32;
	case CHECKSUM_SHA1: return 40;
	case CHECKSUM_SHA256: return 64;
	case CHECKSUM_SHA512: return 128;
	default: return 0;
	}
}

static enum checksum_algo algo_by_name(const char *name, size_t n)
{
	static const enum checksum_algo algos[] = {CHECKSUM_MD5, CHECKSUM_SHA1, CHECKSUM_SHA256, CHECKSUM_SHA512};
	for (unsigned i = 0; i < ARRAY_SIZE(algos); i++)
		if (strlen(checksum_algo_name(algos[i])) == n && !strncasecmp(name, checksum_algo_name(algos[i]), n))
			return algos[i];
	return CHECKSUM_NONE;
}

int checksum_parse(const char *text, const char *input, struct checksum *out)
{
	memset(out, 0, sizeof(*out));
	if (str_empty(text))
		return err_usage("%s: empty checksum", input);
	if (!strcasecmp(text, "none"))
		return 0;
	const char *colon = strchr(text, ':');
	enum checksum_algo algo = CHECKSUM_NONE;
	const char *hex = text;
	if (colon) {
		size_t n = (size_t)(colon - text);
		if (n == 4 && !strncasecmp(text, "file", 4)) {
			if (str_empty(colon + 1))
				return err_usage("%s: 'file:' needs a URL or path of a checksum file", input);
			const char *ref = colon + 1;
			if (strstr(ref, "://") && !str_startswith(ref, "https://") && !str_startswith(ref, "http://") &&
			    !str_startswith(ref, "file://"))
				return err_usage("%s: 'file:%s': a checksum file is a path or an https URL", input, ref);
			out->algo = CHECKSUM_FILE;
			out->file_ref = xstrdup(ref);
			return 0;
		}
		algo = algo_by_name(text, n);
		if (algo == CHECKSUM_NONE)
			return err_usage("%s: unknown checksum algorithm '%.*s' (use sha256, sha512, sha1, md5 or file)",
					 input, (int)n, text);
		hex = colon + 1;
	}
	size_t len = strlen(hex);
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return err_usage("%s: malformed checksum: '%c' is not a hex digit", input, hex[i]);
	if (algo == CHECKSUM_NONE) {
		switch (len) {
		case 32: algo = CHECKSUM_MD5; break;
		case 40: algo = CHECKSUM_SHA1; break;
		case 64: algo = CHECKSUM_SHA256; break;
		case 128: algo = CHECKSUM_SHA512; break;
		default:
			return err_usage("%s: malformed checksum: %zu hex digits match no algorithm (32 md5, 40 sha1, "
					 "64 sha256, 128 sha512)",
					 input, len);
		}
	} else if (len != algo_hex_len(algo)) {
		return err_usage("%s: malformed checksum: %s needs %zu hex digits, got %zu", input,
				 checksum_algo_name(algo), algo_hex_len(algo), len);
	}
	out->algo = algo;
	out->hex = xstrdup(hex);
	for (char *p = out->hex; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

void checksum_free(struct checksum *c)
{
	free(c->hex);
	free(c->file_ref);
	memset(c, 0, sizeof(*c));
}

/* ---- names and descriptions ---- */

const char *credential_provider_name(enum credential_provider p) { return p == CRED_IAM_RA ? "iam-ra" : "ssm"; }

const char *containerd_source_name(const struct build_spec *spec)
{
	if (spec->containerd_source == CONTAINERD_DEFAULT)
		return os_by_id(spec->os)->family == FAMILY_RHEL ? "docker" : "distro";
	return containerd_names[spec->containerd_source];
}

const char *firmware_name(enum firmware_kind f) { return firmware_names[f]; }
const char *accel_name(enum accel_kind a) { return accel_names[a]; }
const char *on_error_name(enum on_error_kind o) { return on_error_names[o]; }

static void yaml_str(struct strbuf *sb, const char *key, const char *v)
{
	if (!v)
		return;
	sb_addf(sb, "  %s: \"", key);
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_addc(sb, '\\');
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			sb_addf(sb, "\\x%02x", (unsigned char)*p);
		else
			sb_addc(sb, *p);
	}
	sb_adds(sb, "\"\n");
}

static void yaml_secret(struct strbuf *sb, const char *key, const char *v)
{
	if (v)
		sb_addf(sb, "  %s: \"********\"\n", key);
}

char *spec_describe(const struct build_spec *s)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	const struct os_info *os = os_by_id(s->os);
	sb_addf(&sb, "- os: %s  # %s\n", os->name, os->pretty);
	sb_addf(&sb, "  arch: %s\n", arch_by_id(s->arch)->name);
	sb_adds(&sb, "  formats: [");
	for (unsigned bit = 1, first = 1; bit <= FORMAT_OVA; bit <<= 1)
		if (s->formats & bit) {
			sb_addf(&sb, "%s%s", first ? "" : ", ", format_name(bit));
			first = 0;
		}
	sb_adds(&sb, "]\n");
	if (s->packer_builder)
		sb_addf(&sb, "  packer-build: general-build.%s.%s\n", s->packer_builder, os->name);
	yaml_str(&sb, "name", s->name);
	yaml_str(&sb, "iso", s->iso);
	if (s->iso_checksum.algo != CHECKSUM_NONE) {
		/* a file: reference is the user's text: quoted like every value */
		_cleanup_free_ char *ck = NULL;
		if (asprintf(&ck, "%s:%s", s->iso_checksum.algo == CHECKSUM_FILE ? "file" : checksum_algo_name(s->iso_checksum.algo),
			     s->iso_checksum.algo == CHECKSUM_FILE ? s->iso_checksum.file_ref : s->iso_checksum.hex) < 0)
			abort();
		yaml_str(&sb, "iso-checksum", ck);
	}
	yaml_str(&sb, "k8s-version", s->k8s_version);
	sb_addf(&sb, "  credential-provider: %s\n", credential_provider_name(s->credential_provider));
	sb_addf(&sb, "  containerd-source: %s\n", containerd_source_name(s));
	yaml_str(&sb, "region", s->region);
	yaml_str(&sb, "nodeadm-version", s->nodeadm_version);
	yaml_str(&sb, "nodeadm-url", s->nodeadm_url);
	yaml_str(&sb, "nodeadm-sha256", s->nodeadm_sha256);
	yaml_str(&sb, "manifest-override", s->manifest_override);
	if (s->private_mode)
		sb_adds(&sb, "  private-mode: true\n");
	yaml_str(&sb, "proxy", s->proxy);
	yaml_str(&sb, "no-proxy", s->no_proxy);
	yaml_str(&sb, "output-dir", s->output_dir);
	sb_addf(&sb, "  disk-size: %lluM\n", (unsigned long long)(s->disk_size >> 20));
	sb_addf(&sb, "  memory: %lluM\n", (unsigned long long)s->memory_mib);
	sb_addf(&sb, "  cpus: %u\n", s->cpus);
	sb_addf(&sb, "  accel: %s\n", accel_name(s->accel));
	sb_addf(&sb, "  firmware: %s\n", firmware_name(s->firmware));
	sb_addf(&sb, "  timeout: %us\n", s->timeout);
	sb_addf(&sb, "  stall-timeout: %us\n", s->stall_timeout);
	sb_addf(&sb, "  on-error: %s\n", on_error_name(s->on_error));
	yaml_str(&sb, "autoinstall", s->autoinstall_file);
	yaml_str(&sb, "kickstart", s->kickstart_file);
	for (size_t i = 0; s->late_commands && s->late_commands[i]; i++)
		yaml_str(&sb, i ? "late-command+" : "late-command", s->late_commands[i]);
	for (size_t i = 0; s->provision_scripts && s->provision_scripts[i]; i++)
		yaml_str(&sb, i ? "provision-script+" : "provision-script", s->provision_scripts[i]);
	yaml_secret(&sb, "ssh-password", s->ssh_password);
	yaml_str(&sb, "rh-username", s->rh_username);
	yaml_secret(&sb, "rh-password", s->rh_password);
	yaml_str(&sb, "rh-org", s->rh_org);
	yaml_secret(&sb, "rh-activation-key", s->rh_activation_key);
	yaml_str(&sb, "libvirt-uri", s->libvirt_uri);
	sb_addf(&sb, "  libvirt-timeout: %us\n", s->libvirt_timeout);
	yaml_str(&sb, "network", s->network);
	if (s->restrict_network)
		sb_adds(&sb, "  restrict-network: true\n");
	for (size_t i = 0; s->guest_forwards && s->guest_forwards[i]; i++)
		yaml_str(&sb, "guest-forward", s->guest_forwards[i]);
	if (s->formats & FORMAT_OVA)
		yaml_str(&sb, "vmx-version", s->vmx_version);
	if (s->formats & FORMAT_QCOW2)
		sb_addf(&sb, "  qcow2-compat: %s\n", qcow2_compat_names[s->qcow2_compat]);
	yaml_str(&sb, "sign-key", s->sign_key);
	yaml_str(&sb, "sign-cert", s->sign_cert);
	if (s->publish) {
		sb_adds(&sb, "  publish: true\n");
		yaml_str(&sb, "vsphere-server", s->vsphere.server);
		yaml_str(&sb, "vsphere-user", s->vsphere.user);
		yaml_secret(&sb, "vsphere-password", s->vsphere.password);
		yaml_str(&sb, "vsphere-datacenter", s->vsphere.datacenter);
		yaml_str(&sb, "vsphere-cluster", s->vsphere.cluster);
		yaml_str(&sb, "vsphere-datastore", s->vsphere.datastore);
		yaml_str(&sb, "vsphere-network", s->vsphere.network);
		yaml_str(&sb, "vsphere-folder", s->vsphere.folder);
	}
	/* Belt and braces: nothing registered as secret leaves here. */
	char *out = log_redact(sb_str(&sb));
	sb_release(&sb);
	return out;
}

char *spec_flags_help(void)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (int i = 0; i < S__COUNT; i++) {
		const struct setting *s = &settings[i];
		if (s->flags & SF_SECRET)
			continue;
		char left[64];
		if (s->metavar)
			snprintf(left, sizeof(left), "--%s %s", s->key, s->metavar);
		else
			snprintf(left, sizeof(left), "--%s", s->key);
		sb_addf(&sb, "  %-34s %s", left, s->help);
		if (s->env[0]) {
			sb_addf(&sb, " [%s", s->env[0]);
			for (int e = 1; e < 3 && s->env[e]; e++)
				sb_addf(&sb, ", %s", s->env[e]);
			sb_adds(&sb, "]");
		}
		sb_addc(&sb, '\n');
	}
	return sb_detach(&sb, NULL);
}

char *spec_env_help(void)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (int i = 0; i < S__COUNT; i++) {
		const struct setting *s = &settings[i];
		if (!(s->flags & SF_SECRET))
			continue;
		sb_addf(&sb, "  %-34s %s (secret: environment or --%s-file only)\n", s->env[0], s->help, s->key);
	}
	return sb_detach(&sb, NULL);
}
