/* failure.h — the failure bundle: what a person needs to see why a build
 * failed, in one directory beside the outputs, kept whatever --on-error
 * says, secrets masked. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "build.h"
#include "installer.h"
#include "machine.h"
#include "targets.h"

struct failure_report {
	const char *dir;               /* <output-dir>/<base>.failure (replaced if it exists) */
	const char *stage;             /* the stage that failed */
	const char *error;             /* the build's error message */
	enum os_family family;
	struct machine **vm;           /* the VM still running (*vm may be NULL): its screen and XML */
	bool stop_vm;                  /* then stop it (*vm = NULL) so that its disk can be read */
	const char *domain_xml;        /* the last VM's XML when vm is NULL (may be NULL) */
	const char *workdir;           /* console-*.log are copied from here (may be NULL) */
	const struct install_data *install_data; /* may be NULL or empty */
	/* The disk the installer wrote, read offline for its logs when the VM
	 * is gone (NULL: not read, e.g. the VM is kept running). */
	const char *disk;
	const char *disk_format;
	bool kvm;
	const struct build_stage_time *stages;
	size_t n_stages;
};

/* Write the bundle. Each part that cannot be had is named in the bundle's
 * README (and logged); only a bundle that cannot be written at all is an
 * error. Records no error over the build's own: the caller's error stays. */
int failure_bundle_write(const struct failure_report *f);
