/* ovf.h — the OVF 1.x descriptor of an hnbuild OVA, filled from the data
 * file formats/templates/envelope.ovf with escaped values: one VM, one
 * streamOptimized disk, vmxnet3 on a named network, firmware, and the
 * guestinfo.userdata/metadata properties a deployer sets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "targets.h"

#define OVF_DEFAULT_VMX "vmx-17"      /* ESXi 7.0 and every later release */
#define OVF_DEFAULT_NETWORK "VM Network"

enum ovf_controller { OVF_CTRL_PVSCSI, OVF_CTRL_LSILOGIC, OVF_CTRL_SATA, OVF_CTRL_NVME };

struct ovf_params {
	const char *vm_name;          /* VirtualSystem id and Name */
	const char *disk_href;        /* the VMDK's name inside the OVA */
	uint64_t disk_file_size;      /* its exact size in bytes */
	uint64_t capacity;            /* virtual disk size in bytes */
	enum os_id os;
	enum arch_id arch;
	const char *os_type;          /* vmw:osType; NULL = from the target table */
	const char *vmx_version;      /* "vmx-19" or "19"; NULL = OVF_DEFAULT_VMX */
	unsigned cpus;
	uint64_t memory_mib;
	const char *network;          /* NULL = OVF_DEFAULT_NETWORK */
	enum ovf_controller controller;
	bool uefi;
	const char *product;          /* NULL = "EKS Hybrid Nodes node image" */
	const char *version;          /* e.g. Kubernetes version; NULL = "" */
	const char *full_version;     /* NULL = "" */
	const char *annotation;       /* NULL = a generated line */
};

/* Validate p and render the descriptor. Errors name the bad setting. */
int ovf_render(const struct ovf_params *p, char **xml, size_t *len);
/* "vmx-17" or "17" -> "vmx-17" in buf; -EINVAL unless 4 <= N <= 99. */
int ovf_normalize_vmx(const char *in, char buf[16]);
/* "pvscsi", "lsilogic", "sata", "nvme". */
int ovf_controller_lookup(const char *name, enum ovf_controller *out);
