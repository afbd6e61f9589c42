/* machine.c — build VMs under libvirt: domain XML through libxml2's writer,
 * a transient domain started paused so the console misses nothing, the
 * serial console read line by line from FIFOs hnbuild made,
 * lifecycle events on a background event-loop thread deciding how the boot
 * ended, and every call to libvirtd run with a time limit.
 *
 * Why the console is our own FIFO and not virDomainOpenConsole: libvirt
 * frees a domain's character devices on its QEMU event thread when the
 * domain stops, and when a console stream is still open there it takes the
 * stream's lock under its own; a client closing the stream at that moment
 * takes them the other way round, and libvirtd deadlocks for good (issue
 * 21; microsoft/lisa#1884 met the same race). With `<serial type='pipe'>`,
 * QEMU (running as us) writes into a FIFO we made;
 * libvirtd holds no stream, so there is nothing to race, the console bytes
 * do not pass through the daemon, and QEMU's end shows as the FIFO's end
 * even when libvirtd is slow to say so. */
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/xmlwriter.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"
#include "png.h"
#include "signals.h"
#include "strbuf.h"
#include "util.h"

#define TAIL_LINES 40
#define FAILURE_GRACE_SECONDS 20
/* How often the stall watch asks libvirt for the disk's written bytes. */
#define STALL_POLL_SECONDS 5
/* After the guest stopped: how long the console may take to deliver its
 * last bytes (QEMU closes the FIFO as it exits). */
#define CONSOLE_DRAIN_SECONDS 5
/* QEMU has closed the console but libvirtd has sent no stop event: after
 * this long, ask it whether the domain still runs. */
#define STOP_EVENT_GRACE_SECONDS 30
#define CONSOLE_PIPE "console"
/* A screendump larger than this is not a screen (4K RGB is 25 MB). */
#define SCREENSHOT_MAX_BYTES (64u << 20)

struct machine {
	virConnectPtr conn;
	virDomainPtr dom;
	int lifecycle_cb, reboot_cb;
	char *name;
	char *uri;
	char *xml;                 /* the domain's definition, as started */
	unsigned call_timeout;
	bool wedged;               /* a call timed out: libvirtd is not asked again */

	/* The console: FIFOs of ours that QEMU writes into. */
	char *console_path;
	char *console_tmpdir;      /* our own directory for it, removed at the end */
	int console_fd;            /* the read end of console_path.out */
	int stop_pipe[2];          /* tells the reader thread to end */
	pthread_t reader;
	bool reader_started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopped, rebooted, crashed, conn_lost;
	bool console_eof;          /* QEMU closed the console (it exited) */
	double console_eof_at;
	double output_at;          /* when the console last showed a byte */
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

/* ---- bounded calls ----
 * libvirt's client calls wait for the daemon's reply with no limit of their
 * own. Each call runs on a thread of its own while the caller waits at most
 * the call timeout; a call that does not return in time is abandoned (its
 * thread frees the job whenever libvirt lets go of it) and the daemon is
 * reported by name. The connection's keepalive (5 s × 3) ends calls on a
 * connection whose daemon has died or whose event loop has stopped. */

struct lv_job {
	int (*fn)(struct lv_job *);
	/* arguments */
	const char *uri, *xml;
	virConnectPtr conn;
	virDomainPtr dom;
	unsigned flags;
	int id;
	struct machine *m;
	/* results */
	int ret;
	virConnectPtr conn_out;
	virDomainPtr dom_out;
	long long wr_bytes;
	char *mime;                /* job_screenshot: the image's type and bytes */
	char *bytes;
	size_t n_bytes;
	int last_error_code;
	char *error;               /* libvirt's message for a failed call (its errors are per thread) */
	/* between the caller and the call's thread */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int refs;
};

static void lv_job_unref(struct lv_job *j)
{
	pthread_mutex_lock(&j->lock);
	bool last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j->error);
	free(j->mime);
	free(j->bytes);
	free(j);
}

/* A job that never ran: both references go. */
static void lv_job_drop(struct lv_job *j)
{
	lv_job_unref(j);
	lv_job_unref(j);
}

static void *lv_thread(void *arg)
{
	struct lv_job *j = arg;
	j->ret = j->fn(j);
	if (j->ret < 0) {
		virErrorPtr e = virGetLastError();
		j->last_error_code = e ? e->code : 0;
		j->error = xstrdup(e && e->message ? e->message : "unknown libvirt error");
	}
	pthread_mutex_lock(&j->lock);
	j->done = true;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	lv_job_unref(j);
	return NULL;
}

static struct lv_job *lv_job_new(int (*fn)(struct lv_job *))
{
	struct lv_job *j = xcalloc(1, sizeof(*j));
	j->fn = fn;
	j->refs = 2; /* the caller's and the call thread's */
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	return j;
}

/* Run j->fn on its own thread, waiting at most timeout seconds. Returns
 * 0 when the call returned (its result in j->ret, j->error), or -ETIMEDOUT
 * with the error recorded. The caller unrefs j either way. */
static int lv_run(struct lv_job *j, const char *uri, const char *what, unsigned timeout)
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, lv_thread, j) != 0)
		abort();
	pthread_attr_destroy(&attr);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout;
	pthread_mutex_lock(&j->lock);
	while (!j->done && pthread_cond_timedwait(&j->cond, &j->lock, &deadline) != ETIMEDOUT)
		;
	bool done = j->done;
	pthread_mutex_unlock(&j->lock);
	if (done)
		return 0;
	return err_fail(-ETIMEDOUT,
			"libvirtd at %s did not answer within %u s (%s): the daemon looks wedged; "
			"if `virsh -c %s list` hangs too, restart libvirtd (--libvirt-timeout sets the limit)",
			uri, timeout, what, uri);
}

/* One bounded call on machine m: 0 with the call's own result in *ret, or a
 * negative errno with the error recorded (a timeout marks m wedged). */
static int m_call(struct machine *m, struct lv_job *j, const char *what, int *ret, char **error)
{
	if (m->wedged) {
		lv_job_drop(j);
		return err_fail(-ETIMEDOUT, "libvirtd at %s stopped answering earlier; not asking it to %s", m->uri, what);
	}
	j->m = m;
	j->conn = m->conn;
	j->dom = m->dom;
	int r = lv_run(j, m->uri, what, m->call_timeout);
	if (r < 0)
		m->wedged = true;
	else {
		*ret = j->ret;
		if (error)
			*error = j->error ? xstrdup(j->error) : NULL;
	}
	lv_job_unref(j);
	return r;
}

static int job_open(struct lv_job *j)
{
	j->conn_out = virConnectOpen(j->uri);
	if (!j->conn_out)
		return -1;
	/* Without answers to keepalives for 5 s × 3 the connection is closed:
	 * calls on it fail instead of waiting, and the close callback fires. */
	virConnectSetKeepAlive(j->conn_out, 5, 3);
	return 0;
}

static int job_close(struct lv_job *j) { return virConnectClose(j->conn); }

static int job_create(struct lv_job *j)
{
	j->dom_out = virDomainCreateXML(j->conn, j->xml, j->flags);
	return j->dom_out ? 0 : -1;
}

static int job_resume(struct lv_job *j) { return virDomainResume(j->dom); }
static int job_shutdown(struct lv_job *j) { return virDomainShutdown(j->dom); }
static int job_destroy(struct lv_job *j) { return virDomainDestroy(j->dom); }
static int job_is_active(struct lv_job *j) { return virDomainIsActive(j->dom); }
static int job_deregister(struct lv_job *j) { return virConnectDomainEventDeregisterAny(j->conn, j->id); }
/* Bytes written to the VM's disk so far (j->wr_bytes). */
static int job_disk_writes(struct lv_job *j)
{
	virDomainBlockStatsStruct st;
	if (virDomainBlockStats(j->dom, "vda", &st, sizeof(st)) < 0)
		return -1;
	j->wr_bytes = st.wr_bytes;
	return 0;
}

/* What the VM's screen shows (j->mime, j->bytes): QEMU's screendump
 * through a libvirt stream, read to its end on this job's thread. */
static int job_screenshot(struct lv_job *j)
{
	virStreamPtr st = virStreamNew(j->conn, 0);
	if (!st)
		return -1;
	char *mime = virDomainScreenshot(j->dom, st, 0, 0);
	if (!mime) {
		virStreamFree(st);
		return -1;
	}
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	char buf[65536];
	int n;
	while ((n = virStreamRecv(st, buf, sizeof(buf))) > 0 && sb.len < SCREENSHOT_MAX_BYTES)
		sb_add(&sb, buf, (size_t)n);
	if (n < 0 || sb.len >= SCREENSHOT_MAX_BYTES) {
		virStreamAbort(st);
		virStreamFree(st);
		free(mime);
		sb_release(&sb);
		return -1;
	}
	int f = virStreamFinish(st);
	virStreamFree(st);
	if (f < 0) {
		free(mime);
		sb_release(&sb);
		return -1;
	}
	j->mime = mime;
	j->bytes = sb_detach(&sb, &j->n_bytes);
	return 0;
}

static int lifecycle_event(virConnectPtr c, virDomainPtr d, int event, int detail, void *opaque);
static void reboot_event(virConnectPtr c, virDomainPtr d, void *opaque);

static int job_register(struct lv_job *j)
{
	if (j->id == VIR_DOMAIN_EVENT_ID_LIFECYCLE)
		return virConnectDomainEventRegisterAny(j->conn, j->dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
							VIR_DOMAIN_EVENT_CALLBACK(lifecycle_event), j->m, NULL);
	return virConnectDomainEventRegisterAny(j->conn, j->dom, VIR_DOMAIN_EVENT_ID_REBOOT,
						VIR_DOMAIN_EVENT_CALLBACK(reboot_event), j->m, NULL);
}

static int job_lookup(struct lv_job *j)
{
	j->dom_out = virDomainLookupByName(j->conn, j->xml);
	return j->dom_out ? 0 : -1;
}

/* A bounded connection into *c; a negative errno with the error recorded
 * (-ETIMEDOUT: the daemon did not answer). */
static int connect_libvirt(const char *uri, unsigned timeout, virConnectPtr *c)
{
	pthread_once(&event_once, event_init);
	struct lv_job *j = lv_job_new(job_open);
	j->uri = uri;
	*c = NULL;
	int r = lv_run(j, uri, "connecting", timeout);
	if (r == 0) {
		*c = j->conn_out;
		if (!*c)
			r = err_fail(-ECONNREFUSED,
				     "cannot connect to libvirt at %s: %s (is libvirtd running? `make services` starts it)",
				     uri, j->error);
	}
	lv_job_unref(j);
	return r;
}

/* Close a connection that is not a machine's (bounded; errors dropped). */
static void close_libvirt(virConnectPtr c, const char *uri, unsigned timeout)
{
	struct lv_job *j = lv_job_new(job_close);
	j->conn = c;
	struct err_saved saved;
	err_save(&saved);
	if (lv_run(j, uri, "closing the connection", timeout) < 0)
		log_debug("%s", err_message());
	if (saved.message)
		err_restore(&saved, NULL);
	else
		err_clear();
	lv_job_unref(j);
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
	if (cfg->disk)
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
	if (cfg->console_pipe) {
		/* The serial console: QEMU writes into our FIFOs (see the top of
		 * this file); libvirt adds the matching <console> itself. */
		W(xmlTextWriterStartElement(w, BAD_CAST "serial"));
		W(attr(w, "type", "pipe"));
		W(xmlTextWriterStartElement(w, BAD_CAST "source"));
		W(attr(w, "path", cfg->console_pipe));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterStartElement(w, BAD_CAST "target"));
		W(attr(w, "port", "0"));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterEndElement(w));
	}
	/* A screen for the failure bundle's screenshot (machine_screenshot):
	 * what the installers show on tty1. No <graphics>: nothing displays
	 * it and no port is opened. */
	W(xmlTextWriterStartElement(w, BAD_CAST "video"));
	W(xmlTextWriterStartElement(w, BAD_CAST "model"));
	W(attr(w, "type", cfg->arch == ARCH_ARM64 ? "virtio" : "vga"));
	W(xmlTextWriterEndElement(w));
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

/* The console pipe: two FIFOs of ours, BASE.in and BASE.out, in the
 * build's directory (else a private temporary one). QEMU writes the serial
 * output into BASE.out. A FIFO rather than a unix socket: QEMU writes the
 * serial port a byte at a time, and a unix socket counts every byte as a
 * whole buffer against its send limit, so a reader that falls a few
 * hundred bytes behind makes QEMU's writes fail and the guest's UART drop
 * bytes; a FIFO packs small writes into 64 KiB. */
static int console_open(struct machine *m, const char *dir)
{
	if (dir) {
		m->console_path = path_join(dir, CONSOLE_PIPE);
	} else {
		const char *tmp = getenv("TMPDIR");
		if (str_empty(tmp))
			tmp = "/tmp";
		m->console_tmpdir = path_join(tmp, "hnbuild-console-XXXXXX");
		if (!mkdtemp(m->console_tmpdir)) {
			int r = err_fail_errno(-errno, "cannot create a directory for the %s VM's console under %s",
					       m->name, tmp);
			free(m->console_tmpdir);
			m->console_tmpdir = NULL;
			return r;
		}
		m->console_path = path_join(m->console_tmpdir, CONSOLE_PIPE);
	}
	static const char *const ends[] = {".in", ".out"};
	for (unsigned i = 0; i < ARRAY_SIZE(ends); i++) {
		_cleanup_free_ char *fifo = NULL;
		if (asprintf(&fifo, "%s%s", m->console_path, ends[i]) < 0)
			abort();
		unlink(fifo); /* an earlier VM's in the same work directory */
		if (mkfifo(fifo, 0600) < 0)
			return err_fail_errno(-errno, "cannot create %s for the %s VM's console", fifo, m->name);
		if (i == 1) {
			/* Opened before QEMU starts: its open for writing never waits. */
			m->console_fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (m->console_fd < 0)
				return err_fail_errno(-errno, "cannot open %s for the %s VM's console", fifo, m->name);
		}
	}
	return 0;
}

static void console_ended(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	if (!m->console_eof) {
		m->console_eof = true;
		m->console_eof_at = now_monotonic();
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/* The reader thread: hand every byte to console_bytes until QEMU closes
 * its end (it exited) or machine_free says stop. Started once QEMU runs,
 * so a read of 0 means QEMU is gone. */
static void *console_reader(void *arg)
{
	struct machine *m = arg;
	char buf[4096];
	for (;;) {
		struct pollfd p[2] = {{.fd = m->stop_pipe[0], .events = POLLIN},
				      {.fd = m->console_fd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (!p[1].revents)
			continue;
		ssize_t n = read(m->console_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			console_ended(m);
			break;
		}
		pthread_mutex_lock(&m->lock);
		m->output_at = now_monotonic();
		console_bytes(m, buf, (size_t)n);
		pthread_mutex_unlock(&m->lock);
	}
	return NULL;
}

static void console_stop(struct machine *m)
{
	if (m->reader_started) {
		if (write(m->stop_pipe[1], "x", 1) < 0)
			log_debug("cannot wake the console reader: %s", strerror(errno));
		pthread_join(m->reader, NULL);
		m->reader_started = false;
	}
	if (m->console_fd >= 0)
		close(m->console_fd);
	m->console_fd = -1;
	for (int i = 0; i < 2; i++)
		if (m->stop_pipe[i] >= 0)
			close(m->stop_pipe[i]);
	m->stop_pipe[0] = m->stop_pipe[1] = -1;
	for (unsigned i = 0; m->console_path && i < 2; i++) {
		_cleanup_free_ char *fifo = NULL;
		if (asprintf(&fifo, "%s%s", m->console_path, i ? ".out" : ".in") < 0)
			abort();
		unlink(fifo);
	}
	if (m->console_tmpdir)
		rmdir(m->console_tmpdir);
}

/* ---- lifecycle ---- */

/* Set one of m's flags and wake whoever waits on it. */
static void raise_flag(struct machine *m, bool *flag)
{
	pthread_mutex_lock(&m->lock);
	*flag = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

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

/* The connection closed under us: the daemon died, or keepalives went
 * unanswered. */
static void connection_closed(virConnectPtr c, int reason, void *opaque)
{
	(void)c;
	(void)reason;
	struct machine *m = opaque;
	raise_flag(m, &m->conn_lost);
}

static void reboot_event(virConnectPtr c, virDomainPtr d, void *opaque)
{
	(void)c;
	(void)d;
	struct machine *m = opaque;
	raise_flag(m, &m->rebooted);
}

static int start_failed(struct machine *m, int r)
{
	machine_free(m, false);
	return r;
}

int machine_start(const char *uri, const struct machine_config *cfg, bool autodestroy, struct machine **out)
{
	struct machine *m = xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	sb_init(&m->partial);
	m->lifecycle_cb = m->reboot_cb = -1;
	m->console_fd = -1;
	m->stop_pipe[0] = m->stop_pipe[1] = -1;
	m->name = xstrdup(cfg->name);
	m->uri = xstrdup(uri);
	m->call_timeout = cfg->call_timeout ? cfg->call_timeout : MACHINE_CALL_TIMEOUT;

	int r = console_open(m, cfg->console_dir);
	if (r < 0)
		return start_failed(m, r);
	struct machine_config with_console = *cfg;
	with_console.console_pipe = m->console_path;
	_cleanup_free_ char *xml = NULL;
	r = machine_domain_xml(&with_console, &xml);
	if (r < 0)
		return start_failed(m, r);
	log_debug("domain XML for %s:\n%s", cfg->name, xml);
	m->xml = xstrdup(xml);

	r = connect_libvirt(uri, m->call_timeout, &m->conn);
	if (r < 0) {
		m->wedged = r == -ETIMEDOUT;
		return start_failed(m, r);
	}
	virConnectRegisterCloseCallback(m->conn, connection_closed, m, NULL);

	int ret = 0;
	_cleanup_free_ char *error = NULL;
	struct lv_job *j = lv_job_new(job_create);
	j->xml = xml;
	j->flags = VIR_DOMAIN_START_PAUSED | (autodestroy ? VIR_DOMAIN_START_AUTODESTROY : 0);
	virDomainPtr dom = NULL;
	j->refs++; /* keep it to read dom_out */
	r = m_call(m, j, "starting the VM", &ret, &error);
	if (r == 0)
		dom = j->dom_out;
	lv_job_unref(j);
	if (r < 0)
		return start_failed(m, r);
	if (!dom)
		return start_failed(m, err_fail(-EIO, "cannot start the %s VM: %s", cfg->name, error));
	m->dom = dom;

	static const int ids[] = {VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_ID_REBOOT};
	int *cbs[] = {&m->lifecycle_cb, &m->reboot_cb};
	for (unsigned i = 0; i < ARRAY_SIZE(ids); i++) {
		free(error);
		error = NULL;
		j = lv_job_new(job_register);
		j->id = ids[i];
		r = m_call(m, j, "watching the VM's events", cbs[i], &error);
		if (r < 0)
			return start_failed(m, r);
		if (*cbs[i] < 0)
			return start_failed(m, err_fail(-EIO, "cannot watch the %s VM's events: %s", cfg->name, error));
	}

	/* QEMU opened the console pipe as it started; the bytes wait there
	 * until the reader takes them. */
	if (pipe2(m->stop_pipe, O_CLOEXEC) < 0)
		return start_failed(m, err_fail_errno(-errno, "cannot make a pipe for the %s VM's console", cfg->name));
	if (pthread_create(&m->reader, NULL, console_reader, m) != 0)
		abort();
	m->reader_started = true;

	free(error);
	error = NULL;
	r = m_call(m, lv_job_new(job_resume), "resuming the VM", &ret, &error);
	if (r < 0)
		return start_failed(m, r);
	if (ret < 0)
		return start_failed(m, err_fail(-EIO, "cannot resume the %s VM: %s", cfg->name, error));
	*out = m;
	return 0;
}

const char *machine_xml(const struct machine *m) { return m ? m->xml : NULL; }

int machine_screenshot(struct machine *m, const char *path)
{
	if (!m || !m->dom || machine_stopped(m))
		return err_fail(-ESRCH, "no running VM to take a screenshot of");
	struct lv_job *j = lv_job_new(job_screenshot);
	j->refs++; /* keep it to read the image */
	int ret = 0;
	_cleanup_free_ char *error = NULL;
	int r = m_call(m, j, "taking a screenshot", &ret, &error);
	if (r == 0 && ret < 0)
		r = err_fail(-EIO, "cannot take a screenshot of %s: %s", m->name, error ? error : "unknown error");
	else if (r == 0) {
		r = j->mime && !strcmp(j->mime, "image/png")
			? write_file_atomic(path, j->bytes, j->n_bytes, 0600)
			: png_write_from_ppm(path, (const unsigned char *)j->bytes, j->n_bytes);
		if (r < 0)
			r = err_fail(r, "cannot write the screenshot of %s (%s, %zu bytes) to %s", m->name,
				     j->mime ? j->mime : "no type", j->n_bytes, path);
	}
	lv_job_unref(j);
	return r;
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
	case MACHINE_STALLED: return "stalled (no console output and no disk writes)";
	case MACHINE_FAILED_LINE: return "failed";
	case MACHINE_TIMEOUT: return "timed out";
	case MACHINE_INTERRUPTED: return "interrupted";
	case MACHINE_CRASHED: return "crashed";
	case MACHINE_DAEMON_LOST: return "lost libvirtd (the daemon died or stopped answering)";
	default: return "stopped";
	}
}

/* QEMU has closed the console, and no stop event came: is the domain
 * still running? Called without m->lock. Returns false when libvirtd does
 * not answer (m is then wedged). */
static bool ask_if_stopped(struct machine *m)
{
	int active = 0;
	_cleanup_free_ char *error = NULL;
	if (m_call(m, lv_job_new(job_is_active), "telling whether the VM runs", &active, &error) < 0) {
		log_warn("%s", err_message());
		err_clear();
		return false;
	}
	if (active != 1) {
		log_warn("%s: QEMU has exited but libvirtd sent no stop event within %d s; taking it as stopped",
			 m->name, STOP_EVENT_GRACE_SECONDS);
		raise_flag(m, &m->stopped);
	}
	return true;
}

/* Bytes the guest has written to its disk, or -1 when libvirt cannot tell. */
static long long disk_writes(struct machine *m)
{
	struct lv_job *j = lv_job_new(job_disk_writes);
	j->refs++; /* ours, to read the result after m_call lets go */
	int ret = -1;
	long long wr = -1;
	if (m_call(m, j, "reading the disk's statistics", &ret, NULL) == 0 && ret == 0)
		wr = j->wr_bytes;
	else
		err_clear();
	lv_job_unref(j);
	return wr;
}

int machine_wait(struct machine *m, const struct machine_watch *w, struct machine_result *res)
{
	double start = now_monotonic();
	memset(res, 0, sizeof(*res));

	pthread_mutex_lock(&m->lock);
	m->watch = w;
	if (w->console_log && !m->console_log)
		m->console_log = fopen(w->console_log, "ae");
	bool asked = false;
	/* The stall watch: console bytes (output_at) or a change in the disk's
	 * written bytes, asked every STALL_POLL_SECONDS, count as activity. */
	double active_at = start, poll_at = start;
	long long written = -1;
	if (m->output_at < start)
		m->output_at = start;
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
		if (m->conn_lost || m->wedged) {
			res->outcome = MACHINE_DAEMON_LOST;
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
		if (w->stall_timeout && !m->failure_line && now >= poll_at) {
			poll_at = now + STALL_POLL_SECONDS;
			pthread_mutex_unlock(&m->lock);
			long long wr = disk_writes(m);
			pthread_mutex_lock(&m->lock);
			if (wr < 0 || wr != written)
				active_at = now; /* unknown counts as activity: never a stall on a guess */
			written = wr;
			double last = active_at > m->output_at ? active_at : m->output_at;
			if (now - last > w->stall_timeout) {
				res->outcome = MACHINE_STALLED;
				break;
			}
		}
		if (m->console_eof && !asked && now - m->console_eof_at > STOP_EVENT_GRACE_SECONDS) {
			asked = true;
			pthread_mutex_unlock(&m->lock);
			ask_if_stopped(m);
			pthread_mutex_lock(&m->lock);
			continue;
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
	/* The guest is gone: the console's last bytes are on their way (QEMU
	 * closes the FIFO as it exits); the log gets all of them. */
	double drain_end = now_monotonic() + CONSOLE_DRAIN_SECONDS;
	while ((m->stopped || m->crashed) && !m->console_eof && m->reader_started && now_monotonic() < drain_end) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
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
	int ret = 0;
	_cleanup_free_ char *error = NULL;
	int r = m_call(m, lv_job_new(job_shutdown), "shutting the VM down", &ret, &error);
	if (r < 0)
		return r;
	if (ret < 0)
		log_debug("ACPI shutdown of %s failed: %s", m->name, error);
	double start = now_monotonic();
	pthread_mutex_lock(&m->lock);
	while (!m->stopped && !m->conn_lost && now_monotonic() - start < timeout) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&m->cond, &m->lock, &ts);
	}
	bool stopped = m->stopped;
	pthread_mutex_unlock(&m->lock);
	if (!stopped) {
		log_warn("%s did not power off within %u s; forcing it off", m->name, timeout);
		r = m_call(m, lv_job_new(job_destroy), "forcing the VM off", &ret, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Clean-up calls: bounded, their errors logged and dropped (the build's
 * own error stays). */
static void free_call(struct machine *m, struct lv_job *j, const char *what, int *ret)
{
	if (m->wedged) { /* already reported; asking again would only wait again */
		lv_job_drop(j);
		return;
	}
	struct err_saved saved;
	err_save(&saved);
	int dummy;
	if (m_call(m, j, what, ret ? ret : &dummy, NULL) < 0)
		log_warn("%s", err_message());
	if (saved.message)
		err_restore(&saved, NULL);
	else
		err_clear();
}

void machine_free(struct machine *m, bool keep_running)
{
	if (!m)
		return;
	if (m->dom && !keep_running) {
		int active = 0;
		free_call(m, lv_job_new(job_is_active), "telling whether the VM runs", &active);
		if (active == 1)
			free_call(m, lv_job_new(job_destroy), "destroying the VM", NULL);
	}
	/* The console is ours: its end races nothing in libvirtd. */
	console_stop(m);
	int *cbs[] = {&m->lifecycle_cb, &m->reboot_cb};
	for (unsigned i = 0; i < ARRAY_SIZE(cbs); i++)
		if (m->conn && *cbs[i] >= 0) {
			struct lv_job *j = lv_job_new(job_deregister);
			j->id = *cbs[i];
			free_call(m, j, "ending the event watch", NULL);
		}
	/* Once libvirtd stopped answering, its objects are left as they are
	 * (freeing them would wait on the daemon too); the process ends soon. */
	if (!m->wedged) {
		if (m->conn)
			virConnectUnregisterCloseCallback(m->conn, connection_closed);
		if (m->dom)
			virDomainFree(m->dom);
		if (m->conn)
			free_call(m, lv_job_new(job_close), "closing the connection", NULL);
	}
	if (m->console_log)
		fclose(m->console_log);
	for (unsigned i = 0; i < TAIL_LINES; i++)
		free(m->tail[i]);
	free(m->failure_line);
	free(m->tail_text);
	free(m->log_stage);
	free(m->name);
	free(m->uri);
	free(m->xml);
	free(m->console_path);
	free(m->console_tmpdir);
	sb_release(&m->partial);
	/* With a connection to a daemon that stopped answering, an abandoned
	 * call or the event loop may still reach m: it stays. */
	if (m->wedged && m->conn)
		return;
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
	virConnectPtr c = NULL;
	if (connect_libvirt(uri, MACHINE_CALL_TIMEOUT, &c) < 0) {
		err_clear();
		return true; /* cannot tell: not "gone" */
	}
	struct lv_job *j = lv_job_new(job_lookup);
	j->conn = c;
	j->xml = name;
	j->refs++;
	bool exists = true;
	if (lv_run(j, uri, "looking the VM up", MACHINE_CALL_TIMEOUT) == 0) {
		if (j->dom_out) {
			virDomainFree(j->dom_out);
		} else if (j->last_error_code == VIR_ERR_NO_DOMAIN) {
			exists = false;
		}
	} else {
		err_clear();
	}
	lv_job_unref(j);
	lv_job_unref(j);
	close_libvirt(c, uri, MACHINE_CALL_TIMEOUT);
	return exists;
}

/* ---- accelerator ---- */

enum accel_kind machine_pick_accel(const char *uri, unsigned call_timeout, enum accel_kind requested,
				   enum arch_id arch, const char *kernel)
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
	struct machine_config cfg = {
		.name = name, .arch = arch, .firmware = FIRMWARE_BIOS, .accel = ACCEL_KVM, .cpus = 1,
		.memory_mib = 512, .kernel = kernel, .cmdline = "console=ttyS0 panic=-1 root=/dev/hnbuild-none",
		.restrict_network = true, .run_as_caller = true, .call_timeout = call_timeout,
	};
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
		log_debug("the KVM probe did not start: %s", err_message());
		err_clear();
	}
	if (result == ACCEL_KVM)
		log_info("KVM works here (a test kernel booted in %.1f s)", now_monotonic() - t0);
	else
		log_warn("KVM did not boot a Linux kernel within 20 s on this host; falling back to TCG (slow)");
	return result;
}
