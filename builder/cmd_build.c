/* cmd_build.c — `hnbuild build`: resolve the plan, set up logging and
 * signals, run each build, and report what was written or what failed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "commands.h"
#include "err.h"
#include "fetch.h"
#include "log.h"
#include "signals.h"
#include "spec.h"
#include "strbuf.h"
#include "util.h"

extern char **environ;
void cmd_print_build_help(void);

int cmd_build(int argc, char **argv)
{
	struct spec_sources src = {argc, argv, environ, "build"};
	struct build_plan plan;
	int r = spec_resolve(&src, &plan);
	/* Read now; none of the tools the build starts inherits them. */
	spec_scrub_environment();
	fetch_take_host_proxy();
	if (r == 1) {
		cmd_print_build_help();
		return EXIT_OK;
	}
	if (r < 0)
		return err_exit_code();
	log_setup(plan.log_format ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT, plan.verbosity);
	signals_install();

	int rc = EXIT_OK;
	struct build_env env = {0};
	for (unsigned i = 0; i < plan.n_specs && rc == EXIT_OK; i++) {
		const struct build_spec *s = &plan.specs[i];
		int q = mkdir_p(s->output_dir, 0755);
		if (q < 0) {
			err_fail_errno(q, "--output-dir %s: cannot create it", s->output_dir);
			rc = EXIT_BUILD_FAILED;
			break;
		}
		struct strbuf logpath = STRBUF_INIT;
		sb_init(&logpath);
		sb_addf(&logpath, "%s/%s-%s-%s-k8s%s.build.log", s->output_dir, s->name, os_by_id(s->os)->name,
			arch_by_id(s->arch)->name, s->k8s_version);
		q = log_open_file(logpath.buf);
		if (q < 0)
			log_warn("cannot write the build log %s: %s", logpath.buf,
				 q == -ELOOP || q == -EINVAL ? "not a regular file (symlinks are not followed)"
							     : strerror(-q));
		log_info("build %u/%u: %s %s -> %s (log: %s)", i + 1, plan.n_specs, os_by_id(s->os)->name,
			 arch_by_id(s->arch)->name, s->output_dir, logpath.buf);
		struct build_result res;
		double t0 = now_monotonic();
		r = build_run(s, &env, &res);
		if (r < 0) {
			rc = err_exit_code();
			/* The error goes to the log file too, before main prints it. */
			log_msg(LOG_DEBUG, "build failed: %s", err_message() ? err_message() : "unknown error");
			if (res.kept_dir)
				log_warn("--on-error %s: work files kept in %s", on_error_name(s->on_error), res.kept_dir);
			/* Its serial console is a FIFO of ours (machine.c), not one
			 * `virsh console` reaches: its output so far is in the work
			 * directory, and SSH enters a kept provision VM. */
			if (res.kept_login)
				log_warn("--on-error keep: VM %s left running; enter it with: %s (end it: virsh -c %s destroy %s)",
					 res.kept_domain, res.kept_login, s->libvirt_uri, res.kept_domain);
			else if (res.kept_domain)
				log_warn("--on-error keep: VM %s left running; its console so far is in %s/console-*.log "
					 "(end it: virsh -c %s destroy %s)",
					 res.kept_domain, res.kept_dir, s->libvirt_uri, res.kept_domain);
		} else {
			log_info("build %u/%u done in %.0f s:", i + 1, plan.n_specs, now_monotonic() - t0);
			for (size_t k = 0; res.outputs && res.outputs[k]; k++)
				printf("%s\n", res.outputs[k]);
			fflush(stdout);
		}
		build_result_free(&res);
		log_close_file();
		sb_release(&logpath);
	}
	build_plan_free(&plan);
	return rc;
}
