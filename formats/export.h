/* export.h — the export stage: from the generalized disk to the requested
 * outputs (qcow2, raw, OVA) in the output directory, named
 * <name>-<os>-<arch>-k8s<ver>.<ext>, plus SHA256SUMS and manifest.json.
 * Every file is written under a temporary name and renamed at the end;
 * on failure nothing new appears under a final name. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "spec.h"
#include "targets.h"

/* An input of the build, for manifest.json (ISO, nodeadm, install data). */
struct export_input {
	const char *name;          /* "iso", "nodeadm", "user-data", "ks.cfg" */
	const char *source;        /* path or URL; may be NULL */
	const char *sha256;        /* lowercase hex; may be NULL */
	uint64_t size;             /* 0 = unknown */
};

struct export_stage_time {
	const char *stage;         /* "iso", "seed", "install", ... */
	double seconds;
};

struct export_request {
	const char *source_path;   /* the generalized disk: qcow2 or raw */
	unsigned formats;          /* FORMAT_* bits */
	const char *output_dir;    /* created if missing */
	const char *base_name;     /* see export_base_name() */
	enum os_id os;
	enum arch_id arch;
	enum firmware_kind firmware; /* UEFI adds firmware=efi to the OVF */
	unsigned cpus;             /* OVF; 0 = 2 */
	uint64_t memory_mib;       /* OVF; 0 = 4096 */
	const char *vmx_version;   /* NULL = OVF_DEFAULT_VMX */
	const char *network_name;  /* NULL = "VM Network" */
	const char *guest_id;      /* vmw:osType override (ESXi-Arm), NULL = table */
	const char *controller;    /* "pvscsi" (default), "lsilogic", "sata", "nvme" */
	enum qcow2_compat qcow2_compat;
	const char *sign_key;      /* PEM private key (unencrypted); with sign_cert */
	const char *sign_cert;     /* PEM certificate (chain may follow) */
	int compression_level;     /* VMDK zlib level; 0 = VMDK_DEFAULT_LEVEL */
	unsigned threads;          /* VMDK compressing threads; 0 = online CPUs */
	const char *k8s_version;   /* for the OVF product section and manifest */
	const char *nodeadm_version;
	const struct export_input *inputs;
	size_t n_inputs;
	const struct export_stage_time *stages;
	size_t n_stages;
};

struct export_file {
	char *name;                /* file name in output_dir */
	char *path;                /* full path */
	const char *format;        /* "qcow2", "raw", "ova", "sha256sums", "manifest" */
	uint64_t size;
	char sha256[65];
	double seconds;
};

struct export_result {
	struct export_file *files; /* the image outputs, in qcow2, raw, ova order */
	size_t n_files;
	double seconds;
};

/* "<name>-<os>-<arch>-k8s<ver>" (caller frees). */
char *export_base_name(const char *name, enum os_id os, enum arch_id arch, const char *k8s_version);

/* Fill req from a resolved build spec (pointers borrow from spec). The
 * caller sets source_path, inputs and stages. */
void export_request_from_spec(struct export_request *req, const struct build_spec *spec, char **base_name_out);

/* Run the export. Returns 0 or a negative errno with err_message() set. */
int export_all(const struct export_request *req, struct export_result *res);
void export_result_free(struct export_result *res);
