/* cmd_render.c — `hnbuild render`: the install data a build with the same
 * settings would put on its seed ISO (autoinstall user-data and meta-data,
 * or ks.cfg), printed with secrets masked or written to files. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cleanup.h"
#include "commands.h"
#include "credential.h"
#include "err.h"
#include "installer.h"
#include "log.h"
#include "spec.h"
#include "strbuf.h"
#include "util.h"

extern char **environ;

static void print_help(void)
{
	char *flags = spec_flags_help();
	char *secrets = spec_env_help();
	printf("Usage: hnbuild render [FLAGS] [--file NAME] [--output-dir DIR]\n\n"
	       "Prints the install data that `hnbuild build` with the same flags, environment\n"
	       "and build file would put on its seed ISO: for Ubuntu the autoinstall user-data\n"
	       "and meta-data (label CIDATA), for RHEL ks.cfg (label OEMDRV). A --autoinstall\n"
	       "or --kickstart file is checked as the build checks it, and shown as the build\n"
	       "would pass it on. Boots nothing, downloads nothing.\n\n"
	       "  --file NAME        print only that file (user-data, meta-data or ks.cfg),\n"
	       "                     without the '==> NAME <==' header\n"
	       "  --output-dir DIR   write the files into DIR (mode 0600, secrets as the\n"
	       "                     build writes them) instead of printing them; with\n"
	       "                     several targets, DIR/N-OS-ARCH-FIRMWARE for target N\n"
	       "                     (only this flag: the build file's output-dir is for images)\n\n"
	       "On the terminal, password hashes, activation keys and proxy passwords are\n"
	       "shown as " INSTALL_MASK ". The build key is never in the install data: it is\n"
	       "granted offline before the provision boot.\n\n"
	       "Settings (as for hnbuild build):\n%s\nSecrets, never taken on the command line:\n%s\n"
	       "Exit codes: 0 rendered, 2 usage, configuration or install data error.\n",
	       flags, secrets);
	free(flags);
	free(secrets);
}

static int render_one(const struct build_spec *s, struct install_data *data)
{
	_cleanup_free_ char *hash = NULL;
	if (!str_empty(s->ssh_password)) {
		/* The build hashes it the same way, with a salt of its own. */
		int r = credential_hash_password(s->ssh_password, &hash);
		if (r < 0)
			return r;
	}
	struct install_params p = build_install_params(s, CREDENTIAL_DEFAULT_USER, hash);
	return installer_render(&p, data);
}

/* Render's own flags, taken out of argv before the build flags are read. */
struct render_opts {
	const char *file;
	const char *output_dir;
};

static int take_opts(int argc, char **argv, struct render_opts *o, char ***rest, int *n_rest)
{
	char **v = xcalloc((size_t)argc + 1, sizeof(*v));
	int n = 0;
	for (int i = 0; i < argc; i++) {
		const char **dst = NULL;
		const char *name = argv[i];
		if (i > 0 && !strcmp(name, "--file"))
			dst = &o->file;
		else if (i > 0 && !strcmp(name, "--output-dir"))
			dst = &o->output_dir;
		if (dst) {
			if (i + 1 >= argc) {
				free(v);
				return err_usage("render: %s needs a value", name);
			}
			*dst = argv[++i];
			continue;
		}
		if (i > 0 && str_startswith(name, "--file=")) {
			o->file = name + 7;
			continue;
		}
		if (i > 0 && str_startswith(name, "--output-dir=")) {
			o->output_dir = name + 13;
			continue;
		}
		v[n++] = argv[i];
	}
	if (o->file && strcmp(o->file, "user-data") && strcmp(o->file, "meta-data") && strcmp(o->file, "ks.cfg")) {
		free(v);
		return err_usage("render: --file %s: not an install data file (user-data, meta-data or ks.cfg)",
				 o->file);
	}
	if (o->file && o->output_dir) {
		free(v);
		return err_usage("render: --file prints one file; --output-dir writes them all (give one)");
	}
	if (o->output_dir && !*o->output_dir) {
		free(v);
		return err_usage("render: --output-dir needs a directory");
	}
	*rest = v;
	*n_rest = n;
	return 0;
}

static int write_files(const struct install_data *d, const char *dir)
{
	int r = mkdir_p(dir, 0700);
	if (r < 0)
		return err_usage("render: --output-dir %s: cannot create it: %s", dir, strerror(-r));
	for (size_t i = 0; i < d->n_files; i++) {
		_cleanup_free_ char *path = path_join(dir, d->files[i].name);
		r = write_file_atomic(path, d->files[i].data, d->files[i].len, 0600);
		if (r < 0)
			return err_fail_errno(r, "render: cannot write %s", path);
		printf("%s\n", path);
	}
	return 0;
}

int cmd_render(int argc, char **argv)
{
	struct render_opts o = {0};
	_cleanup_free_ char **args = NULL;
	int n = 0;
	if (take_opts(argc, argv, &o, &args, &n) < 0)
		return err_exit_code();
	struct spec_sources src = {n, args, environ, "render"};
	struct build_plan plan;
	int r = spec_resolve(&src, &plan);
	if (r == 1) {
		print_help();
		return EXIT_OK;
	}
	if (r < 0)
		return err_exit_code();
	bool several = plan.n_specs > 1;
	for (unsigned i = 0; i < plan.n_specs && r >= 0; i++) {
		const struct build_spec *s = &plan.specs[i];
		struct install_data d = {0};
		r = render_one(s, &d);
		bool ks = os_by_id(s->os)->family == FAMILY_RHEL;
		if (r >= 0 && o.output_dir) {
			_cleanup_free_ char *dir = NULL;
			if (!several)
				dir = xstrdup(o.output_dir);
			else if (asprintf(&dir, "%s/%u-%s-%s-%s", o.output_dir, i + 1, os_by_id(s->os)->name,
					  arch_by_id(s->arch)->name, s->firmware == FIRMWARE_BIOS ? "bios" : "uefi") < 0)
				abort();
			r = write_files(&d, dir);
		} else if (r >= 0) {
			bool found = false;
			for (size_t f = 0; f < d.n_files; f++) {
				if (o.file && strcmp(o.file, d.files[f].name))
					continue;
				found = true;
				_cleanup_free_ char *text = install_file_masked(&d.files[f]);
				if (!o.file)
					printf("%s==> %s (target %u: %s %s %s, seed label %s) <==\n",
					       i || f ? "\n" : "", d.files[f].name, i + 1, os_by_id(s->os)->name,
					       arch_by_id(s->arch)->name, s->firmware == FIRMWARE_BIOS ? "bios" : "uefi",
					       d.seed_label);
				fputs(text, stdout);
			}
			if (!found)
				r = err_usage("render: --file %s: a %s build has no %s (it has %s)", o.file,
					      os_by_id(s->os)->name, o.file, ks ? "ks.cfg" : "user-data, meta-data");
		}
		install_data_free(&d);
	}
	build_plan_free(&plan);
	if (fflush(stdout) != 0 && r >= 0)
		r = err_fail(-EIO, "render: cannot write to standard output");
	return r < 0 ? err_exit_code() : EXIT_OK;
}
