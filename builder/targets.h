/* targets.h — the fixed table of what hnbuild can build: operating systems,
 * architectures, output formats, and their Packer-compatible names. */
#pragma once

#include <stdbool.h>

enum os_id { OS_UBUNTU20, OS_UBUNTU22, OS_UBUNTU24, OS_RHEL8, OS_RHEL9, OS__COUNT };
enum os_family { FAMILY_UBUNTU, FAMILY_RHEL };
enum arch_id { ARCH_AMD64, ARCH_ARM64, ARCH__COUNT };
enum format_bits { FORMAT_QCOW2 = 1u << 0, FORMAT_RAW = 1u << 1, FORMAT_OVA = 1u << 2 };
#define FORMAT_ALL (FORMAT_QCOW2 | FORMAT_RAW | FORMAT_OVA)

struct os_info {
	enum os_id id;
	const char *name;           /* "ubuntu24" */
	enum os_family family;
	const char *release;        /* "24.04", "9" */
	const char *pretty;         /* "Ubuntu 24.04 LTS" */
	const char *default_iso_url;      /* NULL: the user must give --iso */
	const char *default_iso_checksum; /* "sha256:..." for default_iso_url */
	const char *vmware_guest_id;      /* vmw:osType for amd64 */
	const char *vmware_guest_id_arm;  /* vmw:osType for arm64 (unofficial) */
	int cim_os_id;                    /* ovf:id of OperatingSystemSection */
	bool in_aws_templates;            /* the AWS Packer templates build it */
};

struct arch_info {
	enum arch_id id;
	const char *name;     /* "amd64" */
	const char *uname;    /* "x86_64" */
	const char *nodeadm;  /* "amd64" in the nodeadm URL */
	const char *packer;   /* "amd" as in NODEADM_ARCH */
};

const struct os_info *os_by_id(enum os_id id);
/* Accepts the os ids and common aliases (ubuntu-24.04, rhel-9, ...). */
const struct os_info *os_lookup(const char *name);
const struct arch_info *arch_by_id(enum arch_id id);
/* Accepts amd64/arm64, amd/arm, x86_64/aarch64. */
const struct arch_info *arch_lookup(const char *name);
const char *format_name(unsigned bit);
/* One format name -> its bit, or 0 when unknown. "all" gives FORMAT_ALL. */
unsigned format_lookup(const char *name);

/* Packer build names: "general-build.qemu.ubuntu22". builder is "qemu",
 * "vsphere-iso" or "amazon-ebs". */
void packer_build_name(char *buf, unsigned len, const char *builder, enum os_id os);
/* Does the glob pattern (fnmatch, like Packer's -only) select this target?
 * A pattern matches either "general-build.<builder>.<os>" for any builder,
 * "<builder>.<os>", or a bare os name. */
bool packer_pattern_matches(const char *pattern, enum os_id os, const char **builder_out);
/* Is the pattern well-formed and can it match anything at all? */
bool packer_pattern_valid(const char *pattern);
