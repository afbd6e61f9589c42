/* export.c — the export stage's one entry point: prepares a sparse raw
 * view of the generalized disk when a writer needs it, runs each requested
 * format (format.h), then renames every output, SHA256SUMS and
 * manifest.json into place together. */
#include "export.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "format.h"
#include "leftover.h"
#include "log.h"
#include "ova.h"
#include "runcmd.h"
#include "signals.h"
#include "strbuf.h"
#include "util.h"

static const struct format_ops *const formats[] = {&format_qcow2_ops, &format_raw_ops, &format_ova_ops};

char *export_base_name(const char *name, enum os_id os, enum arch_id arch, const char *k8s_version)
{
	const struct os_info *o = os_by_id(os);
	const struct arch_info *a = arch_by_id(arch);
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "%s-%s-%s", str_empty(name) ? "eks-hybrid" : name, o ? o->name : "unknown",
		a ? a->name : "unknown");
	if (!str_empty(k8s_version))
		sb_addf(&sb, "-k8s%s", k8s_version);
	return sb_detach(&sb, NULL);
}

void export_request_from_spec(struct export_request *req, const struct build_spec *spec, char **base_name_out)
{
	memset(req, 0, sizeof(*req));
	*base_name_out = export_base_name(spec->name, spec->os, spec->arch, spec->k8s_version);
	req->base_name = *base_name_out;
	req->formats = spec->formats;
	req->output_dir = spec->output_dir;
	req->os = spec->os;
	req->arch = spec->arch;
	req->firmware = spec->firmware;
	req->cpus = spec->cpus;
	req->memory_mib = spec->memory_mib;
	req->vmx_version = spec->vmx_version;
	req->network_name = spec->vsphere.network;
	req->qcow2_compat = spec->qcow2_compat;
	req->sign_key = spec->sign_key;
	req->sign_cert = spec->sign_cert;
	req->k8s_version = spec->k8s_version;
	req->nodeadm_version = spec->nodeadm_version;
}

static const char *firmware_str(enum firmware_kind f)
{
	return f == FIRMWARE_UEFI ? "uefi" : f == FIRMWARE_BIOS ? "bios" : "auto";
}

/* Detect qcow2 by its magic; read the virtual size from its header. */
static int probe_source(const char *path, const char **format, uint64_t *size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_fail_errno(-errno, "Cannot open the disk to export %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_fail_errno(-errno, "Cannot stat %s", path);
	if (!S_ISREG(st.st_mode))
		return err_fail(-EINVAL, "The disk to export %s is not a regular file", path);
	unsigned char h[32] = {0};
	ssize_t n = pread(fd, h, sizeof(h), 0);
	if (n == (ssize_t)sizeof(h) && memcmp(h, "QFI\xfb", 4) == 0) {
		uint64_t v;
		memcpy(&v, h + 24, 8);
		*format = "qcow2";
		*size = be64toh(v);
	} else {
		*format = "raw";
		*size = (uint64_t)st.st_size;
	}
	if (*size == 0)
		return err_fail(-EINVAL, "The disk to export %s is empty", path);
	return 0;
}

/* The next line of a text being split in place (its newline replaced by
 * NUL), or NULL at the end. */
static char *next_line(char **rest)
{
	char *line = *rest;
	if (!line || !*line)
		return NULL;
	char *nl = strchr(line, '\n');
	*rest = nl ? nl + 1 : NULL;
	if (nl)
		*nl = '\0';
	return line;
}

/* SB as the whole new content of PATH, renamed into place by outfile_commit. */
static int write_index(struct outfile *o, const char *path, const struct strbuf *sb)
{
	int r = outfile_open(o, path);
	if (r == 0)
		r = outfile_write(o, sb->buf, sb->len);
	if (r == 0)
		r = outfile_finish(o);
	return r;
}

static int write_sums(const char *dir, const struct export_output *outs, size_t n, struct outfile *o)
{
	_cleanup_free_ char *path = path_join(dir, "SHA256SUMS");
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	/* keep the lines of other builds that share this output directory */
	char *old = NULL;
	size_t old_len = 0;
	if (read_file(path, &old, &old_len) == 0) {
		for (char *rest = old, *line; (line = next_line(&rest));) {
			const char *name = strlen(line) > 66 ? line + 66 : NULL;
			bool ours = false;
			for (size_t i = 0; name && i < n; i++)
				ours = ours || strcmp(name, outs[i].name) == 0;
			if (name && !ours)
				sb_addf(&sb, "%s\n", line);
		}
		free(old);
	}
	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "%s  %s\n", outs[i].file.sha256, outs[i].name);
	int r = write_index(o, path, &sb);
	sb_release(&sb);
	return r;
}

/* This build's entry of manifest.json, on one line: the fields of Packer's
 * manifest post-processor (so pipelines that read packer-manifest.json keep
 * working) followed by hnbuild's own facts. */
static void manifest_entry(struct strbuf *sb, const struct export_request *req, const struct export_output *outs,
			   size_t n, double export_seconds, const char *run)
{
	time_t created = ova_mtime();
	const struct os_info *os = os_by_id(req->os);
	const struct arch_info *arch = arch_by_id(req->arch);
	sb_adds(sb, "{\"name\": ");
	sb_add_json_str(sb, req->base_name);
	sb_addf(sb, ", \"builder_type\": \"hnbuild\", \"build_time\": %lld, \"files\": [", (long long)created);
	for (size_t i = 0; i < n; i++) {
		sb_adds(sb, i ? ", {\"name\": " : "{\"name\": ");
		sb_add_json_str(sb, outs[i].name);
		sb_addf(sb, ", \"size\": %llu}", (unsigned long long)outs[i].size);
	}
	sb_adds(sb, "], \"artifact_id\": ");
	sb_add_json_str(sb, req->base_name);
	sb_adds(sb, ", \"packer_run_uuid\": ");
	sb_add_json_str(sb, run);
	sb_adds(sb, ", \"custom_data\": {}, \"hnbuild_version\": ");
	sb_add_json_str(sb, HNBUILD_VERSION);
	sb_adds(sb, ", \"os\": ");
	sb_add_json_str(sb, os ? os->name : NULL);
	sb_adds(sb, ", \"arch\": ");
	sb_add_json_str(sb, arch ? arch->name : NULL);
	sb_adds(sb, ", \"firmware\": ");
	sb_add_json_str(sb, firmware_str(req->firmware));
	sb_adds(sb, ", \"kubernetes_version\": ");
	sb_add_json_str(sb, req->k8s_version);
	sb_adds(sb, ", \"nodeadm_version\": ");
	sb_add_json_str(sb, req->nodeadm_version);
	sb_adds(sb, ", \"inputs\": [");
	for (size_t i = 0; i < req->n_inputs; i++) {
		const struct export_input *in = &req->inputs[i];
		sb_adds(sb, i ? ", {\"name\": " : "{\"name\": ");
		sb_add_json_str(sb, in->name);
		sb_adds(sb, ", \"source\": ");
		sb_add_json_str(sb, in->source);
		sb_adds(sb, ", \"sha256\": ");
		sb_add_json_str(sb, in->sha256);
		if (in->size)
			sb_addf(sb, ", \"size\": %llu", (unsigned long long)in->size);
		sb_adds(sb, "}");
	}
	sb_adds(sb, "], \"stages\": [");
	for (size_t i = 0; i < req->n_stages; i++) {
		sb_adds(sb, "{\"stage\": ");
		sb_add_json_str(sb, req->stages[i].stage);
		sb_addf(sb, ", \"seconds\": %.3f}, ", req->stages[i].seconds);
	}
	sb_addf(sb, "{\"stage\": \"export\", \"seconds\": %.3f}], \"outputs\": [", export_seconds);
	for (size_t i = 0; i < n; i++) {
		sb_adds(sb, i ? ", {\"name\": " : "{\"name\": ");
		sb_add_json_str(sb, outs[i].name);
		sb_adds(sb, ", \"format\": ");
		sb_add_json_str(sb, outs[i].format);
		sb_addf(sb, ", \"size\": %llu, \"sha256\": ", (unsigned long long)outs[i].size);
		sb_add_json_str(sb, outs[i].file.sha256);
		sb_addf(sb, ", \"seconds\": %.3f}", outs[i].seconds);
	}
	sb_adds(sb, "]}");
}

/* manifest.json: {"builds": [one line per image], "last_run_uuid": …}.
 * Builds that share an output directory keep each other's entries: the
 * lines of an existing manifest.json are kept except the one with this
 * build's name, which this build's entry replaces (at the end). */
static int write_manifest(const struct export_request *req, const struct export_output *outs, size_t n,
			  double export_seconds, struct outfile *o)
{
	_cleanup_free_ char *run = random_hex(16);
	_cleanup_free_ char *path = path_join(req->output_dir, "manifest.json");
	struct strbuf ours = STRBUF_INIT, sb = STRBUF_INIT;
	sb_init(&ours);
	sb_init(&sb);
	sb_adds(&ours, "{\"name\": ");
	sb_add_json_str(&ours, req->base_name);
	sb_adds(&ours, ",");
	sb_adds(&sb, "{\n  \"builds\": [\n");
	char *old = NULL;
	size_t old_len = 0, kept = 0;
	if (read_file(path, &old, &old_len) == 0) {
		bool in_builds = false, known = strstr(old, "\"builds\": [\n") != NULL;
		for (char *rest = old, *line; (line = next_line(&rest));) {
			line += strspn(line, " ");
			size_t len = strlen(line);
			if (len && line[len - 1] == ',')
				line[--len] = '\0';
			if (strcmp(line, "\"builds\": [") == 0 || line[0] == ']')
				in_builds = line[0] != ']';
			if (!in_builds || strncmp(line, "{\"name\": ", 9) != 0 || line[len - 1] != '}' ||
			    !strstr(line, "\"builder_type\": "))
				continue;
			if (strncmp(line, ours.buf, ours.len) == 0)
				continue;
			sb_addf(&sb, "    %s,\n", line);
			kept++;
		}
		if (!kept && !known)
			log_warn("%s has no entries hnbuild can keep; it is replaced", path);
		free(old);
	}
	sb_adds(&sb, "    ");
	manifest_entry(&sb, req, outs, n, export_seconds, run);
	sb_adds(&sb, "\n  ],\n  \"last_run_uuid\": ");
	sb_add_json_str(&sb, run);
	sb_adds(&sb, "\n}\n");
	int r = write_index(o, path, &sb);
	sb_release(&ours);
	sb_release(&sb);
	return r;
}

/* Builds that write into one output directory at once take turns from
 * reading SHA256SUMS and manifest.json to renaming everything into place,
 * so none loses another's lines. The lock is on the directory itself (no
 * lock file is left there); writing the images happens outside it. */
static int lock_output_dir(const char *dir, int *fd_out)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_fail_errno(-errno, "--output-dir %s cannot be opened", dir);
	int r = flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : -errno;
	if (r == -EWOULDBLOCK) {
		log_info("Waiting for another build to finish writing SHA256SUMS and manifest.json in %s", dir);
		r = signals_flock(fd, LOCK_EX);
	}
	if (r < 0) {
		close(fd);
		return r == -EINTR ? err_interrupted("the wait for the output directory")
				   : err_fail_errno(r, "--output-dir %s cannot be locked", dir);
	}
	*fd_out = fd;
	return 0;
}

static int check_request(const struct export_request *req)
{
	if (str_empty(req->source_path))
		return err_fail(-EINVAL, "Export: no disk to export");
	if (!(req->formats & FORMAT_ALL) || (req->formats & ~FORMAT_ALL))
		return err_usage("--format: choose qcow2, raw, ova or all");
	if (str_empty(req->output_dir))
		return err_usage("--output-dir is required");
	if (str_empty(req->base_name) || strchr(req->base_name, '/') || req->base_name[0] == '.')
		return err_usage("Output name \"%s\" must be a plain file name", req->base_name ? req->base_name : "");
	if (!os_by_id(req->os) || !arch_by_id(req->arch))
		return err_fail(-EINVAL, "Export: unknown operating system or architecture");
	return 0;
}

int export_all(const struct export_request *req, struct export_result *res)
{
	memset(res, 0, sizeof(*res));
	int r = check_request(req);
	if (r < 0)
		return r;
	double t0 = now_monotonic();
	r = mkdir_p(req->output_dir, 0755);
	if (r < 0)
		return err_fail_errno(r, "--output-dir %s cannot be created", req->output_dir);
	if (access(req->output_dir, W_OK | X_OK) < 0)
		return err_fail_errno(-errno, "--output-dir %s is not writable", req->output_dir);
	leftover_sweep_outputs(req->output_dir);

	struct export_source src = {.path = req->source_path, .raw_fd = -1};
	r = probe_source(req->source_path, &src.format, &src.virtual_size);
	if (r < 0)
		return r;
	bool need_raw = false;
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		need_raw = need_raw || ((req->formats & formats[i]->bit) && formats[i]->needs_raw);

	/* a qcow2 source is read through one sparse raw copy beside the outputs */
	struct outfile raw_view _cleanup_outfile_ = {.fd = -1};
	_cleanup_close_ int raw_fd = -1;
	if (need_raw && strcmp(src.format, "qcow2") == 0) {
		_cleanup_free_ char *name = NULL;
		if (asprintf(&name, "%s.source.raw", req->base_name) < 0)
			return -ENOMEM;
		_cleanup_free_ char *p = path_join(req->output_dir, name);
		r = outfile_open(&raw_view, p);
		if (r < 0)
			return r;
		char *argv[] = {"qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw", (char *)req->source_path,
				raw_view.tmp_path, NULL};
		log_info("Reading %s", req->source_path);
		r = runcmd(argv);
		if (r < 0)
			return r;
		raw_fd = open(raw_view.tmp_path, O_RDONLY | O_CLOEXEC);
	} else if (need_raw) {
		raw_fd = open(req->source_path, O_RDONLY | O_CLOEXEC);
	}
	if (need_raw && raw_fd < 0)
		return err_fail_errno(-errno, "Cannot open the disk to export %s", req->source_path);
	src.raw_fd = raw_fd;

	struct export_target dst = {.dir = req->output_dir, .base_name = req->base_name, .req = req};
	struct export_output outs[ARRAY_SIZE(formats)];
	size_t n = 0;
	memset(outs, 0, sizeof(outs));
	for (size_t i = 0; i < ARRAY_SIZE(outs); i++)
		outs[i].file.fd = -1;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(formats); i++) {
		if (!(req->formats & formats[i]->bit))
			continue;
		struct export_output *o = &outs[n++];
		o->format = formats[i]->name;
		double ts = now_monotonic();
		log_info("Writing the %s image", formats[i]->name);
		r = formats[i]->write(&src, &dst, o);
		o->seconds = now_monotonic() - ts;
		o->size = o->file.pos;
	}
	struct outfile sums = {.fd = -1}, manifest = {.fd = -1};
	_cleanup_close_ int dir_lock = -1;
	if (r == 0)
		r = lock_output_dir(req->output_dir, &dir_lock);
	if (r == 0)
		r = write_sums(req->output_dir, outs, n, &sums);
	if (r == 0)
		r = write_manifest(req, outs, n, now_monotonic() - t0, &manifest);
	/* all written: now rename everything into place */
	for (size_t i = 0; r == 0 && i < n; i++)
		r = outfile_commit(&outs[i].file);
	if (r == 0)
		r = outfile_commit(&sums);
	if (r == 0)
		r = outfile_commit(&manifest);
	if (r == 0) {
		res->files = xcalloc(n, sizeof(*res->files));
		res->n_files = n;
		for (size_t i = 0; i < n; i++) {
			struct export_file *f = &res->files[i];
			f->name = xstrdup(outs[i].name);
			f->path = path_join(req->output_dir, outs[i].name);
			f->format = outs[i].format;
			f->size = outs[i].size;
			memcpy(f->sha256, outs[i].file.sha256, sizeof(f->sha256));
			f->seconds = outs[i].seconds;
		}
		res->seconds = now_monotonic() - t0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(outs); i++) {
		outfile_abort(&outs[i].file);
		free(outs[i].name);
	}
	outfile_abort(&sums);
	outfile_abort(&manifest);
	return r;
}

void export_result_free(struct export_result *res)
{
	for (size_t i = 0; res && i < res->n_files; i++) {
		free(res->files[i].name);
		free(res->files[i].path);
	}
	if (res) {
		free(res->files);
		memset(res, 0, sizeof(*res));
	}
}
