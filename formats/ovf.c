/* ovf.c — fills the OVF envelope template (formats/templates/envelope.ovf)
 * for one VM; libxml2 escapes every value. */
#include "ovf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "embedded.h"
#include "err.h"
#include "spec.h"
#include "tmpl.h"
#include "util.h"

int ovf_normalize_vmx(const char *in, char buf[16])
{
	if (!in)
		in = OVF_DEFAULT_VMX;
	const char *num = str_startswith(in, "vmx-") ? in + 4 : in;
	unsigned long long n;
	if (parse_uint(num, 4, 99, &n) < 0)
		return -EINVAL;
	snprintf(buf, 16, "vmx-%llu", n);
	return 0;
}

int ovf_controller_lookup(const char *name, enum ovf_controller *out)
{
	static const char *const names[] = {"pvscsi", "lsilogic", "sata", "nvme"};
	for (unsigned i = 0; name && i < ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum ovf_controller)i;
			return 0;
		}
	return -EINVAL;
}

static const struct {
	const char *type, *subtype, *description;
} controllers[] = {
	[OVF_CTRL_PVSCSI] = {"6", "VirtualSCSI", "SCSI controller"},
	[OVF_CTRL_LSILOGIC] = {"6", "lsilogic", "SCSI controller"},
	[OVF_CTRL_SATA] = {"20", "vmware.sata.ahci", "SATA controller"},
	[OVF_CTRL_NVME] = {"20", "vmware.nvme.controller", "NVMe controller"},
};

int ovf_render(const struct ovf_params *p, char **xml, size_t *len)
{
	const struct os_info *os = os_by_id(p->os);
	const struct arch_info *arch = arch_by_id(p->arch);
	if (!os || !arch)
		return err_fail(-EINVAL, "OVF: unknown operating system or architecture");
	if (str_empty(p->vm_name) || str_empty(p->disk_href))
		return err_fail(-EINVAL, "OVF: the VM name and the disk file name are required");
	if (strchr(p->disk_href, '/'))
		return err_fail(-EINVAL, "OVF: disk file name \"%s\" must be a flat name", p->disk_href);
	if (p->cpus == 0 || p->memory_mib == 0 || p->capacity == 0)
		return err_fail(-EINVAL, "OVF: CPUs, memory and disk capacity must be positive");
	if ((unsigned)p->controller >= ARRAY_SIZE(controllers))
		return err_fail(-EINVAL, "OVF: unknown disk controller");
	char vmx[16];
	if (ovf_normalize_vmx(p->vmx_version, vmx) < 0)
		return err_usage("--vmx-version: \"%s\" is not a VMware hardware version (vmx-13 ... vmx-21)",
				 p->vmx_version);
	const char *os_type = p->os_type ? p->os_type
				: p->arch == ARCH_ARM64 ? os->vmware_guest_id_arm
							: os->vmware_guest_id;
	char size_s[24], cap_s[24], cpus_s[16], mem_s[24], osid_s[16];
	snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)p->disk_file_size);
	snprintf(cap_s, sizeof(cap_s), "%llu", (unsigned long long)p->capacity);
	snprintf(cpus_s, sizeof(cpus_s), "%u", p->cpus);
	snprintf(mem_s, sizeof(mem_s), "%llu", (unsigned long long)p->memory_mib);
	/* CIM has no Arm ids: 101 "Linux 64-Bit" is the honest generic one. */
	snprintf(osid_s, sizeof(osid_s), "%d", p->arch == ARCH_ARM64 ? 101 : os->cim_os_id);
	_cleanup_free_ char *desc = NULL, *annotation = NULL;
	if (asprintf(&desc, "%s (%s)", os->pretty, arch->uname) < 0 ||
	    asprintf(&annotation, "EKS Hybrid Nodes image: %s %s, built by hnbuild %s", os->pretty, arch->name,
		     HNBUILD_VERSION) < 0)
		return err_fail(-ENOMEM, "Out of memory");
	const struct tmpl_var vars[] = {
		{"disk_href", p->disk_href},
		{"disk_file_size", size_s},
		{"capacity", cap_s},
		{"network", p->network ? p->network : OVF_DEFAULT_NETWORK},
		{"vm_name", p->vm_name},
		{"cim_os_id", osid_s},
		{"os_type", os_type},
		{"os_description", desc},
		{"vmx", vmx},
		{"cpus", cpus_s},
		{"memory_mib", mem_s},
		{"controller_type", controllers[p->controller].type},
		{"controller_subtype", controllers[p->controller].subtype},
		{"controller_description", controllers[p->controller].description},
		{"annotation", p->annotation ? p->annotation : annotation},
		{"product", p->product ? p->product : "EKS Hybrid Nodes node image"},
		{"vendor", "hnbuild"},
		{"version", p->version ? p->version : ""},
		{"full_version", p->full_version ? p->full_version : ""},
		{NULL, NULL},
	};
	const char *const flags[] = {p->uefi ? "uefi" : "bios", NULL};
	size_t tlen = 0;
	const char *t = embedded_get("formats/templates/envelope.ovf", &tlen);
	if (!t)
		return err_fail(-ENOENT, "Embedded template formats/templates/envelope.ovf is missing");
	return tmpl_xml(t, tlen, vars, flags, xml, len);
}
