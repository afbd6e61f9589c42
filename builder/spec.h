/* spec.h — the validated description of one build: what the user asked for
 * through flags, environment (including the AWS Packer templates' variables)
 * and hnbuild.yaml, resolved with precedence flag > env > file > default. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "targets.h"

enum checksum_algo { CHECKSUM_NONE, CHECKSUM_MD5, CHECKSUM_SHA1, CHECKSUM_SHA256, CHECKSUM_SHA512, CHECKSUM_FILE };
struct checksum {
	enum checksum_algo algo;
	char *hex;       /* lowercase hex digest (not for CHECKSUM_FILE) */
	char *file_ref;  /* CHECKSUM_FILE: URL or path of a checksum file */
	enum checksum_algo file_algo; /* algorithm named by "file:" prefix, or NONE = by length */
};
/* Parses sha256:HEX, sha512:, sha1:, md5:, file:URL-or-path, bare hex (algo by
 * length), "none". On error records an err_usage naming `input`. */
int checksum_parse(const char *text, const char *input, struct checksum *out);
const char *checksum_algo_name(enum checksum_algo a);
void checksum_free(struct checksum *c);

enum firmware_kind { FIRMWARE_AUTO, FIRMWARE_BIOS, FIRMWARE_UEFI };
enum accel_kind { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };
enum on_error_kind { ON_ERROR_CLEANUP, ON_ERROR_ABORT, ON_ERROR_KEEP };
enum credential_provider { CRED_SSM, CRED_IAM_RA };
enum containerd_source { CONTAINERD_DEFAULT, CONTAINERD_NONE, CONTAINERD_DISTRO, CONTAINERD_DOCKER };
enum qcow2_compat { QCOW2_COMPAT_DEFAULT, QCOW2_COMPAT_ZLIB, QCOW2_COMPAT_ZSTD, QCOW2_COMPAT_NONE };

struct vsphere_settings {
	char *server, *user, *password; /* password is a secret */
	char *datacenter, *cluster, *datastore, *network, *folder;
	char *resource_pool, *content_library, *ca_file;
	bool insecure, force, template_;
};

struct build_spec {
	char *name;                 /* output base name, default "eks-hybrid" */
	enum os_id os;
	enum arch_id arch;
	unsigned formats;           /* FORMAT_* bits, at least one */
	char *iso;                  /* local path or https URL */
	struct checksum iso_checksum;
	char *k8s_version;          /* "1.31" or "1.31.2" */
	char **k8s_versions;        /* while resolving: the whole --k8s-version list (NULL after) */
	enum credential_provider credential_provider;
	enum containerd_source containerd_source; /* DEFAULT: distro on Ubuntu, docker on RHEL */
	char *region;
	char *nodeadm_version;      /* pinned default, never "latest" unless asked */
	char *nodeadm_url;          /* mirror base URL or full URL for air-gapped builds; NULL = official */
	char *nodeadm_sha256;       /* --nodeadm-sha256: the digest to trust (lowercase hex), or NULL */
	char *manifest_override;    /* nodeadm install --manifest-override */
	bool private_mode;
	char *proxy;                /* http(s) proxy URL for the guest, or NULL */
	char *no_proxy;
	char *output_dir;
	uint64_t disk_size;         /* bytes */
	uint64_t memory_mib;
	unsigned cpus;
	enum accel_kind accel;
	enum firmware_kind firmware; /* resolved: never AUTO after spec_resolve */
	unsigned timeout;           /* seconds, whole build */
	unsigned stall_timeout;     /* seconds of install without console output or disk writes; 0 = never */
	enum on_error_kind on_error;
	char *ssh_password;         /* secret: PKR_SSH_PASSWORD compatibility, NULL = per-build key only */
	char *rh_username;
	char *rh_password;          /* secret */
	char *rh_org;
	char *rh_activation_key;    /* secret */
	char *autoinstall_file;     /* user's own autoinstall, replaces ours */
	char *kickstart_file;       /* user's own kickstart, replaces ours */
	char **late_commands;       /* extra late-commands / %post lines */
	char **provision_scripts;   /* run in order inside the guest */
	char *libvirt_uri;          /* default qemu:///system */
	unsigned libvirt_timeout;   /* seconds each libvirt call may take (machine.h) */
	char *network;              /* libvirt network name; NULL = user-mode networking */
	bool restrict_network;      /* user-mode networking with restrict=on (no outbound traffic) */
	char **guest_forwards;      /* "10.0.2.100:80=127.0.0.1:8080": guest connects -> host loopback */
	char *vmx_version;          /* OVA: "vmx-17" style or NULL for default */
	enum qcow2_compat qcow2_compat;
	char *sign_key, *sign_cert; /* OVA signing */
	bool publish;
	struct vsphere_settings vsphere;
	bool no_cache;              /* --no-cache: no installed base from or into the cache */
	bool resume;                /* --resume: say where the build continues */
	const char *packer_builder; /* "qemu"/"vsphere-iso"/... when chosen by --only, else NULL */
};

/* A resolved set of builds (several when hnbuild.yaml lists targets or
 * --only matches several). */
struct build_plan {
	struct build_spec *specs;
	unsigned n_specs;
	int verbosity;              /* -1 quiet, 0, 1+ verbose */
	int log_format;             /* enum log_format */
	char *config_file;
};

/* Where settings come from. env is an environ-style NULL-terminated array
 * (tests pass their own). argv holds only the flags (after the subcommand). */
struct spec_sources {
	int argc;
	char **argv;
	char **env;
	const char *command;        /* "build" or "validate": picks required settings */
};

/* Parse flags, read the environment and the build file, apply defaults and
 * validate. On any problem returns -EINVAL with every problem, one per line,
 * in err_message() (exit 2). Returns 1 when --help was asked (nothing else
 * done). */
int spec_resolve(const struct spec_sources *src, struct build_plan *plan);
void build_plan_free(struct build_plan *plan);
void build_spec_free(struct build_spec *spec);
/* A deep copy of src (every string and list duplicated). */
void build_spec_copy(struct build_spec *dst, const struct build_spec *src);

/* The resolved spec as YAML with every secret masked as "********". */
char *spec_describe(const struct build_spec *spec);
/* Take every secret setting's variables (RH_PASSWORD, PKR_SSH_PASSWORD,
 * RH_ACTIVATION_KEY, VSPHERE_PASSWORD, HNBUILD_PROXY, their HNBUILD_ forms)
 * out of the environment, once spec_resolve has read them, so that no tool
 * hnbuild starts inherits them. */
void spec_scrub_environment(void);
/* Names for printing. */
const char *credential_provider_name(enum credential_provider p);
const char *containerd_source_name(const struct build_spec *spec); /* resolves DEFAULT */
const char *firmware_name(enum firmware_kind f);
const char *accel_name(enum accel_kind a);
const char *on_error_name(enum on_error_kind o);

/* Flag help for `build`/`validate` --help: one line per setting, generated
 * from the same table the parser uses, so it cannot drift. */
char *spec_flags_help(void);
/* The environment variables recognised, with their meaning, for --help. */
char *spec_env_help(void);

#define HNBUILD_VERSION "0.1.0"
