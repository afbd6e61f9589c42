/* test_export.c — export_all end to end on small disks: all three formats
 * from one raw and one qcow2 source hold the same bytes (qemu-img compare),
 * SHA256SUMS and manifest.json, qcow2 compression choices, and bad output
 * directories / a full disk leaving nothing under a final name. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "formats_util.h"
#include "cleanup.h"
#include "err.h"
#include "export.h"
#include "log.h"
#include "outfile.h"
#include "runcmd.h"
#include "signals.h"
#include "util.h"
#include "unit_run.h"

#define BASE "eks-hybrid-rhel9-amd64-k8s1.30"

static char *make_disk(const char *dir, uint64_t size)
{
	char *src = fu_path(dir, "disk.raw");
	fu_sparse(src, size);
	fu_pattern(src, 0, 2 << 20, 1);
	fu_pattern(src, size / 2 + 4097, 1 << 20, 2);
	fu_pattern(src, size - 8192, 8192, 3);
	return src;
}

static struct export_request request(const char *src, const char *out, unsigned formats)
{
	struct export_request r = {
		.source_path = src,
		.formats = formats,
		.output_dir = out,
		.base_name = BASE,
		.os = OS_RHEL9,
		.arch = ARCH_AMD64,
		.firmware = FIRMWARE_BIOS,
		.k8s_version = "1.30",
		.nodeadm_version = "v1.0.6",
	};
	return r;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static char *extract_vmdk(const char *ova, const char *dir)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	ck_assert_int_eq(archive_read_open_filename(a, ova, 1 << 16), ARCHIVE_OK);
	struct archive_entry *e;
	char *path = NULL;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (!strstr(name, ".vmdk"))
			continue;
		path = fu_path(dir, name);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(archive_read_data_into_fd(a, fd), ARCHIVE_OK);
		close(fd);
	}
	archive_read_free(a);
	ck_assert_ptr_nonnull(path);
	return path;
}

static void check_all_formats(const char *src, const char *src_fmt, const char *d)
{
	char *out = fu_path(d, "out");
	struct export_input inputs[] = {
		{"iso", "/isos/rhel-9.4-x86_64-dvd.iso", "aa11", 123},
		{"ks.cfg", NULL, "bb22", 0},
	};
	struct export_stage_time stages[] = {{"install", 61.5}, {"provision", 12.25}};
	struct export_request req = request(src, out, FORMAT_ALL);
	req.inputs = inputs, req.n_inputs = 2, req.stages = stages, req.n_stages = 2;
	struct export_result res;
	ck_assert_msg(export_all(&req, &res) == 0, "%s", err_message());
	ck_assert_uint_eq(res.n_files, 3);
	const char *names[] = {BASE ".qcow2", BASE ".raw", BASE ".ova"};
	const char *fmts[] = {"qcow2", "raw", "ova"};
	char sums_want[1024] = "";
	for (int i = 0; i < 3; i++) {
		ck_assert_str_eq(res.files[i].name, names[i]);
		ck_assert_str_eq(res.files[i].format, fmts[i]);
		char hex[65];
		uint64_t size;
		ck_assert_int_eq(sha256_file(res.files[i].path, hex, &size), 0);
		ck_assert_str_eq(hex, res.files[i].sha256);
		ck_assert_uint_eq(size, res.files[i].size);
		char line[256];
		snprintf(line, sizeof(line), "%s  %s\n", hex, names[i]);
		strcat(sums_want, line);
	}
	ck_assert_int_eq(count_entries(out), 5); /* no temporary files left */
	/* SHA256SUMS in sha256sum's format, and sha256sum agrees */
	char *sums_path = fu_path(out, "SHA256SUMS"), *sums = NULL;
	size_t len;
	ck_assert_int_eq(read_file(sums_path, &sums, &len), 0);
	ck_assert_str_eq(sums, sums_want);
	free(sums);
	char buf[8192];
	{
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "cd '%s' && sha256sum -c SHA256SUMS", out);
		char *argv[] = {"sh", "-c", cmd, NULL};
		ck_assert_msg(fu_run(argv, buf, sizeof(buf)) == 0, "%s", buf);
	}
	/* manifest.json: valid JSON with inputs, stages, outputs */
	char *man = fu_path(out, "manifest.json"), *mj = NULL;
	ck_assert_int_eq(read_file(man, &mj, &len), 0);
	char *py[] = {"python3", "-c",
		      "import json,os,sys; d=json.load(open(sys.argv[1])); "
		      "assert len(d['builds'])==1 and d['last_run_uuid']==d['builds'][0]['packer_run_uuid'], d; "
		      "m=d['builds'][0]; assert m['name']==m['artifact_id']=='" BASE "' and m['builder_type']=='hnbuild'; "
		      "assert m['inputs'][0]=={'name':'iso','source':'/isos/rhel-9.4-x86_64-dvd.iso','sha256':'aa11','size':123}, m['inputs']; "
		      "assert m['inputs'][1]['source'] is None; "
		      "assert [s['stage'] for s in m['stages']]==['install','provision','export']; "
		      "assert [o['format'] for o in m['outputs']]==['qcow2','raw','ova']; "
		      "sums=dict(reversed(l.split()) for l in open(os.path.join(os.path.dirname(sys.argv[1]),'SHA256SUMS'))); "
		      "assert all(o['sha256']==sums[o['name']] for o in m['outputs']), (m['outputs'], sums); "
		      "assert all(o['size']==os.path.getsize(os.path.join(os.path.dirname(sys.argv[1]),o['name'])) "
		      "for o in m['outputs']), m['outputs']; "
		      "assert m['os']=='rhel9' and m['arch']=='amd64' and m['firmware']=='bios'; "
		      "assert m['files'][2]['name'].endswith('.ova'); print('ok')",
		      man, NULL};
	ck_assert_msg(fu_run(py, buf, sizeof(buf)) == 0, "manifest.json: %s\n%s", buf, mj);
	free(mj);
	/* the three formats hold the same bytes as the source */
	char *vmdk = extract_vmdk(res.files[2].path, d);
	ck_assert_msg(fu_qemu_compare(src, src_fmt, res.files[0].path, "qcow2", buf, sizeof(buf)) == 0, "%s", buf);
	ck_assert_msg(fu_qemu_compare(src, src_fmt, res.files[1].path, "raw", buf, sizeof(buf)) == 0, "%s", buf);
	ck_assert_msg(fu_qemu_compare(src, src_fmt, vmdk, "vmdk", buf, sizeof(buf)) == 0, "%s", buf);
	ck_assert_msg(fu_qemu_compare(res.files[0].path, "qcow2", vmdk, "vmdk", buf, sizeof(buf)) == 0, "%s", buf);
	/* qcow2: compressed with zlib by default, check clean */
	char *info[] = {"qemu-img", "info", "--output=json", res.files[0].path, NULL};
	ck_assert_int_eq(fu_run(info, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\"compression-type\": \"zlib\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"compat\": \"1.1\""));
	/* raw: sparse (far fewer blocks than its size) */
	struct stat st;
	ck_assert_int_eq(stat(res.files[1].path, &st), 0);
	ck_assert_uint_lt((uint64_t)st.st_blocks * 512, (uint64_t)st.st_size / 4);
	export_result_free(&res);
	free(out), free(sums_path), free(man), free(vmdk);
}

START_TEST(all_formats_from_raw)
{
	char *d = fu_mkdtemp(), *src = make_disk(d, 96 << 20);
	check_all_formats(src, "raw", d);
	fu_rm_rf(d);
	free(d), free(src);
}
END_TEST

START_TEST(all_formats_from_qcow2)
{
	char *d = fu_mkdtemp(), *raw = make_disk(d, 96 << 20), *src = fu_path(d, "gen.qcow2"), buf[4096];
	char *conv[] = {"qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, src, NULL};
	ck_assert_int_eq(fu_run(conv, buf, sizeof(buf)), 0);
	check_all_formats(src, "qcow2", d);
	fu_rm_rf(d);
	free(d), free(src), free(raw);
}
END_TEST

START_TEST(qcow2_compat_choices)
{
	char *d = fu_mkdtemp(), *src = make_disk(d, 32 << 20), *out = fu_path(d, "out"), buf[4096];
	struct export_request req = request(src, out, FORMAT_QCOW2);
	req.qcow2_compat = QCOW2_COMPAT_ZSTD;
	struct export_result res;
	ck_assert_msg(export_all(&req, &res) == 0, "%s", err_message());
	char *info[] = {"qemu-img", "info", "--output=json", res.files[0].path, NULL};
	ck_assert_int_eq(fu_run(info, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\"compression-type\": \"zstd\""));
	uint64_t zstd_size = res.files[0].size;
	ck_assert_int_eq(fu_qemu_compare(src, "raw", res.files[0].path, "qcow2", buf, sizeof(buf)), 0);
	export_result_free(&res);
	req.qcow2_compat = QCOW2_COMPAT_NONE;
	ck_assert_int_eq(export_all(&req, &res), 0);
	ck_assert_uint_gt(res.files[0].size, zstd_size); /* uncompressed is larger */
	ck_assert_int_eq(fu_qemu_compare(src, "raw", res.files[0].path, "qcow2", buf, sizeof(buf)), 0);
	export_result_free(&res);
	/* SHA256SUMS keeps other builds' lines, replaces ours */
	char *sums = fu_path(out, "SHA256SUMS"), *text = NULL;
	size_t len;
	const char *other = "0000000000000000000000000000000000000000000000000000000000000000  other.ova\n";
	ck_assert_int_eq(write_file_atomic(sums, other, strlen(other), 0644), 0);
	req.qcow2_compat = QCOW2_COMPAT_ZLIB;
	ck_assert_int_eq(export_all(&req, &res), 0);
	ck_assert_int_eq(read_file(sums, &text, &len), 0);
	ck_assert_int_eq(strncmp(text, other, strlen(other)), 0);
	ck_assert_ptr_nonnull(strstr(text, res.files[0].sha256));
	ck_assert_uint_eq(len, strlen(other) + 64 + 2 + strlen(BASE ".qcow2") + 1);
	free(text);
	export_result_free(&res);
	fu_rm_rf(d);
	free(d), free(src), free(out), free(sums);
}
END_TEST

START_TEST(bad_output_dir)
{
	char *d = fu_mkdtemp(), *src = make_disk(d, 8 << 20);
	/* a path below a regular file */
	char *below = fu_path(d, "disk.raw/out");
	struct export_request req = request(src, below, FORMAT_RAW);
	struct export_result res;
	ck_assert_int_lt(export_all(&req, &res), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "--output-dir"));
	ck_assert_ptr_nonnull(strstr(err_message(), below));
	/* a read-only file system (root ignores permission bits) */
	char *ro = fu_path(d, "ro");
	ck_assert_int_eq(mkdir(ro, 0755), 0);
	ck_assert_int_eq(mount("tmpfs", ro, "tmpfs", MS_RDONLY, "size=1m"), 0);
	req = request(src, ro, FORMAT_ALL);
	ck_assert_int_lt(export_all(&req, &res), 0);
	ck_assert_msg(strstr(err_message(), ro) && strstr(err_message(), "Read-only"), "%s", err_message());
	ck_assert_int_eq(umount(ro), 0);
	/* a missing source, bad names and no formats */
	char *out = fu_path(d, "out");
	req = request("/nonexistent/disk.qcow2", out, FORMAT_RAW);
	ck_assert_int_lt(export_all(&req, &res), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "/nonexistent/disk.qcow2"));
	req = request(src, out, FORMAT_RAW);
	req.base_name = "../escape";
	ck_assert_int_eq(export_all(&req, &res), -EINVAL);
	req = request(src, out, 0);
	ck_assert_int_eq(export_all(&req, &res), -EINVAL);
	ck_assert_int_eq(count_entries(out), 0);
	fu_rm_rf(d);
	free(d), free(src), free(below), free(ro), free(out);
}
END_TEST

START_TEST(full_disk)
{
	char *d = fu_mkdtemp(), *src = fu_path(d, "disk.raw"), *full = fu_path(d, "full");
	fu_sparse(src, 64 << 20);
	/* incompressible data: the OVA will not fit in 4 MiB */
	{
		int fd = open(src, O_WRONLY), ur = open("/dev/urandom", O_RDONLY);
		char *b = malloc(16 << 20);
		ck_assert_int_eq(read(ur, b, 16 << 20), 16 << 20);
		ck_assert_int_eq(pwrite(fd, b, 16 << 20, 0), 16 << 20);
		close(fd), close(ur), free(b);
	}
	ck_assert_int_eq(mkdir(full, 0755), 0);
	ck_assert_int_eq(mount("tmpfs", full, "tmpfs", 0, "size=4m"), 0);
	/* an older output under the final name must survive a failed export */
	char *old = fu_path(full, BASE ".raw");
	ck_assert_int_eq(write_file_atomic(old, "old", 3, 0644), 0);
	unsigned fmts[] = {FORMAT_RAW, FORMAT_OVA, FORMAT_QCOW2, FORMAT_ALL};
	for (unsigned i = 0; i < 4; i++) {
		struct export_request req = request(src, full, fmts[i]);
		struct export_result res;
		ck_assert_int_lt(export_all(&req, &res), 0);
		ck_assert_msg(strstr(err_message(), "No space left") || strstr(err_message(), "qemu-img failed"),
			      "format %u: %s", fmts[i], err_message());
		ck_assert_int_eq(count_entries(full), 1);
		char *data = NULL;
		size_t len;
		ck_assert_int_eq(read_file(old, &data, &len), 0);
		ck_assert_str_eq(data, "old");
		free(data);
	}
	ck_assert_int_eq(umount(full), 0);
	fu_rm_rf(d);
	free(d), free(src), free(full), free(old);
}
END_TEST

START_TEST(base_names)
{
	char *n = export_base_name("eks-hybrid", OS_UBUNTU22, ARCH_ARM64, "1.31");
	ck_assert_str_eq(n, "eks-hybrid-ubuntu22-arm64-k8s1.31");
	free(n);
	n = export_base_name(NULL, OS_RHEL8, ARCH_AMD64, NULL);
	ck_assert_str_eq(n, "eks-hybrid-rhel8-amd64");
	free(n);
}
END_TEST

/* Builds that share an output directory keep each other's SHA256SUMS lines
 * and manifest.json entries; a rebuild of one name replaces its own. */
START_TEST(shared_output_dir)
{
	char *d = fu_mkdtemp(), *out = fu_path(d, "out");
	char *src = make_disk(d, 4 << 20);
	const char *names[] = {"eks-hybrid-ubuntu24-amd64", "eks-hybrid-rhel9-arm64", "eks-hybrid-ubuntu24-amd64"};
	for (int i = 0; i < 3; i++) {
		struct export_request req = request(src, out, FORMAT_RAW);
		req.base_name = names[i];
		req.arch = i == 1 ? ARCH_ARM64 : ARCH_AMD64;
		struct export_result res;
		ck_assert_msg(export_all(&req, &res) == 0, "%s", err_message());
		export_result_free(&res);
	}
	char buf[8192], cmd[1024];
	snprintf(cmd, sizeof(cmd), "cd '%s' && sha256sum -c SHA256SUMS && test $(wc -l < SHA256SUMS) = 2", out);
	char *sh[] = {"sh", "-c", cmd, NULL};
	ck_assert_msg(fu_run(sh, buf, sizeof(buf)) == 0, "%s", buf);
	char *man = fu_path(out, "manifest.json");
	char *py[] = {"python3", "-c",
		      "import json,sys; d=json.load(open(sys.argv[1])); b=d['builds']; "
		      "assert [x['name'] for x in b]==['eks-hybrid-rhel9-arm64','eks-hybrid-ubuntu24-amd64'], b; "
		      "assert b[0]['arch']=='arm64' and b[1]['arch']=='amd64', b; "
		      "assert b[0]['files']==[{'name':'eks-hybrid-rhel9-arm64.raw','size':4194304}], b; "
		      "assert d['last_run_uuid']==b[1]['packer_run_uuid']!=b[0]['packer_run_uuid']; print('ok')",
		      man, NULL};
	ck_assert_msg(fu_run(py, buf, sizeof(buf)) == 0, "manifest.json: %s", buf);
	/* a manifest.json hnbuild did not write is replaced, not merged */
	const char *foreign = "{\"x\": [\n  {\"name\": \"a\", \"builder_type\": \"b\"}\n]}\n";
	ck_assert_int_eq(write_file_atomic(man, foreign, strlen(foreign), 0644), 0);
	struct export_request req = request(src, out, FORMAT_RAW);
	struct export_result res;
	ck_assert_msg(export_all(&req, &res) == 0, "%s", err_message());
	export_result_free(&res);
	char *py2[] = {"python3", "-c",
		       "import json,sys; d=json.load(open(sys.argv[1])); "
		       "assert [x['name'] for x in d['builds']]==['" BASE "'], d; print('ok')",
		       man, NULL};
	ck_assert_msg(fu_run(py2, buf, sizeof(buf)) == 0, "manifest.json: %s", buf);
	fu_rm_rf(d);
	free(d), free(out), free(src), free(man);
}
END_TEST

/* Builds writing into one output directory at once: each export's lines
 * and entry survive the others' (they take turns on the directory's lock
 * from reading SHA256SUMS to the last rename). Without the lock, exports
 * started together read the same old index and the last rename wins. */
#define RACERS 8
START_TEST(concurrent_exports)
{
	char *d = fu_mkdtemp(), *out = fu_path(d, "out");
	char *src = make_disk(d, 1 << 20);
	ck_assert_int_eq(mkdir(out, 0755), 0);
	for (int round = 0; round < 3; round++) {
		int go[2];
		ck_assert_int_eq(pipe(go), 0);
		pid_t kids[RACERS];
		for (int i = 0; i < RACERS; i++) {
			kids[i] = fork();
			ck_assert_int_ge(kids[i], 0);
			if (kids[i] == 0) {
				char c, name[64];
				close(go[1]);
				if (read(go[0], &c, 1) != 0) /* wait for the start: the write end closes */
					_exit(3);
				snprintf(name, sizeof(name), "racer%d-round%d", i, round);
				struct export_request req = request(src, out, FORMAT_RAW);
				req.base_name = name;
				struct export_result res;
				int r = export_all(&req, &res);
				export_result_free(&res);
				_exit(r == 0 ? 0 : 1);
			}
		}
		close(go[0]);
		close(go[1]); /* all start at once */
		for (int i = 0; i < RACERS; i++) {
			int st;
			ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
			ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "racer %d of round %d failed", i, round);
		}
	}
	char buf[8192], cmd[1024];
	snprintf(cmd, sizeof(cmd), "cd '%s' && sha256sum --quiet -c SHA256SUMS && wc -l < SHA256SUMS", out);
	char *sh[] = {"sh", "-c", cmd, NULL};
	ck_assert_msg(fu_run(sh, buf, sizeof(buf)) == 0, "%s", buf);
	ck_assert_msg(atoi(buf) == 3 * RACERS, "SHA256SUMS has %d lines, not %d", atoi(buf), 3 * RACERS);
	char *man = fu_path(out, "manifest.json");
	char *py[] = {"python3", "-c",
		      "import json,sys; b=json.load(open(sys.argv[1]))['builds']; "
		      "n=sorted(x['name'] for x in b); "
		      "w=sorted('racer%d-round%d'%(i,r) for i in range(8) for r in range(3)); "
		      "assert n==w, n; print('ok')",
		      man, NULL};
	ck_assert_msg(fu_run(py, buf, sizeof(buf)) == 0, "manifest.json: %s", buf);
	/* the lock leaves nothing behind: 24 images, SHA256SUMS, manifest.json */
	ck_assert_int_eq(count_entries(out), 3 * RACERS + 2);
	fu_rm_rf(d);
	free(d), free(out), free(src), free(man);
}
END_TEST

/* A SIGTERM to this process alone, DELAY_MS from now (from a child, as
 * `kill PID` or a CI job's limit sends it). */
static pid_t term_me_in(unsigned delay_ms)
{
	pid_t me = getpid(), k = fork();
	ck_assert_int_ge(k, 0);
	if (k == 0) {
		usleep(delay_ms * 1000);
		kill(me, SIGTERM);
		_exit(0);
	}
	return k;
}

/* SIGTERM while the export writes: it ends at once (not when the images are
 * done), says it was interrupted (exit 130), and no output or temporary
 * is left, whether the signal comes while our own writer runs (OVA) or
 * while qemu-img does (qcow2: the tool is stopped too). */
START_TEST(interrupted_export)
{
	signals_install();
	char *d = fu_mkdtemp(), *out = fu_path(d, "out");
	char *src = fu_path(d, "disk.raw");
	/* 512 MiB of data: far more than the signal's delay to write */
	fu_sparse(src, 512ull << 20);
	fu_pattern(src, 0, 512u << 20, 7);
	unsigned fmts[] = {FORMAT_OVA, FORMAT_QCOW2};
	for (unsigned i = 0; i < 2; i++) {
		signals_set_interrupted(false);
		err_clear();
		struct export_request req = request(src, out, fmts[i]);
		struct export_result res;
		pid_t k = term_me_in(300);
		double t0 = now_monotonic();
		int r = export_all(&req, &res);
		double took = now_monotonic() - t0;
		ck_assert_int_eq(waitpid(k, NULL, 0), k);
		ck_assert_msg(r == -EINTR && err_exit_code() == 130, "format %u: r=%d exit %d: %s", fmts[i], r,
			      err_exit_code(), err_message() ? err_message() : "");
		ck_assert_msg(strstr(err_message(), "interrupted"), "%s", err_message());
		ck_assert_msg(took < 20, "format %u: the export went on for %.1f s after the signal", fmts[i], took);
		ck_assert_int_eq(count_entries(out), 0);
	}
	/* a tool that would run for a minute is stopped with the build */
	signals_set_interrupted(false);
	char *sleeper[] = {"sleep", "60", NULL};
	pid_t k = term_me_in(300);
	double t0 = now_monotonic();
	ck_assert_int_eq(runcmd(sleeper), -EINTR);
	ck_assert_int_eq(err_exit_code(), 130);
	ck_assert_msg(now_monotonic() - t0 < 30, "runcmd waited %.0f s for the tool after SIGTERM", now_monotonic() - t0);
	ck_assert_int_eq(waitpid(k, NULL, 0), k);
	/* no qemu-img left writing into the (removed) output directory */
	char buf[256];
	char *pg[] = {"sh", "-c", "! pgrep -f '[q]emu-img convert.*hnbuild-formats-test'", NULL};
	ck_assert_msg(fu_run(pg, buf, sizeof(buf)) == 0, "qemu-img still runs: %s", buf);
	signals_set_interrupted(false);
	fu_rm_rf(d);
	free(d), free(out), free(src);
}
END_TEST

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, -1);
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("export");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, all_formats_from_raw);
	tcase_add_test(tc, all_formats_from_qcow2);
	tcase_add_test(tc, qcow2_compat_choices);
	tcase_add_test(tc, bad_output_dir);
	tcase_add_test(tc, full_disk);
	tcase_add_test(tc, base_names);
	tcase_add_test(tc, shared_output_dir);
	tcase_add_test(tc, concurrent_exports);
	tcase_add_test(tc, interrupted_export);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
