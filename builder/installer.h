/* installer.h — the seed stage's common face: one installer_ops per
 * unattended-install format (autoinstall for Ubuntu, kickstart for RHEL),
 * rendering the install data from explicit parameters and writing the seed
 * ISO the installer finds by its label. */
#pragma once

#include <stddef.h>

#include "iso.h"
#include "spec.h"
#include "targets.h"

struct install_params {
	enum os_id os;
	enum arch_id arch;
	enum firmware_kind firmware; /* FIRMWARE_BIOS or FIRMWARE_UEFI (arm64: UEFI only) */
	const char *user;	     /* build user name (credential.user) */
	const char *public_key;	     /* its authorized_keys line (credential.public_key) */
	const char *password_hash;   /* "$6$..." when PKR_SSH_PASSWORD is used; NULL: password locked */
	const char *hostname;	     /* NULL: "hnbuild" */
	const char *instance_id;     /* cloud-init meta-data; NULL: "hnbuild-install" */
	char *const *late_commands;  /* extra autoinstall late-commands / kickstart %post lines */
	const char *user_file;	     /* --autoinstall / --kickstart FILE: used instead of ours */
};

struct install_file {
	char *name; /* "user-data", "meta-data", "ks.cfg" */
	char *data; /* NUL-terminated */
	size_t len;
};

struct install_data {
	const char *seed_label; /* "CIDATA" or "OEMDRV" */
	size_t n_files;
	struct install_file files[2];
};

struct installer_ops {
	const char *name; /* "autoinstall", "kickstart" */
	enum os_family family;
	const char *seed_label;
	/* Render the install data. Bad parameters are err_usage (exit 2). */
	int (*render)(const struct install_params *p, struct install_data *out);
};

const struct installer_ops *installer_for_os(enum os_id os);
/* installer_for_os(p->os)->render(p, out). */
int installer_render(const struct install_params *p, struct install_data *out);
/* The seed ISO holding out's files under its label (seed_iso_write). */
int installer_write_seed(const struct install_data *data, const char *path);
void install_data_free(struct install_data *data);

/* What stands for a secret in masked install data. */
#define INSTALL_MASK "<masked>"
/* f's text for a terminal or a failure bundle: the values of password
 * keys (passwd, password, hashed_passwd, plain_text_passwd; block or flow
 * YAML), of kickstart --password, --activation-key and rootpw's password,
 * and every registered secret (log_redact) replaced. ks.cfg is read as a
 * kickstart, anything else as YAML. Caller frees. */
char *install_file_masked(const struct install_file *f);

/* Kernel command line for booting the installer kernel directly (no typed
 * boot commands): Ubuntu "autoinstall ds=nocloud console=..."; RHEL
 * "inst.stage2=hd:LABEL=<iso label> inst.ks=hd:LABEL=OEMDRV:/ks.cfg
 * inst.text console=...". Caller frees. */
char *installer_kernel_cmdline(const struct install_params *p, const struct iso_info *iso);
/* The serial console device of the arch: "ttyS0" or "ttyAMA0". */
const char *installer_serial_console(enum arch_id arch);
/* The package that lets cloud-init read vSphere guestinfo (vmware-rpctool),
 * or NULL where no vSphere runs the image: vSphere hosts x86_64 guests
 * only (ESXi on Arm is a technology preview), so arm64 images go without. */
const char *installer_vmware_tools(enum arch_id arch);

/* The partition table an install left on `disk` (a qcow2 image), read from
 * its first two sectors with qemu-img (no VM; `scratch` is a directory for
 * the copy): *label is "gpt", "msdos", or NULL when there is none, which
 * after an install means nothing was installed (subiquity, curtin and
 * anaconda always partition the target). <0 when the image cannot be read. */
int installer_disk_label(const char *disk, const char *scratch, const char **label);
