/* machine.h — one build VM under libvirt: a transient domain described by
 * an escaping XML writer, its serial console read from FIFOs hnbuild
 * owns into the build log, lifecycle events (not polling) deciding how a
 * boot ended, and every call to libvirtd bounded in time. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "spec.h"
#include "targets.h"

struct machine_config {
	const char *name;          /* libvirt domain name, unique per build */
	enum arch_id arch;
	enum firmware_kind firmware; /* BIOS or UEFI */
	enum accel_kind accel;     /* KVM or TCG (resolved, not AUTO) */
	unsigned cpus;
	uint64_t memory_mib;
	const char *kernel;        /* direct kernel boot when set */
	const char *initrd;
	const char *cmdline;
	const char *disk;          /* the target disk (qcow2); NULL = none */
	const char *cdroms[3];     /* installer ISO, seed ISO; NULL-terminated */
	const char *nvram;         /* UEFI variable store path (created from the template) */
	const char *network;       /* libvirt network name; NULL = user-mode networking */
	bool restrict_network;     /* user-mode: no traffic beyond the host's forwards */
	unsigned ssh_port;         /* >0: forward 127.0.0.1:ssh_port to the guest's port 22 */
	char **guest_forwards;     /* "10.0.2.100:80=127.0.0.1:8080": guest address -> host loopback */
	bool run_as_caller;        /* qemu runs as our uid/gid (qemu:///system as root) */
	const char *console_dir;   /* the console FIFOs go here (the build's work directory);
	                            * NULL: a private temporary one */
	unsigned call_timeout;     /* seconds any one libvirt call may take; 0 = MACHINE_CALL_TIMEOUT */
	const char *console_pipe;  /* set by machine_start: the FIFOs (PATH.in, PATH.out) of QEMU's serial port */
};

/* How long one call to libvirtd may take by default before the daemon is
 * taken for wedged (--libvirt-timeout). */
#define MACHINE_CALL_TIMEOUT 120

/* The domain XML for cfg (exposed for tests and --on-error keep reports). */
int machine_domain_xml(const struct machine_config *cfg, char **xml);

enum machine_outcome {
	MACHINE_POWEROFF,     /* the guest powered itself off */
	MACHINE_REBOOTED,     /* it rebooted (an installer that should have powered off) */
	MACHINE_FAILED_LINE,  /* the console showed a failure signature */
	MACHINE_TIMEOUT,
	MACHINE_INTERRUPTED,  /* SIGINT/SIGTERM */
	MACHINE_CRASHED,      /* QEMU died or the guest crashed */
	MACHINE_STOPPED_BY_CALLER,
	MACHINE_DAEMON_LOST,  /* libvirtd closed the connection or stopped answering */
	MACHINE_STALLED,      /* no console output and no disk writes for stall_timeout */
};

struct machine_watch {
	const char *stage;                  /* "install", "provision" */
	unsigned timeout;                   /* seconds; 0 = none */
	/* Seconds with neither console output nor a write to the disk (libvirt's
	 * block statistics of vda) after which the guest counts as hung and the
	 * wait ends with MACHINE_STALLED; 0 = never. */
	unsigned stall_timeout;
	const char *const *failure_patterns; /* substrings meaning the guest failed; NULL-terminated */
	/* Called (on the console reader thread) for every console line. */
	void (*on_line)(void *userdata, const char *line);
	void *userdata;
	/* Called every 200 ms from the waiting thread; non-zero ends the wait with
	 * MACHINE_STOPPED_BY_CALLER (used when provisioning finishes). */
	int (*poll)(void *userdata);
	const char *console_log;            /* append console output here */
};

struct machine_result {
	enum machine_outcome outcome;
	char *failure_line;   /* the first console line that matched a failure pattern */
	char *console_tail;   /* the last lines of the console */
	double seconds;
};

struct machine;

/* Define and start the domain (paused, console attached, then resumed).
 * autodestroy: libvirt destroys it if this process dies. A libvirtd that
 * does not answer within cfg->call_timeout fails it with -ETIMEDOUT. */
int machine_start(const char *uri, const struct machine_config *cfg, bool autodestroy, struct machine **out);
/* Wait until the guest powers off, fails, times out or we are interrupted. */
int machine_wait(struct machine *m, const struct machine_watch *w, struct machine_result *res);
/* Ask the guest to power off (ACPI), waiting up to timeout seconds, then force. */
int machine_shutdown(struct machine *m, unsigned timeout);
/* Force off (if running) and release everything; NULL is fine. keep_running
 * leaves a running guest alone (for --on-error keep). Once libvirtd failed
 * to answer, it is not asked again: the domain is left to autodestroy. */
void machine_free(struct machine *m, bool keep_running);
const char *machine_name(const struct machine *m);
/* The domain XML the VM was started with (owned by m; NULL for NULL). */
const char *machine_xml(const struct machine *m);
/* What the running VM's screen shows, as a PNG at path (mode 0600). The
 * VM has a video device for this (machine_domain_xml). */
int machine_screenshot(struct machine *m, const char *path);
/* Outside machine_wait, still record console lines: append them to path
 * and hand them to log_console(stage, ...); a line matching one of
 * failure_patterns (NULL-terminated, may be NULL) is remembered. */
void machine_log_console(struct machine *m, const char *stage, const char *path, const char *const *failure_patterns);
/* The first console line that matched a failure pattern, or NULL (owned by m). */
const char *machine_failure_line(struct machine *m);
/* Has the guest stopped (powered off, crashed, destroyed)? */
bool machine_stopped(struct machine *m);
/* The last console lines, formatted for an error message (owned by m). */
const char *machine_console_tail(struct machine *m);
void machine_result_free(struct machine_result *r);
const char *machine_outcome_name(enum machine_outcome o);

/* --accel auto: prove KVM with a real short boot of kernel (it must panic and
 * reboot within a few seconds), else fall back to TCG with a warning. */
enum accel_kind machine_pick_accel(const char *uri, unsigned call_timeout, enum accel_kind requested,
				   enum arch_id arch, const char *kernel);

/* Is the domain still defined in libvirt? (tests and cleanup checks; true
 * when libvirtd cannot be asked, so that a check for leftovers fails) */
bool machine_domain_exists(const char *uri, const char *name);
