/* targets.c — the table of operating systems, architectures and formats
 * hnbuild builds, and the Packer-compatible build names that select them. */
#include "targets.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"

/* Ubuntu's default ISOs are verified against the release's SHA256SUMS,
 * fetched over verified TLS from the same host (file: checksum). RHEL has no
 * public download URL: --iso is required. */
static const struct os_info os_table[OS__COUNT] = {
	[OS_UBUNTU20] = {OS_UBUNTU20, "ubuntu20", FAMILY_UBUNTU, "20.04", "Ubuntu 20.04 LTS",
			 "https://releases.ubuntu.com/20.04.6/ubuntu-20.04.6-live-server-amd64.iso",
			 "file:https://releases.ubuntu.com/20.04.6/SHA256SUMS", "ubuntu64Guest",
			 "arm-ubuntu-64", 94, false},
	[OS_UBUNTU22] = {OS_UBUNTU22, "ubuntu22", FAMILY_UBUNTU, "22.04", "Ubuntu 22.04 LTS",
			 "https://releases.ubuntu.com/22.04.5/ubuntu-22.04.5-live-server-amd64.iso",
			 "file:https://releases.ubuntu.com/22.04.5/SHA256SUMS", "ubuntu64Guest",
			 "arm-ubuntu-64", 94, true},
	[OS_UBUNTU24] = {OS_UBUNTU24, "ubuntu24", FAMILY_UBUNTU, "24.04", "Ubuntu 24.04 LTS",
			 "https://releases.ubuntu.com/24.04.3/ubuntu-24.04.3-live-server-amd64.iso",
			 "sha256:c3514bf0056180d09376462a7a1b4f213c1d6e8ea67fae5c25099c6fd3d8274b",
			 "ubuntu64Guest", "arm-ubuntu-64", 94, true},
	[OS_RHEL8] = {OS_RHEL8, "rhel8", FAMILY_RHEL, "8", "Red Hat Enterprise Linux 8", NULL, NULL,
		      "rhel8_64Guest", "arm-rhel9-64", 80, true},
	[OS_RHEL9] = {OS_RHEL9, "rhel9", FAMILY_RHEL, "9", "Red Hat Enterprise Linux 9", NULL, NULL,
		      "rhel9_64Guest", "arm-rhel9-64", 80, true},
};

static const struct arch_info arch_table[ARCH__COUNT] = {
	[ARCH_AMD64] = {ARCH_AMD64, "amd64", "x86_64", "amd64", "amd"},
	[ARCH_ARM64] = {ARCH_ARM64, "arm64", "aarch64", "arm64", "arm"},
};

const struct os_info *os_by_id(enum os_id id)
{
	return (unsigned)id < OS__COUNT ? &os_table[id] : NULL;
}

const struct os_info *os_lookup(const char *name)
{
	static const struct {
		const char *alias;
		enum os_id id;
	} aliases[] = {
		{"ubuntu-20.04", OS_UBUNTU20}, {"ubuntu2004", OS_UBUNTU20}, {"focal", OS_UBUNTU20},
		{"ubuntu-22.04", OS_UBUNTU22}, {"ubuntu2204", OS_UBUNTU22}, {"jammy", OS_UBUNTU22},
		{"ubuntu-24.04", OS_UBUNTU24}, {"ubuntu2404", OS_UBUNTU24}, {"noble", OS_UBUNTU24},
		{"rhel-8", OS_RHEL8}, {"rhel-9", OS_RHEL9},
	};
	if (!name)
		return NULL;
	for (unsigned i = 0; i < OS__COUNT; i++)
		if (strcasecmp(name, os_table[i].name) == 0)
			return &os_table[i];
	for (unsigned i = 0; i < ARRAY_SIZE(aliases); i++)
		if (strcasecmp(name, aliases[i].alias) == 0)
			return &os_table[aliases[i].id];
	return NULL;
}

const struct arch_info *arch_by_id(enum arch_id id)
{
	return (unsigned)id < ARCH__COUNT ? &arch_table[id] : NULL;
}

const struct arch_info *arch_lookup(const char *name)
{
	if (!name)
		return NULL;
	for (unsigned i = 0; i < ARCH__COUNT; i++) {
		const struct arch_info *a = &arch_table[i];
		if (!strcasecmp(name, a->name) || !strcasecmp(name, a->uname) || !strcasecmp(name, a->packer))
			return a;
	}
	return NULL;
}

const char *format_name(unsigned bit)
{
	switch (bit) {
	case FORMAT_QCOW2: return "qcow2";
	case FORMAT_RAW: return "raw";
	case FORMAT_OVA: return "ova";
	default: return NULL;
	}
}

unsigned format_lookup(const char *name)
{
	if (!name)
		return 0;
	if (!strcasecmp(name, "qcow2"))
		return FORMAT_QCOW2;
	if (!strcasecmp(name, "raw") || !strcasecmp(name, "img"))
		return FORMAT_RAW;
	if (!strcasecmp(name, "ova"))
		return FORMAT_OVA;
	if (!strcasecmp(name, "all"))
		return FORMAT_ALL;
	return 0;
}

static const char *const packer_builders[] = {"qemu", "vsphere-iso", "amazon-ebs"};

void packer_build_name(char *buf, unsigned len, const char *builder, enum os_id os)
{
	snprintf(buf, len, "general-build.%s.%s", builder, os_table[os].name);
}

bool packer_pattern_matches(const char *pattern, enum os_id os, const char **builder_out)
{
	for (unsigned b = 0; b < ARRAY_SIZE(packer_builders); b++) {
		char full[96], short_[64];
		packer_build_name(full, sizeof(full), packer_builders[b], os);
		snprintf(short_, sizeof(short_), "%s.%s", packer_builders[b], os_table[os].name);
		if (fnmatch(pattern, full, 0) == 0 || fnmatch(pattern, short_, 0) == 0 ||
		    fnmatch(pattern, os_table[os].name, 0) == 0) {
			if (builder_out)
				*builder_out = packer_builders[b];
			return true;
		}
	}
	return false;
}

bool packer_pattern_valid(const char *pattern)
{
	if (!pattern || !*pattern)
		return false;
	for (unsigned os = 0; os < OS__COUNT; os++)
		if (packer_pattern_matches(pattern, (enum os_id)os, NULL))
			return true;
	return false;
}
