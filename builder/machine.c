/* machine.c — build VMs under libvirt: domain XML through libxml2's writer,
 * a transient domain started paused so the console misses nothing, the
 * serial console streamed line by line, and lifecycle events on a
 * background event-loop thread deciding how the boot ended. */
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/xmlwriter.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"
#include "signals.h"
#include "strbuf.h"
#include "util.h"

#define TAIL_LINES 40
#define FAILURE_GRACE_SECONDS 20

struct machine {
	virConnectPtr conn;
	virDomainPtr dom;
	virStreamPtr console;
	int lifecycle_cb, reboot_cb;
	char *name;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopped, rebooted, crashed;
	char *failure_line;
	double failure_at;
	char *tail[TAIL_LINES];
	unsigned tail_next;
	struct strbuf partial;     /* console bytes after the last newline */
	char *tail_text;           /* machine_console_tail's last answer */
	char *log_stage;           /* machine_log_console's stage */
	const char *const *log_patterns; /* and its failure patterns */
	bool in_escape;
	const struct machine_watch *watch;
	FILE *console_log;
};

/* ---- libvirt plumbing ---- */

static void silent_error_handler(void *ud, virErrorPtr e)
{
	(void)ud;
	(void)e;
}

static void *event_loop(void *arg)
{
	(void)arg;
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			usleep(100000);
	return NULL;
}

static pthread_once_t event_once = PTHREAD_ONCE_INIT;
static void event_init(void)
{
	virSetErrorFunc(NULL, silent_error_handler);
	virEventRegisterDefaultImpl();
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &attr, event_loop, NULL);
	pthread_attr_destroy(&attr);
}

static const char *virt_error(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

static virConnectPtr connect_libvirt(const char *uri)
{
	pthread_once(&event_once, event_init);
	virConnectPtr c = virConnectOpen(uri);
	if (!c) {
		err_fail(-ECONNREFUSED, "cannot connect to libvirt at %s: %s (is libvirtd running? `make services` starts it)",
			 uri, virt_error());
		return NULL;
	}
	virConnectSetKeepAlive(c, 5, 3);
	return c;
}

/* ---- domain XML ---- */

#define W(call)                                                                                            \
	do {                                                                                               \
		if ((call) < 0)                                                                            \
			goto fail;                                                                         \
	} while (0)

static int text_element(xmlTextWriterPtr w, const char *name, const char *text)
{
	return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text);
}

static int attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value);
}

static int write_disk(xmlTextWriterPtr w, const char *path, bool cdrom, const char *dev, const char *bus)
{
	W(xmlTextWriterStartElement(w, BAD_CAST "disk"));
	W(attr(w, "type", "file"));
	W(attr(w, "device", cdrom ? "cdrom" : "disk"));
	W(xmlTextWriterStartElement(w, BAD_CAST "driver"));
	W(attr(w, "name", "qemu"));
	W(attr(w, "type", cdrom ? "raw" : "qcow2"));
	if (!cdrom) {
		W(attr(w, "discard", "unmap"));
		W(attr(w, "cache", "unsafe")); /* a scratch disk: the build redoes it on a crash */
	}
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "source"));
	W(attr(w, "file", path));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "target"));
	W(attr(w, "dev", dev));
	W(attr(w, "bus", bus));
	W(xmlTextWriterEndElement(w));
	if (cdrom)
		W(xmlTextWriterWriteElement(w, BAD_CAST "readonly", NULL) < 0 ? -1 : 0);
	W(xmlTextWriterEndElement(w));
	return 0;
fail:
	return -1;
}

static void netdev_arg(const struct machine_config *cfg, struct strbuf *sb)
{
	/* QEMU's -netdev option syntax: commas inside values are doubled. The
	 * values here are ours (addresses and ports), never user text. */
	sb_adds(sb, "user,id=hn0");
	if (cfg->restrict_network)
		sb_adds(sb, ",restrict=on");
	if (cfg->ssh_port)
		sb_addf(sb, ",hostfwd=tcp:127.0.0.1:%u-:22", cfg->ssh_port);
	for (size_t i = 0; cfg->guest_forwards && cfg->guest_forwards[i]; i++) {
		const char *f = cfg->guest_forwards[i];
		const char *eq = strchr(f, '=');
		if (!eq)
			continue;
		sb_addf(sb, ",guestfwd=tcp:%.*s-tcp:%s", (int)(eq - f), f, eq + 1);
	}
}

int machine_domain_xml(const struct machine_config *cfg, char **xml)
{
	bool arm = cfg->arch == ARCH_ARM64;
	bool uefi = arm || cfg->firmware == FIRMWARE_UEFI;
	bool user_net = !cfg->network;
	char num[32];
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
	if (!buf || !w)
		abort();
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");

	W(xmlTextWriterStartElement(w, BAD_CAST "domain"));
	W(attr(w, "type", cfg->accel == ACCEL_KVM ? "kvm" : "qemu"));
	if (user_net)
		W(attr(w, "xmlns:qemu", "http://libvirt.org/schemas/domain/qemu/1.0"));
	W(text_element(w, "name", cfg->name));
	W(xmlTextWriterStartElement(w, BAD_CAST "memory"));
	W(attr(w, "unit", "MiB"));
	snprintf(num, sizeof(num), "%llu", (unsigned long long)cfg->memory_mib);
	W(xmlTextWriterWriteString(w, BAD_CAST num));
	W(xmlTextWriterEndElement(w));
	snprintf(num, sizeof(num), "%u", cfg->cpus);
	W(text_element(w, "vcpu", num));

	W(xmlTextWriterStartElement(w, BAD_CAST "os"));
	if (uefi)
		W(attr(w, "firmware", "efi"));
	W(xmlTextWriterStartElement(w, BAD_CAST "type"));
	W(attr(w, "arch", arm ? "aarch64" : "x86_64"));
	W(attr(w, "machine", arm ? "virt" : "q35"));
	W(xmlTextWriterWriteString(w, BAD_CAST "hvm"));
	W(xmlTextWriterEndElement(w));
	if (uefi) {
		/* Firmware by description (QEMU's descriptors, chosen by libvirt); no
		 * Secure Boot: installers boot unsigned kernels directly. */
		W(xmlTextWriterStartElement(w, BAD_CAST "firmware"));
		W(xmlTextWriterStartElement(w, BAD_CAST "feature"));
		W(attr(w, "enabled", "no"));
		W(attr(w, "name", "secure-boot"));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterEndElement(w));
		if (cfg->nvram)
			W(text_element(w, "nvram", cfg->nvram));
	}
	if (cfg->kernel) {
		W(text_element(w, "kernel", cfg->kernel));
		if (cfg->initrd)
			W(text_element(w, "initrd", cfg->initrd));
		if (cfg->cmdline)
			W(text_element(w, "cmdline", cfg->cmdline));
	} else {
		W(xmlTextWriterStartElement(w, BAD_CAST "boot"));
		W(attr(w, "dev", "hd"));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w)); /* os */

	W(xmlTextWriterStartElement(w, BAD_CAST "features"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "acpi", NULL) < 0 ? -1 : 0);
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "cpu"));
	if (arm && cfg->accel != ACCEL_KVM) {
		/* cortex-a57 is the fastest 64-bit model under TCG (no pointer auth). */
		W(attr(w, "mode", "custom"));
		W(attr(w, "match", "exact"));
		W(text_element(w, "model", "cortex-a57"));
	} else if (cfg->accel == ACCEL_KVM) {
		W(attr(w, "mode", "host-passthrough"));
	} else {
		/* RHEL 9 needs x86-64-v2: TCG's "max" has it, the qemu64 default not. */
		W(attr(w, "mode", "maximum"));
	}
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "clock"));
	W(attr(w, "offset", "utc"));
	W(xmlTextWriterEndElement(w));
	W(text_element(w, "on_poweroff", "destroy"));
	W(text_element(w, "on_reboot", "restart"));
	W(text_element(w, "on_crash", "destroy"));

	W(xmlTextWriterStartElement(w, BAD_CAST "devices"));
	W(write_disk(w, cfg->disk, false, "vda", "virtio"));
	for (int i = 0; i < 3 && cfg->cdroms[i]; i++) {
		char dev[8];
		snprintf(dev, sizeof(dev), "sd%c", 'a' + i);
		W(write_disk(w, cfg->cdroms[i], true, dev, arm ? "scsi" : "sata"));
	}
	if (arm && cfg->cdroms[0]) {
		W(xmlTextWriterStartElement(w, BAD_CAST "controller"));
		W(attr(w, "type", "scsi"));
		W(attr(w, "model", "virtio-scsi"));
		W(xmlTextWriterEndElement(w));
	}
	if (!user_net) {
		W(xmlTextWriterStartElement(w, BAD_CAST "interface"));
		W(attr(w, "type", "network"));
		W(xmlTextWriterStartElement(w, BAD_CAST "source"));
		W(attr(w, "network", cfg->network));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterStartElement(w, BAD_CAST "model"));
		W(attr(w, "type", "virtio"));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterStartElement(w, BAD_CAST "serial"));
	W(attr(w, "type", "pty"));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "console"));
	W(attr(w, "type", "pty"));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "rng"));
	W(attr(w, "model", "virtio"));
	W(xmlTextWriterStartElement(w, BAD_CAST "backend"));
	W(attr(w, "model", "random"));
	W(xmlTextWriterWriteString(w, BAD_CAST "/dev/urandom"));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "memballoon"));
	W(attr(w, "model", "none"));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndElement(w)); /* devices */

	if (cfg->run_as_caller) {
		char label[64];
		snprintf(label, sizeof(label), "+%u:+%u", (unsigned)getuid(), (unsigned)getgid());
		W(xmlTextWriterStartElement(w, BAD_CAST "seclabel"));
		W(attr(w, "type", "static"));
		W(attr(w, "model", "dac"));
		W(attr(w, "relabel", "no"));
		W(text_element(w, "label", label));
		W(xmlTextWriterEndElement(w));
	}
	if (user_net) {
		/* libvirt's slirp interface has no restrict=on or forwards: pass the
		 * netdev to QEMU directly. */
		struct strbuf net = STRBUF_INIT;
		sb_init(&net);
		netdev_arg(cfg, &net);
		const char *args[] = {"-netdev", net.buf, "-device",
				      /* An explicit slot libvirt does not hand out (it fills slots from 1 up). */
				      arm ? "virtio-net-pci,netdev=hn0,bus=pcie.0,addr=0x10,romfile=" : "virtio-net-pci,netdev=hn0,bus=pcie.0,addr=0x10"};
		W(xmlTextWriterStartElement(w, BAD_CAST "qemu:commandline"));
		for (unsigned i = 0; i < ARRAY_SIZE(args); i++) {
			if (xmlTextWriterStartElement(w, BAD_CAST "qemu:arg") < 0 || attr(w, "value", args[i]) < 0 ||
			    xmlTextWriterEndElement(w) < 0) {
				sb_release(&net);
				goto fail;
			}
		}
		sb_release(&net);
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w)); /* domain */
	W(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w);
	*xml = xstrdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return 0;
fail:
	xmlFreeTextWriter(w);
	xmlBufferFree(buf);
	return err_fail(-EIO, "cannot write the domain XML for %s", cfg->name);
}

/* ---- console ---- */

static void tail_push(struct machine *m, const char *line)
{
	free(m->tail[m->tail_next]);
	m->tail[m->tail_next] = xstrdup(line);
	m->tail_next = (m->tail_next + 1) % TAIL_LINES;
}

static char *tail_join(struct machine *m)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (unsigned i = 0; i < TAIL_LINES; i++) {
		const char *l = m->tail[(m->tail_next + i) % TAIL_LINES];
		if (l) {
			char *red = log_redact(l);
			sb_addf(&sb, "    | %s\n", red);
			free(red);
		}
	}
	return sb_detach(&sb, NULL);
}

/* Called with m->lock held, for one complete line. */
static void console_line(struct machine *m, const char *line)
{
	if (!*line)
		return;
	tail_push(m, line);
	const struct machine_watch *w = m->watch;
	if (m->console_log) {
		char *red = log_redact(line);
		fprintf(m->console_log, "%s\n", red);
		fflush(m->console_log);
		free(red);
	}
	if (!w || !w->on_line) {
		if (m->log_stage)
			log_console(m->log_stage, line);
		for (size_t i = 0; !w && m->log_patterns && m->log_patterns[i] && !m->failure_line; i++)
			if (strstr(line, m->log_patterns[i])) {
				m->failure_line = xstrdup(line);
				m->failure_at = now_monotonic();
			}
		if (!w)
			return;
	}
	if (w->on_line)
		w->on_line(w->userdata, line);
	for (size_t i = 0; w->failure_patterns && w->failure_patterns[i] && !m->failure_line; i++)
		if (strstr(line, w->failure_patterns[i])) {
			m->failure_line = xstrdup(line);
			m->failure_at = now_monotonic();
			pthread_cond_broadcast(&m->cond);
		}
}

/* Strip terminal escapes and carriage returns; split into lines. */
static void console_bytes(struct machine *m, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)data[i];
		if (m->in_escape) {
			if ((c >= '@' && c <= '~' && c != '[') )
				m->in_escape = false;
			continue;
		}
		if (c == 0x1b) {
			m->in_escape = true;
			continue;
		}
		if (c == '\n') {
			console_line(m, m->partial.buf);
			sb_reset(&m->partial);
		} else if (c == '\r' || c == '\0' || (c < 0x20 && c != '\t')) {
			continue;
		} else if (m->partial.len < 4096) {
			sb_addc(&m->partial, (char)c);
		}
	}
}

static void console_event(virStreamPtr st, int events, void *opaque)
{
	struct machine *m = opaque;
	char buf[4096];
	if (!(events & (VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP | VIR_STREAM_EVENT_ERROR)))
		return;
	for (;;) {
		int n = virStreamRecv(st, buf, sizeof(buf));
		if (n == -2)
			return; /* would block */
		if (n <= 0) {
			virStreamEventRemoveCallback(st);
			return;
		}
		pthread_mutex_lock(&m->lock);
		console_bytes(m, buf, (size_t)n);
		pthread_mutex_unlock(&m->lock);
	}
}

/* ---- lifecycle ---- */

static int lifecycle_event(virConnectPtr c, virDomainPtr d, int event, int detail, void *opaque)
{
	(void)c;
	(void)d;
	struct machine *m = opaque;
	pthread_mutex_lock(&m->lock);
	if (event == VIR_DOMAIN_EVENT_STOPPED) {
		m->stopped = true;
		if (detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED || detail == VIR_DOMAIN_EVENT_STOPPED_FAILED)
			m->crashed = true;
	} else if (event == VIR_DOMAIN_EVENT_CRASHED) {
		m->crashed = true;
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static void reboot_event(virConnectPtr c, virDomainPtr d, void *opaque)
{
	(void)c;
	(void)d;
	struct machine *m = opaque;
	pthread_mutex_lock(&m->lock);
	m->rebooted = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

int machine_start(const char *uri, const struct machine_config *cfg, bool autodestroy, struct machine **out)
{
	_cleanup_free_ char *xml = NULL;
	int r = machine_domain_xml(cfg, &xml);
	if (r < 0)
		return r;
	log_debug("domain XML for %s:\n%s", cfg->name, xml);

	struct machine *m = xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	sb_init(&m->partial);
	m->lifecycle_cb = m->reboot_cb = -1;
	m->name = xstrdup(cfg->name);
	m->conn = connect_libvirt(uri);
	if (!m->conn) {
		machine_free(m, false);
		return -ECONNREFUSED;
	}
	unsigned flags = VIR_DOMAIN_START_PAUSED | (autodestroy ? VIR_DOMAIN_START_AUTODESTROY : 0);
	m->dom = virDomainCreateXML(m->conn, xml, flags);
	if (!m->dom) {
		r = err_fail(-EIO, "cannot start the %s VM: %s", cfg->name, virt_error());
		machine_free(m, false);
		return r;
	}
	m->lifecycle_cb = virConnectDomainEventRegisterAny(m->conn, m->dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
							   VIR_DOMAIN_EVENT_CALLBACK(lifecycle_event), m, NULL);
	m->reboot_cb = virConnectDomainEventRegisterAny(m->conn, m->dom, VIR_DOMAIN_EVENT_ID_REBOOT,
							VIR_DOMAIN_EVENT_CALLBACK(reboot_event), m, NULL);
	if (m->lifecycle_cb < 0 || m->reboot_cb < 0) {
		r = err_fail(-EIO, "cannot watch the %s VM's events: %s", cfg->name, virt_error());
		machine_free(m, false);
		return r;
	}
	m->console = virStreamNew(m->conn, VIR_STREAM_NONBLOCK);
	if (!m->console || virDomainOpenConsole(m->dom, NULL, m->console, VIR_DOMAIN_CONSOLE_FORCE) < 0 ||
	    virStreamEventAddCallback(m->console,
				      VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP | VIR_STREAM_EVENT_ERROR,
				      console_event, m, NULL) < 0) {
		r = err_fail(-EIO, "cannot attach to the %s VM's serial console: %s", cfg->name, virt_error());
		machine_free(m, false);
		return r;
	}
	if (virDomainResume(m->dom) < 0) {
		r = err_fail(-EIO, "cannot resume the %s VM: %s", cfg->name, virt_error());
		machine_free(m, false);
		return r;
	}
	*out = m;
	return 0;
}

const char *machine_name(const struct machine *m) { return m->name; }

void machine_log_console(struct machine *m, const char *stage, const char *path, const char *const *failure_patterns)
{
	pthread_mutex_lock(&m->lock);
	str_set(&m->log_stage, stage);
	m->log_patterns = failure_patterns;
	if (!m->console_log && path)
		m->console_log = fopen(path, "ae");
	pthread_mutex_unlock(&m->lock);
}

const char *machine_failure_line(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	const char *l = m->failure_line;
	pthread_mutex_unlock(&m->lock);
	return l;
}

bool machine_stopped(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	bool stopped = m->stopped || m->crashed;
	pthread_mutex_unlock(&m->lock);
	return stopped;
}

const char *machine_console_tail(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	free(m->tail_text);
	m->tail_text = tail_join(m);
	pthread_mutex_unlock(&m->lock);
	return m->tail_text;
}

const char *machine_outcome_name(enum machine_outcome o)
{
	switch (o) {
	case MACHINE_POWEROFF: return "powered off";
	case MACHINE_REBOOTED: return "rebooted instead of powering off";
	case MACHINE_FAILED_LINE: return "failed";
	case MACHINE_TIMEOUT: return "timed out";
	case MACHINE_INTERRUPTED: return "interrupted";
	case MACHINE_CRASHED: return "crashed";
	default: return "stopped";
	}
}

int machine_wait(struct machine *m, const struct machine_watch *w, struct machine_result *res)
{
	double start = now_monotonic();
	memset(res, 0, sizeof(*res));

	pthread_mutex_lock(&m->lock);
	m->watch = w;
	if (w->console_log && !m->console_log)
		m->console_log = fopen(w->console_log, "ae");
	for (;;) {
		double now = now_monotonic();
		if (m->failure_line && (m->stopped || now - m->failure_at > FAILURE_GRACE_SECONDS)) {
			res->outcome = MACHINE_FAILED_LINE;
			break;
		}
		if (m->failure_line) {
			/* Let the installer finish printing its traceback and power off. */
		} else if (m->rebooted) {
			res->outcome = MACHINE_REBOOTED;
			break;
		} else if (m->crashed) {
			res->outcome = MACHINE_CRASHED;
			break;
		} else if (m->stopped) {
			res->outcome = MACHINE_POWEROFF;
			break;
		}
		if (signals_interrupted()) {
			res->outcome = MACHINE_INTERRUPTED;
			break;
		}
		if (w->timeout && now - start > w->timeout) {
			res->outcome = MACHINE_TIMEOUT;
			break;
		}
		if (w->poll) {
			pthread_mutex_unlock(&m->lock);
			int stop = w->poll(w->userdata);
			pthread_mutex_lock(&m->lock);
			if (stop) {
				res->outcome = MACHINE_STOPPED_BY_CALLER;
				break;
			}
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&m->cond, &m->lock, &ts);
	}
	/* A last partial line (a prompt, say) belongs in the tail too. */
	if (m->partial.len) {
		tail_push(m, m->partial.buf);
		sb_reset(&m->partial);
	}
	res->failure_line = m->failure_line ? log_redact(m->failure_line) : NULL;
	res->console_tail = tail_join(m);
	res->seconds = now_monotonic() - start;
	m->watch = NULL;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int machine_shutdown(struct machine *m, unsigned timeout)
{
	if (!m->dom)
		return 0;
	if (virDomainShutdown(m->dom) < 0 && virDomainIsActive(m->dom) == 1)
		log_debug("ACPI shutdown of %s failed: %s", m->name, virt_error());
	double start = now_monotonic();
	pthread_mutex_lock(&m->lock);
	while (!m->stopped && now_monotonic() - start < timeout) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&m->cond, &m->lock, &ts);
	}
	bool stopped = m->stopped;
	pthread_mutex_unlock(&m->lock);
	if (!stopped) {
		log_warn("%s did not power off within %u s; forcing it off", m->name, timeout);
		virDomainDestroy(m->dom);
	}
	return 0;
}

void machine_free(struct machine *m, bool keep_running)
{
	if (!m)
		return;
	if (m->console) {
		virStreamEventRemoveCallback(m->console);
		virStreamAbort(m->console);
		virStreamFree(m->console);
	}
	if (m->conn && m->lifecycle_cb >= 0)
		virConnectDomainEventDeregisterAny(m->conn, m->lifecycle_cb);
	if (m->conn && m->reboot_cb >= 0)
		virConnectDomainEventDeregisterAny(m->conn, m->reboot_cb);
	if (m->dom) {
		if (!keep_running && virDomainIsActive(m->dom) == 1)
			virDomainDestroy(m->dom);
		virDomainFree(m->dom);
	}
	if (m->conn)
		virConnectClose(m->conn);
	if (m->console_log)
		fclose(m->console_log);
	for (unsigned i = 0; i < TAIL_LINES; i++)
		free(m->tail[i]);
	free(m->failure_line);
	free(m->tail_text);
	free(m->log_stage);
	free(m->name);
	sb_release(&m->partial);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
}

void machine_result_free(struct machine_result *r)
{
	free(r->failure_line);
	free(r->console_tail);
	memset(r, 0, sizeof(*r));
}

bool machine_domain_exists(const char *uri, const char *name)
{
	virConnectPtr c = connect_libvirt(uri);
	if (!c) {
		err_clear();
		return false;
	}
	virDomainPtr d = virDomainLookupByName(c, name);
	bool exists = d != NULL;
	if (d)
		virDomainFree(d);
	virConnectClose(c);
	return exists;
}

/* ---- accelerator ---- */

enum accel_kind machine_pick_accel(const char *uri, enum accel_kind requested, enum arch_id arch,
				   const char *kernel)
{
	if (requested != ACCEL_AUTO)
		return requested;
#if defined(__x86_64__)
	bool native = arch == ARCH_AMD64;
#elif defined(__aarch64__)
	bool native = arch == ARCH_ARM64;
#else
	bool native = false;
#endif
	if (!native)
		return ACCEL_TCG;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		log_warn("KVM is not available (/dev/kvm: %s); using TCG, which is much slower", strerror(errno));
		return ACCEL_TCG;
	}
	close(fd);

	/* A kernel without a root file system panics at once; with panic=-1 it
	 * reboots, and that reboot proves KVM runs Linux on this host. */
	_cleanup_free_ char *rnd = random_hex(4);
	_cleanup_free_ char *name = NULL;
	if (asprintf(&name, "hnbuild-kvm-probe-%s", rnd) < 0)
		abort();
	_cleanup_free_ char *disk_dir = xstrdup("/tmp/hnbuild-kvm-probe-XXXXXX");
	if (!mkdtemp(disk_dir))
		return ACCEL_TCG;
	_cleanup_free_ char *disk = path_join(disk_dir, "empty.qcow2");
	struct machine_config cfg = {
		.name = name, .arch = arch, .firmware = FIRMWARE_BIOS, .accel = ACCEL_KVM, .cpus = 1,
		.memory_mib = 512, .kernel = kernel, .cmdline = "console=ttyS0 panic=-1 root=/dev/hnbuild-none",
		.disk = NULL, .restrict_network = true, .run_as_caller = true,
	};
	/* The probe needs no disk; libvirt needs a file for the virtio disk. */
	FILE *f = fopen(disk, "we");
	if (f)
		fclose(f);
	cfg.disk = disk;
	struct machine *m = NULL;
	enum accel_kind result = ACCEL_TCG;
	double t0 = now_monotonic();
	if (machine_start(uri, &cfg, true, &m) == 0) {
		struct machine_watch w = {.stage = "kvm-probe", .timeout = 20};
		struct machine_result res;
		machine_wait(m, &w, &res);
		if (res.outcome == MACHINE_REBOOTED)
			result = ACCEL_KVM;
		machine_result_free(&res);
		machine_free(m, false);
	} else {
		err_clear();
	}
	rm_rf(disk_dir);
	if (result == ACCEL_KVM)
		log_info("KVM works here (a test kernel booted in %.1f s)", now_monotonic() - t0);
	else
		log_warn("KVM did not boot a Linux kernel within 20 s on this host; falling back to TCG (slow)");
	return result;
}
