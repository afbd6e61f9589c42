/* build.c — the pipeline for one build spec. Each stage takes the previous
 * stage's result from struct build and leaves its own there; build_run
 * shows the whole order on one screen. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basecache.h"
#include "cleanup.h"
#include "credential.h"
#include "digest.h"
#include "err.h"
#include "export.h"
#include "fetch.h"
#include "generalize.h"
#include "failure.h"
#include "guestimg.h"
#include "hygiene.h"
#include "installer.h"
#include "iso.h"
#include "leftover.h"
#include "log.h"
#include "machine.h"
#include "nodeadm.h"
#include "provision.h"
#include "runcmd.h"
#include "signals.h"
#include "strbuf.h"
#include "util.h"
#include "vsphere.h"

struct build {
	const struct build_spec *spec;
	const struct build_env *env;
	struct build_result *res;
	char *workdir;
	int workdir_lock; /* held while the build lives (leftover.h) */
	char *name;                /* unique per build: VM name, file prefix */
	/* iso */
	struct iso_image iso;
	/* seed */
	struct build_credential cred;
	struct install_params params;
	struct install_data data;
	char *seed_path;
	char *kernel, *initrd, *cmdline;
	/* install */
	char *disk;                /* the installed, later provisioned and generalized disk (an
				    * overlay on base.disk when the cache is used) */
	bool cacheable;            /* the installed base may come from / go into the cache */
	struct basecache_key key;
	struct basecache_entry base;
	char *nvram;
	enum accel_kind accel;
	unsigned ssh_port;         /* the provision VM's forwarded SSH port; 0 before it */
	char *mounts;              /* how the disk mounts in libguestfs (guestimg_mounts): found
				    * once, by the grant (or read from the cached base) */
	struct machine *vm;        /* the VM running now, if any */
	char *last_xml;            /* the domain XML of the last VM started (failure bundle) */
	char *ova;                 /* the exported OVA, for publish */
	/* provision */
	char *nodeadm;             /* the verified nodeadm binary */
	char *nodeadm_sha256;
	char *nodeadm_url;
};

/* ---- iso ---- */

static int stage_iso(struct build *b)
{
	_cleanup_free_ char *cache = b->env->cache_dir ? NULL : iso_default_cache_dir();
	int r = iso_acquire(b->spec, b->env->cache_dir ? b->env->cache_dir : cache, &b->iso);
	if (r < 0)
		return r;
	/* libvirt resolves relative paths against its own directory, not ours. */
	char *abs = realpath(b->iso.path, NULL);
	if (!abs)
		return err_fail_errno(-errno, "cannot resolve %s", b->iso.path);
	free(b->iso.path);
	b->iso.path = abs;
	return 0;
}

/* ---- seed ---- */

static const char *cache_dir_of(const struct build_env *env, char **owned)
{
	if (env->cache_dir)
		return env->cache_dir;
	*owned = iso_default_cache_dir();
	return *owned;
}

/* The installed-base key of this build (basecache.h), or why there is none. */
static int key_for(const struct build_spec *s, const char *iso_sha256, const struct install_data *d,
		   const char *cmdline, struct basecache_key *key)
{
	struct basecache_file files[2];
	size_t n = 0;
	for (size_t i = 0; i < d->n_files && i < 2; i++)
		files[n++] = (struct basecache_file){d->files[i].name, d->files[i].data, d->files[i].len};
	struct basecache_key_params kp = {
		.os = os_by_id(s->os)->name, .arch = arch_by_id(s->arch)->name,
		.firmware = firmware_name(s->arch == ARCH_ARM64 ? FIRMWARE_UEFI : s->firmware),
		.disk_size = s->disk_size, .iso_sha256 = iso_sha256, .cmdline = cmdline, .files = files, .n_files = n,
	};
	return basecache_key_make(&kp, key);
}

static const char *uncacheable_reason(const struct build_spec *s)
{
	if (s->no_cache)
		return "--no-cache";
	if (s->ssh_password)
		return "the install data hold the build user's password hash (PKR_SSH_PASSWORD / --ssh-password)";
	return NULL;
}

static int base_key(struct build *b)
{
	const char *why = uncacheable_reason(b->spec);
	if (why) {
		log_info("cache: no installed base from or into the cache: %s", why);
		return 0;
	}
	char hex[DIGEST_HEX_MAX];
	const char *iso_sha = b->iso.algo == CHECKSUM_SHA256 ? b->iso.digest : NULL;
	if (!iso_sha) {
		int r = digest_file(b->iso.path, CHECKSUM_SHA256, "iso", hex);
		if (r < 0)
			return err_fail_errno(r, "cannot read %s", b->iso.path);
		iso_sha = hex;
	}
	int r = key_for(b->spec, iso_sha, &b->data, b->cmdline, &b->key);
	if (r < 0)
		return err_fail(r, "internal: cannot compute the installed-base key");
	b->cacheable = true;
	log_info("cache: installed-base key %.16s", b->key.hex);
	return 0;
}

struct install_params build_install_params(const struct build_spec *s, const char *user, const char *password_hash)
{
	/* No key in the install data: it is granted offline before the
	 * provision boot, so that the installed base is the same for every
	 * build and may be cached. */
	return (struct install_params){
		.os = s->os, .arch = s->arch, .firmware = s->firmware, .user = user,
		.public_key = NULL, .password_hash = password_hash,
		.late_commands = s->late_commands,
		.user_file = os_by_id(s->os)->family == FAMILY_UBUNTU ? s->autoinstall_file : s->kickstart_file,
	};
}

static int stage_seed(struct build *b)
{
	const struct build_spec *s = b->spec;
	int r = credential_create(NULL, s->ssh_password, &b->cred);
	if (r < 0)
		return r;
	b->params = build_install_params(s, b->cred.user, b->cred.password_hash);
	r = installer_render(&b->params, &b->data);
	if (r < 0)
		return r;
	/* `hnbuild render` with the same settings prints these bytes. */
	for (size_t i = 0; i < b->data.n_files; i++) {
		char hex[DIGEST_HEX_MAX];
		if (digest_buffer(b->data.files[i].data, b->data.files[i].len, CHECKSUM_SHA256, hex) == 0)
			log_info("seed: %s, %zu bytes, sha256 %s", b->data.files[i].name, b->data.files[i].len, hex);
	}
	b->seed_path = path_join(b->workdir, "seed.iso");
	r = installer_write_seed(&b->data, b->seed_path);
	if (r < 0)
		return r;
	/* Direct kernel boot: the ISO's own kernel and initrd, no typed commands. */
	b->kernel = path_join(b->workdir, "vmlinuz");
	b->initrd = path_join(b->workdir, "initrd");
	if ((r = iso_extract_file(b->iso.path, b->iso.info.kernel, b->kernel)) < 0 ||
	    (r = iso_extract_file(b->iso.path, b->iso.info.initrd, b->initrd)) < 0)
		return r;
	b->cmdline = installer_kernel_cmdline(&b->params, &b->iso.info);
	log_debug("installer kernel command line: %s", b->cmdline);
	return base_key(b);
}

/* ---- install ---- */

/* What the real installers print when an install fails, after which they
 * wait at the console rather than power off (tests/fixtures/README.md,
 * "Failures"): subiquity's client since 21.05 (subiquity/client/client.py)
 * and 24.04's schema errors (subiquity/server/autoinstall.py); anaconda's
 * kickstart, %pre/%post and unknown-error texts (pyanaconda/kickstart.py,
 * pyanaconda/errors.py, pykickstart's parse error). */
static const char *const ubuntu_failures[] = {
	"An error occurred. Press enter to start a shell", "Malformed autoinstall in '",
	"Traceback (most recent call last)", "Kernel panic - not syncing", "Out of memory: Killed process", NULL,
};
static const char *const rhel_failures[] = {
	"An error occurred during reading the kickstart file", "The following problem occurred on line",
	"There was an error running the kickstart script at line", "An unknown error has occurred",
	"Traceback (most recent call last)", "Kernel panic - not syncing", "Out of memory: Killed process", NULL,
};

struct install_watch {
	enum os_family family;
	char *last_step;
	/* subiquity before 21.10.1 has no 'shutdown' key and ends a finished
	 * install with its Reboot controller (subiquity/server/controllers/
	 * reboot.py): copy_logs_to_target, then reboot. Seen: a reboot that
	 * follows is the end of the install (20.04 media), not a failure. */
	bool subiquity_reboot;
};

/* Installer progress lines become progress for the user; all lines go to
 * the build log. */
static void install_line(void *userdata, const char *line)
{
	struct install_watch *iw = userdata;
	log_console("install", line);
	if (iw->family == FAMILY_UBUNTU) {
		/* curtin/subiquity events: "start: subiquity/Install/install/…" */
		const char *ev = strstr(line, "start: ");
		if (ev && strchr(ev, '/')) {
			str_set(&iw->last_step, ev + 7);
			log_info("install: %s", ev + 7);
			if (!strncmp(ev + 7, "subiquity/Reboot/reboot", 23))
				iw->subiquity_reboot = true;
		}
		return;
	}
	unsigned done, total;
	const char *inst = strstr(line, "Installing ");
	const char *paren = inst ? strrchr(inst, '(') : NULL;
	if (paren && sscanf(paren, "(%u/%u)", &done, &total) == 2) {
		log_progress("install", done, total, "packages");
		return;
	}
	static const char *const steps[] = {"Starting automated install", "Running pre-installation scripts",
					    "Starting package installation", "Running post-installation scripts",
					    "Configuring ", "Installation complete", "Creating ", NULL};
	for (unsigned i = 0; steps[i]; i++)
		if (strstr(line, steps[i])) {
			str_set(&iw->last_step, line);
			log_info("install: %s", line);
			return;
		}
}

static int create_disk(const char *path, uint64_t bytes)
{
	char size[32];
	snprintf(size, sizeof(size), "%llu", (unsigned long long)bytes);
	char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=65536", (char *)path, size, NULL};
	return runcmd(argv);
}

static int install_failed(struct build *b, const struct machine_result *res, const struct install_watch *iw)
{
	const char *os = os_by_id(b->spec->os)->pretty;
	switch (res->outcome) {
	case MACHINE_FAILED_LINE:
		return err_fail(-EIO, "the %s installer failed: %s%s%s\n  console (last lines):\n%s", os,
				res->failure_line, iw->last_step ? "\n  last step: " : "",
				iw->last_step ? iw->last_step : "", res->console_tail);
	case MACHINE_REBOOTED:
		return err_fail(-EIO,
				"the %s installer rebooted instead of powering off (install data must end with "
				"'shutdown: poweroff' / 'poweroff')\n  console (last lines):\n%s",
				os, res->console_tail);
	case MACHINE_STALLED:
		return err_fail(-EIO,
				"the %s installer stalled: no console output and no disk writes for %u s "
				"(--stall-timeout)%s%s\n  console (last lines):\n%s",
				os, b->spec->stall_timeout, iw->last_step ? "; last step: " : "",
				iw->last_step ? iw->last_step : "", res->console_tail);
	case MACHINE_TIMEOUT:
		return err_fail(-ETIMEDOUT, "the %s install did not finish within %u s (--timeout)%s%s\n  console (last lines):\n%s",
				os, b->spec->timeout, iw->last_step ? "; last step: " : "",
				iw->last_step ? iw->last_step : "", res->console_tail);
	case MACHINE_INTERRUPTED:
		return err_interrupted("install");
	default:
		return err_fail(-EIO, "the install VM %s\n  console (last lines):\n%s", machine_outcome_name(res->outcome),
				res->console_tail);
	}
}

/* Boot the installer onto a new disk at path. */
static int install_onto(struct build *b, const char *path)
{
	const struct build_spec *s = b->spec;
	int r = create_disk(path, s->disk_size);
	if (r < 0)
		return r;
	_cleanup_free_ char *vm_name = NULL;
	if (asprintf(&vm_name, "%s-install", b->name) < 0)
		abort();
	struct machine_config cfg = {
		.name = vm_name, .arch = s->arch, .firmware = s->firmware, .accel = b->accel, .cpus = s->cpus,
		.memory_mib = s->memory_mib, .kernel = b->kernel, .initrd = b->initrd, .cmdline = b->cmdline,
		.disk = path, .cdroms = {b->iso.path, b->seed_path}, .nvram = b->nvram,
		.network = s->network, .restrict_network = s->restrict_network,
		.guest_forwards = s->guest_forwards, .run_as_caller = true, .console_dir = b->workdir,
		.call_timeout = s->libvirt_timeout,
	};
	r = machine_start(s->libvirt_uri, &cfg, s->on_error != ON_ERROR_KEEP, &b->vm);
	if (r >= 0)
		str_set(&b->last_xml, machine_xml(b->vm));
	if (r < 0)
		return r;
	log_info("install: %s booting %s (%s, %s, %s)", vm_name, b->iso.info.label,
		 arch_by_id(s->arch)->name, firmware_name(s->arch == ARCH_ARM64 ? FIRMWARE_UEFI : s->firmware),
		 accel_name(b->accel));
	struct install_watch iw = {.family = os_by_id(s->os)->family};
	_cleanup_free_ char *console_log = path_join(b->workdir, "console-install.log");
	struct machine_watch w = {
		.stage = "install", .timeout = s->timeout, .stall_timeout = s->stall_timeout,
		.failure_patterns = iw.family == FAMILY_UBUNTU ? ubuntu_failures : rhel_failures,
		.on_line = install_line, .userdata = &iw, .console_log = console_log,
	};
	struct machine_result res;
	machine_wait(b->vm, &w, &res);
	if (res.outcome == MACHINE_REBOOTED && iw.subiquity_reboot) {
		log_info("install: the installer rebooted after finishing, after %.0f s (subiquity before "
			 "21.10.1 cannot power off); the install is done",
			 res.seconds);
		res.outcome = MACHINE_POWEROFF;
	} else if (res.outcome == MACHINE_POWEROFF) {
		log_info("install: the installer powered off after %.0f s", res.seconds);
	}
	if (res.outcome == MACHINE_POWEROFF) {
		machine_free(b->vm, false);
		b->vm = NULL;
		const char *label;
		r = installer_disk_label(path, b->workdir, &label);
		if (r >= 0 && !label)
			r = err_fail(-EIO,
				     "the %s installer powered off after %.0f s without installing: the disk has no "
				     "partition table%s%s\n  console (last lines):\n%s",
				     os_by_id(s->os)->pretty, res.seconds, iw.last_step ? "\n  last step: " : "",
				     iw.last_step ? iw.last_step : "", res.console_tail);
		else if (r >= 0)
			log_info("install: the disk has a %s partition table", label);
	} else {
		r = install_failed(b, &res, &iw);
	}
	free(iw.last_step);
	machine_result_free(&res);
	return r;
}

static int create_overlay(const char *base, const char *path)
{
	char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", (char *)base, (char *)path, NULL};
	return runcmd(argv);
}

static int stage_install(struct build *b)
{
	const struct build_spec *s = b->spec;
	b->disk = path_join(b->workdir, "disk.qcow2");
	b->accel = machine_pick_accel(s->libvirt_uri, s->libvirt_timeout, s->accel, s->arch, b->kernel);
	if (s->arch == ARCH_ARM64 || s->firmware == FIRMWARE_UEFI)
		b->nvram = path_join(b->workdir, "VARS.fd");
	if (!b->cacheable) {
		if (s->resume)
			log_info("resume: without the cache there is nothing to resume from; starting with the install");
		return install_onto(b, b->disk);
	}
	_cleanup_free_ char *owned = NULL;
	int r = basecache_acquire(cache_dir_of(b->env, &owned), &b->key, &b->base);
	if (r < 0)
		return r;
	if (b->base.hit) {
		log_info("install: cached base %.16s (%s); no install needed", b->key.hex, b->base.dir);
		if (s->resume)
			log_info("resume: the install is done (cached base %.16s); continuing with provision",
				 b->key.hex);
	} else {
		if (s->resume)
			log_info("resume: no completed stage to resume from (no cached base %.16s); starting with "
				 "the install", b->key.hex);
		r = install_onto(b, b->base.disk);
		if (r >= 0)
			r = basecache_commit(&b->base, &b->key, os_by_id(s->os)->name, arch_by_id(s->arch)->name);
		if (r < 0)
			return r;
		log_info("install: stored the installed base in the cache (%.16s)", b->key.hex);
	}
	/* The base is only read from now on: every write goes to the overlay. */
	return create_overlay(b->base.disk, b->disk);
}

/* The build's key, granted offline into the disk before it boots. */
static int grant_access(struct build *b)
{
	guestfs_h *g = NULL;
	if (b->cacheable)
		b->mounts = basecache_note_read(&b->base, "mounts");
	struct guestimg_open_params op = {
	    .disk = b->disk, .format = "qcow2", .kvm = b->accel == ACCEL_KVM, .mounts = b->mounts};
	int r = guestimg_open(&op, &g);
	if (r < 0)
		return r;
	/* Inspection takes about 10 s under TCG: generalize and later builds
	 * on this base mount what it found. */
	if (!b->mounts) {
		b->mounts = guestimg_mounts(g);
		if (b->mounts && b->cacheable && basecache_note_write(&b->base, "mounts", b->mounts) < 0) {
			log_debug("cache: %s", err_message());
			err_clear();
		}
		err_clear();
	}
	r = generalize_grant_access(g, b->cred.user, b->cred.public_key);
	int q = guestimg_close(g);
	return r < 0 ? r : q;
}

/* ---- provision ---- */

static const char *const boot_failures[] = {"Kernel panic - not syncing", NULL};

/* nodeadm is fetched on the host and verified before it goes near the guest,
 * against the first of: --nodeadm-sha256, the digest hnbuild records for the
 * release (nodeadm.c), the .sha256 published beside it when that comes over
 * https or from a local path. validate refuses a plain-http mirror with
 * neither of the first two; this refuses it again rather than trust it. */
static int fetch_nodeadm(struct build *b)
{
	const struct build_spec *s = b->spec;
	b->nodeadm_url = provision_nodeadm_url(s);
	const char *arch = arch_by_id(s->arch)->nodeadm;
	const char *pinned = nodeadm_pinned_sha256(s->nodeadm_version, arch);
	const char *from;
	char *hex = NULL;
	struct fetch_options opt;
	fetch_options_init(&opt);
	int r;
	if (s->nodeadm_sha256) {
		hex = xstrdup(s->nodeadm_sha256);
		from = "--nodeadm-sha256";
	} else if (pinned) {
		hex = xstrdup(pinned);
		from = "recorded in hnbuild";
	} else {
		if (nodeadm_url_is_plain_http(b->nodeadm_url))
			return err_usage("--nodeadm-url: '%s' " NODEADM_HTTP_REFUSAL, b->nodeadm_url);
		_cleanup_free_ char *sum_url = NULL, *sum_text = NULL;
		if (asprintf(&sum_url, "%s.sha256", b->nodeadm_url) < 0)
			abort();
		size_t len = 0;
		r = fetch_to_memory(sum_url, &opt, 4096, &sum_text, &len);
		if (r < 0)
			return r;
		size_t n = strspn(sum_text, "0123456789abcdefABCDEF");
		if (n == 64 && (sum_text[n] == '\0' || sum_text[n] == '\n' || sum_text[n] == ' ')) {
			sum_text[n] = '\0';
			hex = xstrdup(sum_text);
		} else {
			enum checksum_algo algo;
			r = digest_parse_checksum_file(sum_text, sum_url, "nodeadm", CHECKSUM_SHA256, &algo, &hex);
			if (r < 0)
				return r;
		}
		from = "published beside it";
	}
	b->nodeadm_sha256 = hex;
	b->nodeadm = path_join(b->workdir, "nodeadm");
	opt.stage = "nodeadm";
	opt.allow_http = true; /* only with a digest that did not come over that channel */
	r = fetch_url(b->nodeadm_url, b->nodeadm, &opt);
	if (r < 0)
		return r;
	r = digest_verify_file(b->nodeadm, "nodeadm", CHECKSUM_SHA256, hex, NULL);
	if (r < 0)
		return r;
	log_info("nodeadm: %s verified (sha256 %s, %s)", s->nodeadm_version, hex, from);
	return 0;
}

static int stage_provision(struct build *b)
{
	const struct build_spec *s = b->spec;
	int r = grant_access(b);
	if (r < 0)
		return r;
	unsigned port;
	r = provision_free_port(&port);
	if (r < 0)
		return r;
	b->ssh_port = port;
	/* Boot 2 starts with fresh UEFI variables, as every clone of the image will. */
	if (b->nvram)
		unlink(b->nvram);
	_cleanup_free_ char *vm_name = NULL;
	if (asprintf(&vm_name, "%s-provision", b->name) < 0)
		abort();
	struct machine_config cfg = {
		.name = vm_name, .arch = s->arch, .firmware = s->firmware, .accel = b->accel, .cpus = s->cpus,
		.memory_mib = s->memory_mib, .disk = b->disk, .nvram = b->nvram, .network = s->network,
		.restrict_network = s->restrict_network, .ssh_port = port, .guest_forwards = s->guest_forwards,
		.run_as_caller = true, .console_dir = b->workdir, .call_timeout = s->libvirt_timeout,
	};
	_cleanup_free_ char *console_log = path_join(b->workdir, "console-provision.log");
	struct provision_params pp = {.spec = s, .cred = &b->cred, .ssh_port = port, .nodeadm_path = b->nodeadm,
				      .timeout = s->timeout};
	struct provision_conn *conn = NULL;
	for (int attempt = 1;; attempt++) {
		r = machine_start(s->libvirt_uri, &cfg, s->on_error != ON_ERROR_KEEP, &b->vm);
		if (r < 0)
			return r;
		str_set(&b->last_xml, machine_xml(b->vm));
		machine_log_console(b->vm, "provision", console_log, boot_failures);
		pp.vm = b->vm;
		r = provision_connect(&pp, &conn);
		if (r >= 0)
			break;
		/* Emulated timers can lose a race at early boot under a loaded
		 * host (TCG): one more boot tells a flake from a broken image. */
		if (attempt > 1 || !machine_failure_line(b->vm) || signals_interrupted())
			return r;
		log_warn("provision: the installed system failed to boot (%s); booting it once more",
			 machine_failure_line(b->vm));
		err_clear();
		machine_free(b->vm, false);
		b->vm = NULL;
		if (b->nvram)
			unlink(b->nvram);
	}
	r = provision_steps(conn);
	provision_close(conn);
	if (r < 0)
		return r;
	struct machine_watch w = {.stage = "provision", .timeout = 300};
	struct machine_result res;
	machine_wait(b->vm, &w, &res);
	if (res.outcome != MACHINE_POWEROFF) {
		log_warn("provision: the guest did not power off by itself (%s); forcing it off",
			 machine_outcome_name(res.outcome));
		if (res.outcome == MACHINE_INTERRUPTED) {
			machine_result_free(&res);
			return err_interrupted("provision");
		}
	}
	machine_result_free(&res);
	machine_free(b->vm, false);
	b->vm = NULL;
	return 0;
}

/* ---- generalize ---- */

static int stage_generalize(struct build *b)
{
	struct generalize_params gp = {
		.disk = b->disk, .format = "qcow2", .build_user = b->cred.user, .remove_build_user = true,
		.family = os_by_id(b->spec->os)->family, .zero_free_space = true, .proxy_for_image = b->spec->proxy,
		.kvm = b->accel == ACCEL_KVM,
	};
	/* One appliance launch for the scrub and the hygiene gate after it. */
	guestfs_h *g = NULL;
	struct guestimg_open_params op = {
	    .disk = b->disk, .format = "qcow2", .discard = true, .kvm = gp.kvm, .mounts = b->mounts};
	int r = guestimg_open(&op, &g);
	if (r < 0)
		return r;
	r = generalize_guest(g, &gp);
	if (r >= 0)
		r = generalize_zero_free_space(g);
	/* An image that still holds build state fails the build. */
	struct hygiene_finding *findings = NULL;
	size_t n = 0;
	if (r >= 0)
		r = hygiene_scan(g, b->cred.user, &findings, &n);
	if (r >= 0)
		r = hygiene_gate(findings, n);
	hygiene_findings_free(findings, n);
	int q = guestimg_close(g);
	return r < 0 ? r : q;
}

/* ---- export ---- */

static int stage_export(struct build *b)
{
	struct export_request req;
	_cleanup_free_ char *base = NULL;
	export_request_from_spec(&req, b->spec, &base);
	req.source_path = b->disk;
	struct export_input inputs[4];
	size_t n = 0;
	inputs[n++] = (struct export_input){"iso", b->spec->iso, b->iso.algo == CHECKSUM_SHA256 ? b->iso.digest : NULL,
					    b->iso.info.size};
	inputs[n++] = (struct export_input){"nodeadm", b->nodeadm_url, b->nodeadm_sha256, 0};
	for (size_t i = 0; i < b->data.n_files && n < 4; i++)
		inputs[n++] = (struct export_input){b->data.files[i].name, NULL, NULL, b->data.files[i].len};
	req.inputs = inputs;
	req.n_inputs = n;
	struct export_stage_time times[BUILD_MAX_STAGES];
	for (size_t i = 0; i < b->res->n_stages; i++)
		times[i] = (struct export_stage_time){b->res->stages[i].stage, b->res->stages[i].seconds};
	req.stages = times;
	req.n_stages = b->res->n_stages;
	struct export_result er;
	int r = export_all(&req, &er);
	if (r < 0)
		return r;
	for (size_t i = 0; i < er.n_files; i++) {
		strv_push(&b->res->outputs, er.files[i].path);
		if (!strcmp(er.files[i].format, "ova"))
			str_set(&b->ova, er.files[i].path);
		log_info("export: %s (%llu bytes, sha256 %s)", er.files[i].path,
			 (unsigned long long)er.files[i].size, er.files[i].sha256);
	}
	export_result_free(&er);
	return 0;
}

/* ---- publish ---- */

static int stage_publish(struct build *b)
{
	struct vsphere_publish_result pr;
	int r = vsphere_publish(&b->spec->vsphere, b->ova, NULL, &pr);
	if (r < 0)
		return r;
	log_info("publish: %s %s in vCenter %s (%llu bytes in %.0f s)", pr.template_ ? "template" : "VM",
		 pr.inventory_path, pr.vcenter, (unsigned long long)pr.bytes, pr.seconds);
	vsphere_publish_result_free(&pr);
	return 0;
}

/* ---- the driver ---- */

static int run_stage(struct build *b, const char *stage, int (*fn)(struct build *))
{
	if (signals_interrupted())
		return err_interrupted("%s", stage);
	log_stage(stage, "start", 0);
	double t0 = now_monotonic();
	int r = fn(b);
	double dt = now_monotonic() - t0;
	if (b->res->n_stages < BUILD_MAX_STAGES)
		b->res->stages[b->res->n_stages++] = (struct build_stage_time){stage, dt};
	if (r < 0 && signals_interrupted() && err_exit_code() != EXIT_INTERRUPTED)
		r = err_interrupted("%s", stage);
	log_stage(stage, r < 0 ? "failed" : "done", dt);
	return r;
}

static const char *work_parent(const struct build_env *env)
{
	const char *tmp = env->tmp_dir ? env->tmp_dir : getenv("TMPDIR");
	return str_empty(tmp) ? "/var/tmp" : tmp;
}

/* The work directory, locked for as long as this build lives, after
 * removing those that killed builds left in the same place. */
static char *make_workdir(const struct build_env *env, const char *name, int *lock_fd)
{
	const char *parent = work_parent(env);
	leftover_sweep_workdirs(parent, "hnbuild-");
	_cleanup_free_ char *tmpl = NULL;
	if (asprintf(&tmpl, "%s/%s-XXXXXX", parent, name) < 0)
		abort();
	if (!mkdtemp(tmpl)) {
		err_fail_errno(-errno, "cannot create a work directory under %s", parent);
		return NULL;
	}
	/* Every path handed to libvirt must be absolute. */
	char *abs = realpath(tmpl, NULL);
	if (!abs) {
		err_fail_errno(-errno, "cannot resolve the work directory %s", tmpl);
		rmdir(tmpl);
		return NULL;
	}
	*lock_fd = leftover_lock_dir(abs);
	if (*lock_fd < 0) {
		err_fail_errno(*lock_fd, "cannot lock the work directory %s", abs);
		rm_rf(abs);
		free(abs);
		return NULL;
	}
	return abs;
}

static void build_cleanup(struct build *b, bool failed)
{
	/* --on-error is for failures; an interrupt (SIGINT/SIGTERM) means
	 * "stop and clean up" whatever it says. */
	enum on_error_kind mode =
		failed && err_exit_code() != EXIT_INTERRUPTED ? b->spec->on_error : ON_ERROR_CLEANUP;
	if (b->vm) {
		if (mode == ON_ERROR_KEEP)
			b->res->kept_domain = xstrdup(machine_name(b->vm));
		machine_free(b->vm, mode == ON_ERROR_KEEP);
	}
	if (b->workdir) {
		if (mode == ON_ERROR_CLEANUP) {
			rm_rf(b->workdir);
			close(b->workdir_lock);
		} else {
			leftover_keep_dir(b->workdir, b->workdir_lock);
			b->res->kept_dir = xstrdup(b->workdir);
			/* Asked to keep a failed build: the key lets its owner log in to debug. */
			if (mode == ON_ERROR_KEEP && b->cred.private_key) {
				_cleanup_free_ char *key = path_join(b->workdir, "build-key");
				if (credential_write_private_key(&b->cred, key) < 0)
					log_warn("--on-error keep: cannot write the build user's SSH key to %s", key);
				else if (b->res->kept_domain && b->ssh_port) {
					struct strbuf sb = STRBUF_INIT;
					sb_init(&sb);
					sb_addf(&sb, "ssh -i %s -p %u -o StrictHostKeyChecking=no "
						     "-o UserKnownHostsFile=/dev/null %s@127.0.0.1",
						key, b->ssh_port, b->cred.user);
					b->res->kept_login = sb_detach(&sb, NULL);
				} else
					log_warn("--on-error keep: the build user's SSH key is in %s (user %s)", key,
						 b->cred.user);
			}
		}
	}
	if (b->base.tmp && failed && mode != ON_ERROR_CLEANUP) {
		/* The kept install VM uses it; the next install of the key sweeps it. */
		log_warn("--on-error %s: the unfinished install disk is %s", on_error_name(mode), b->base.disk);
		free(b->base.tmp);
		b->base.tmp = NULL;
	}
	basecache_release(&b->base);
	basecache_key_free(&b->key);
	iso_image_free(&b->iso);
	credential_free(&b->cred);
	install_data_free(&b->data);
	free(b->workdir);
	free(b->last_xml);
	free(b->name);
	free(b->seed_path);
	free(b->kernel);
	free(b->initrd);
	free(b->cmdline);
	free(b->disk);
	free(b->nvram);
	free(b->mounts);
	free(b->ova);
	free(b->nodeadm);
	free(b->nodeadm_sha256);
	free(b->nodeadm_url);
}

/* A failed build leaves <output-dir>/<image>.failure/ (failure.h),
 * whatever --on-error says; the error names it. */
static void write_failure_bundle(struct build *b)
{
	const struct build_spec *s = b->spec;
	if (str_empty(s->output_dir) || b->res->n_stages == 0)
		return;
	_cleanup_free_ char *base = export_base_name(s->name, s->os, s->arch, s->k8s_version);
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/%s.failure", s->output_dir, base) < 0)
		abort();
	if (mkdir_p(s->output_dir, 0755) < 0)
		return;
	/* The disk the failed stage wrote: an unfinished install, or the
	 * build's own (an overlay on the cached base). */
	const char *disk = b->base.tmp ? b->base.disk : b->disk;
	bool keep = s->on_error == ON_ERROR_KEEP && b->vm;
	struct failure_report f = {
		.dir = dir, .stage = b->res->stages[b->res->n_stages - 1].stage,
		.family = os_by_id(s->os)->family, .vm = &b->vm, .stop_vm = !keep, .domain_xml = b->last_xml,
		.workdir = b->workdir, .install_data = &b->data,
		.disk = !keep && disk && access(disk, R_OK) == 0 ? disk : NULL, .disk_format = "qcow2",
		.kvm = b->accel == ACCEL_KVM, .stages = b->res->stages, .n_stages = b->res->n_stages,
	};
	_cleanup_free_ char *error = xstrdup(err_message());
	f.error = error;
	if (failure_bundle_write(&f) < 0)
		return;
	err_append("\n  failure bundle: %s", dir);
	log_artifact("failure bundle", dir);
}

int build_run(const struct build_spec *spec, const struct build_env *env, struct build_result *res)
{
	struct build b = {.spec = spec, .env = env, .res = res, .base = {.lock_fd = -1}};
	_cleanup_free_ char *rnd = random_hex(3);
	memset(res, 0, sizeof(*res));
	if (asprintf(&b.name, "hnbuild-%s-%s-%s", os_by_id(spec->os)->name, arch_by_id(spec->arch)->name, rnd) < 0)
		abort();
	b.workdir = make_workdir(env, b.name, &b.workdir_lock);
	if (!b.workdir) {
		build_cleanup(&b, true);
		return -EIO;
	}
	chmod(b.workdir, 0700);

	int r = run_stage(&b, "iso", stage_iso);
	if (r >= 0)
		r = run_stage(&b, "nodeadm", fetch_nodeadm); /* before anything boots */
	if (r >= 0)
		r = run_stage(&b, "seed", stage_seed);
	if (r >= 0)
		r = run_stage(&b, "install", stage_install);
	if (r >= 0)
		r = run_stage(&b, "provision", stage_provision);
	if (r >= 0)
		r = run_stage(&b, "generalize", stage_generalize);
	if (r >= 0)
		r = run_stage(&b, "export", stage_export);
	if (r >= 0 && spec->publish)
		r = run_stage(&b, "publish", stage_publish);

	/* A build that failed (exit 1); bad input (2, 3) is its one-line error. */
	if (r < 0 && err_exit_code() == EXIT_BUILD_FAILED)
		write_failure_bundle(&b);
	build_cleanup(&b, r < 0);
	return r;
}

void build_result_free(struct build_result *res)
{
	strv_free(res->outputs);
	free(res->kept_dir);
	free(res->kept_domain);
	free(res->kept_login);
	memset(res, 0, sizeof(*res));
}

/* ---- the key without building (validate) ---- */

/* The ISO a build would use, if it is here without downloading. */
static char *local_iso(const struct build_spec *s, const char *cache_dir)
{
	if (!fetch_is_url(s->iso))
		return fetch_local_path(s->iso);
	const struct checksum *c = &s->iso_checksum;
	if (c->algo == CHECKSUM_NONE || c->algo == CHECKSUM_FILE || str_empty(c->hex))
		return NULL;
	_cleanup_free_ char *base = iso_cache_base(cache_dir, c->algo, c->hex);
	char *path = NULL;
	if (asprintf(&path, "%s.iso", base) < 0)
		abort();
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

int build_describe_cache(const struct build_spec *s, const struct build_env *env, char **text)
{
	const char *why = uncacheable_reason(s);
	if (why)
		return asprintf(text, "off  # %s", why) < 0 ? -ENOMEM : 0;
	_cleanup_free_ char *owned = NULL;
	const char *cache_dir = cache_dir_of(env, &owned);
	_cleanup_free_ char *iso = local_iso(s, cache_dir);
	if (!iso || access(iso, R_OK) < 0)
		return asprintf(text, "unknown  # known once the ISO is downloaded (%s)", s->iso) < 0 ? -ENOMEM : 0;
	char hex[DIGEST_HEX_MAX];
	const char *sha = s->iso_checksum.algo == CHECKSUM_SHA256 ? s->iso_checksum.hex : NULL;
	if (!sha) {
		int r = digest_file(iso, CHECKSUM_SHA256, NULL, hex);
		if (r < 0)
			return err_fail_errno(r, "cannot read %s", iso);
		sha = hex;
	}
	struct iso_info info = {0};
	int r = iso_inspect(iso, &info);
	if (r < 0)
		return r;
	struct install_params params = build_install_params(s, CREDENTIAL_DEFAULT_USER, NULL);
	struct install_data data = {0};
	r = installer_render(&params, &data);
	_cleanup_free_ char *cmdline = r >= 0 ? installer_kernel_cmdline(&params, &info) : NULL;
	struct basecache_key key = {0};
	if (r >= 0)
		r = key_for(s, sha, &data, cmdline, &key);
	if (r >= 0 && asprintf(text, "%s  # %s", key.hex,
			       basecache_has(cache_dir, key.hex) ? "cached (the build skips the install)" : "not cached") < 0)
		r = -ENOMEM;
	basecache_key_free(&key);
	install_data_free(&data);
	iso_info_free(&info);
	return r;
}
