/* console_stress.c — many short build VMs through hnbuild's own machine
 * module (the path every build uses), watched through the serial console
 * and ended every way a build ends one: the guest powers off, the build
 * destroys it mid-output, an interrupt, a refused ACPI shutdown, and the
 * build ending it just as it powers off. Driven by
 * tests/stress/console-stress.sh, which adds CPU load and checks that
 * libvirtd keeps answering.
 *
 * usage: console_stress URI KERNEL INITRD DIR COUNT FIRST
 * Boots COUNT domains one after the other; domain i (from FIRST) ends the
 * (FIRST+i)-th way of the five. One line per domain on stdout; exit 1 when
 * any domain ended otherwise than asked or its console lost lines. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "machine.h"
#include "runcmd.h"
#include "signals.h"
#include "util.h"

/* race: the guest powers off right after its last line, and the build
 * ends the VM the moment it sees that line, so the build's teardown meets
 * libvirt's own (the window of issue 21's deadlock). */
enum way { WAY_POWEROFF, WAY_DESTROY, WAY_INTERRUPT, WAY_SHUTDOWN, WAY_RACE, WAYS };
static const char *const way_names[] = {"poweroff", "destroy", "interrupt", "shutdown", "race"};

/* The guest (tests/stress/init) prints this many numbered lines before it
 * powers off; in the other ways it prints until it is stopped. */
#define POWEROFF_LINES 400
/* How many lines the build sees before it ends a flooding guest. */
#define LINES_BEFORE_END 60

struct watch_state {
	atomic_int lines;
	atomic_int bye;
	enum way way;
	int signal; /* WAY_INTERRUPT: SIGINT or SIGTERM */
};

static void on_line(void *ud, const char *line)
{
	struct watch_state *s = ud;
	/* Lines come through the kernel log: "[    4.64] hn-stress: line 12". */
	if (strstr(line, "hn-stress: bye"))
		atomic_store(&s->bye, 1);
	if (!strstr(line, "hn-stress: line "))
		return;
	int n = atomic_fetch_add(&s->lines, 1) + 1;
	if (s->way == WAY_INTERRUPT && n == LINES_BEFORE_END)
		kill(getpid(), s->signal); /* as Ctrl-C or a CI job's end would */
}

static int enough_lines(void *ud)
{
	struct watch_state *s = ud;
	if (s->way == WAY_RACE)
		return atomic_load(&s->bye);
	return s->way != WAY_POWEROFF && s->way != WAY_INTERRUPT && atomic_load(&s->lines) >= LINES_BEFORE_END;
}

/* Did the console log get every line the guest printed, in order? */
static int console_complete(const char *log, char **why)
{
	char *text = NULL;
	size_t len = 0;
	if (read_file(log, &text, &len) < 0) {
		*why = xstrdup("no console log");
		return 0;
	}
	int next = 1;
	for (char *p = text; (p = strstr(p, "hn-stress: line ")); p += 16) {
		int n = atoi(p + 16);
		if (n != next) {
			if (asprintf(why, "line %d came after line %d", n, next - 1) < 0)
				abort();
			free(text);
			return 0;
		}
		next++;
	}
	int ok = next == POWEROFF_LINES + 1 && strstr(text, "hn-stress: bye");
	if (!ok && asprintf(why, "%d of %d lines%s", next - 1, POWEROFF_LINES,
			    strstr(text, "hn-stress: bye") ? "" : ", no final line") < 0)
		abort();
	free(text);
	return ok;
}

static int one_domain(const char *uri, const char *kernel, const char *initrd, const char *dir, int index,
		      enum way way)
{
	char name[96], cmdline[160];
	snprintf(name, sizeof(name), "hnbuild-stress-%d-%d", (int)getpid(), index);
	snprintf(cmdline, sizeof(cmdline), "console=ttyS0 panic=-1 quiet printk.devkmsg=on hn.way=%s hn.lines=%d",
		 way == WAY_RACE ? "poweroff" : way_names[way], POWEROFF_LINES);
	_cleanup_free_ char *disk = path_join(dir, "disk.qcow2");
	_cleanup_free_ char *log = NULL;
	if (asprintf(&log, "%s/%s.console", dir, name) < 0)
		abort();
	if (access(disk, F_OK) != 0) {
		char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL};
		if (runcmd(argv) < 0) {
			printf("domain %d: cannot create %s: %s\n", index, disk, err_message());
			return -1;
		}
	}
	struct machine_config cfg = {.name = name, .arch = ARCH_AMD64, .firmware = FIRMWARE_BIOS,
				     .accel = ACCEL_TCG, .cpus = 1, .memory_mib = 256, .kernel = kernel,
				     .initrd = initrd, .cmdline = cmdline, .disk = disk, .restrict_network = true,
				     .run_as_caller = true};
	double t0 = now_monotonic();
	struct machine *m = NULL;
	if (machine_start(uri, &cfg, true, &m) < 0) {
		printf("domain %d %s: cannot start: %s\n", index, way_names[way], err_message());
		err_clear();
		return -1;
	}
	struct watch_state st = {.way = way, .signal = (index / WAYS) % 2 ? SIGTERM : SIGINT};
	struct machine_watch w = {.stage = "stress", .timeout = 180, .on_line = on_line, .userdata = &st,
				  .poll = enough_lines, .console_log = log};
	struct machine_result res;
	machine_wait(m, &w, &res);
	enum machine_outcome want[] = {MACHINE_POWEROFF, MACHINE_STOPPED_BY_CALLER, MACHINE_INTERRUPTED,
				       MACHINE_STOPPED_BY_CALLER, MACHINE_STOPPED_BY_CALLER};
	int ok = res.outcome == want[way] || (way == WAY_RACE && res.outcome == MACHINE_POWEROFF);
	if (ok && way == WAY_SHUTDOWN)
		machine_shutdown(m, 2); /* the guest has no ACPI daemon: forced off */
	machine_free(m, false);
	signals_set_interrupted(false);
	_cleanup_free_ char *why = NULL;
	if (ok && (way == WAY_POWEROFF || way == WAY_RACE) && !console_complete(log, &why))
		ok = 0;
	if (ok && machine_domain_exists(uri, name)) {
		why = xstrdup("still defined after it was freed");
		ok = 0;
	}
	printf("domain %d %s (%s): %s after %.1f s, %d lines seen%s%s\n", index, way_names[way], name,
	       ok ? "ok" : machine_outcome_name(res.outcome), now_monotonic() - t0, atomic_load(&st.lines),
	       why ? ": " : "", why ? why : "");
	if (!ok)
		printf("    console tail:\n%s", res.console_tail ? res.console_tail : "");
	fflush(stdout);
	machine_result_free(&res);
	if (ok)
		unlink(log);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: %s URI KERNEL INITRD DIR COUNT FIRST\n", argv[0]);
		return 2;
	}
	int count = atoi(argv[5]), first = atoi(argv[6]), failed = 0;
	signals_install(); /* SIGINT/SIGTERM become the flag a build's waits poll */
	for (int i = 0; i < count; i++)
		if (one_domain(argv[1], argv[2], argv[3], argv[4], first + i, (enum way)((first + i) % WAYS)) < 0)
			failed++;
	printf("%d domains, %d failed\n", count, failed);
	return failed ? 1 : 0;
}
