/* cmd_inspect.c — `hnbuild inspect IMAGE`: reads an output image offline
 * (libguestfs, read-only) and reports its OS, arch, what nodeadm install
 * recorded, the first-boot join, proxy drop-ins, cloud-init, and the same
 * hygiene findings the build's gate fails on. Exit 0 clean, 1 findings. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "credential.h"
#include "err.h"
#include "fetch.h"
#include "generalize.h"
#include "guestimg.h"
#include "hygiene.h"
#include "spec.h"
#include "strbuf.h"
#include "util.h"

struct report {
	char *os_id, *os_version, *os_pretty, *arch;
	char *nodeadm_path, *nodeadm_version, *kubernetes, *credential_provider, *containerd_source, *region;
	const char *tracker_format; /* "nodeadm" (YAML), "fixture" (key=value), NULL */
	bool unit_installed, unit_enabled, cloud_init_installed, cloud_init_disabled;
	char **proxy;
	struct hygiene_finding *findings;
	size_t n_findings;
};

static void report_free(struct report *r)
{
	char **s[] = {&r->os_id,      &r->os_version,	       &r->os_pretty,
		      &r->arch,	      &r->nodeadm_path,	       &r->nodeadm_version,
		      &r->kubernetes, &r->credential_provider, &r->containerd_source,
		      &r->region};
	for (size_t i = 0; i < ARRAY_SIZE(s); i++)
		free(*s[i]);
	strv_free(r->proxy);
	hygiene_findings_free(r->findings, r->n_findings);
}

static void print_help(void)
{
	printf("Usage: hnbuild inspect [--json] [--format FMT] [--build-user NAME] IMAGE\n\n"
	       "Reads an image hnbuild made (read-only, offline, with libguestfs) and reports:\n"
	       "its OS (/etc/os-release) and architecture; nodeadm's path and what `nodeadm\n"
	       "install` recorded in /opt/nodeadm/tracker (the real nodeadm records the\n"
	       "credential provider and containerd source but no Kubernetes version; the test\n"
	       "fixture records all); the first-boot join unit (" GENERALIZE_INIT_UNIT "),\n"
	       "cloud-init, proxy drop-ins; and every hygiene finding: what generalize should\n"
	       "have removed (machine-id, SSH host keys, cloud-init state, installer copies of\n"
	       "the install data, RHSM/SSM registrations, the build user and its key, shell\n"
	       "histories) and what blocks a join (swap, unlocked passwords). The build runs\n"
	       "the same check as its hygiene gate.\n\n"
	       "  --json              one JSON object on stdout instead of text\n"
	       "  --format FMT        qcow2, raw, vmdk or ova (default: from the file's contents);\n"
	       "                      an OVA's disk is extracted to a temporary file first\n"
	       "  --build-user NAME   the build user that must be gone (default " CREDENTIAL_DEFAULT_USER
	       ")\n"
	       "  -h, --help          this help\n\n"
	       "Uses TCG for the libguestfs appliance unless LIBGUESTFS_BACKEND_SETTINGS says\n"
	       "otherwise (about 20-40 s).\n\n"
	       "Exit codes: 0 clean, 1 hygiene findings, 2 usage error, 3 unreadable image.\n");
}

/* ---- image format and OVA ---- */

static const char *probe_format(const char *path)
{
	unsigned char b[512] = {0};
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, b, sizeof(b)) < 8)
		return "raw";
	if (!memcmp(b, "QFI\xfb", 4))
		return "qcow2";
	if (!memcmp(b, "KDMV", 4) || !memcmp(b, "# Disk DescriptorFile", 21))
		return "vmdk";
	if (!memcmp(b + 257, "ustar", 5))
		return "ova";
	return "raw";
}

/* The OVA's first disk, written to dir. */
static int extract_ova_disk(const char *ova, const char *dir, char **disk_out)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, ova, 1 << 16) != ARCHIVE_OK) {
		int r = err_verify(-EIO, "Cannot read the OVA %s: %s", ova, archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	struct archive_entry *e;
	int r = -ENOENT;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		size_t l = strlen(name);
		if (l < 5 || strcmp(name + l - 5, ".vmdk") || strchr(name, '/'))
			continue;
		_cleanup_free_ char *path = path_join(dir, name);
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			r = err_fail_errno(-errno, "Cannot create %s", path);
			break;
		}
		if (archive_read_data_into_fd(a, fd) != ARCHIVE_OK) {
			r = err_verify(-EIO, "Cannot extract %s from %s: %s", name, ova,
				       archive_error_string(a));
			break;
		}
		*disk_out = TAKE_PTR(path);
		r = 0;
		break;
	}
	if (r == -ENOENT)
		err_verify(r, "The OVA %s holds no .vmdk disk", ova);
	archive_read_free(a);
	return r;
}

/* ---- reading the image ---- */

/* KEY=value or KEY="value" from os-release text. */
static char *os_release_value(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *line = text; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, kl) || line[kl] != '=')
			continue;
		const char *v = line + kl + 1;
		size_t l = strcspn(v, "\n");
		if (l >= 2 && (v[0] == '"' || v[0] == '\'') && v[l - 1] == v[0]) {
			v++;
			l -= 2;
		}
		return strndup(v, l);
	}
	return NULL;
}

/* "key=value" among space-separated words of a fixture tracker line. */
static char *word_value(const char *line, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = line; *p;) {
		p += strspn(p, " \t");
		size_t l = strcspn(p, " \t\n");
		if (l > kl && !strncmp(p, key, kl) && p[kl] == '=')
			return strndup(p + kl + 1, l - kl - 1);
		p += l;
	}
	return NULL;
}

/* The real nodeadm's tracker (YAML, `Artifacts:` with booleans and the
 * containerd source) or the fixture's key=value lines. */
static void read_tracker(guestfs_h *g, struct report *r)
{
	_cleanup_free_ char *text = NULL;
	if (guestimg_read(g, "/opt/nodeadm/tracker", &text, NULL) < 0)
		return;
	if (strstr(text, "command=install")) {
		r->tracker_format = "fixture";
		const char *last = NULL;
		for (const char *p = text; (p = strstr(p, "command=install")); p++)
			last = p;
		while (last > text && last[-1] != '\n')
			last--;
		_cleanup_free_ char *line = strndup(last, strcspn(last, "\n"));
		r->kubernetes = word_value(line, "kubernetes");
		r->credential_provider = word_value(line, "credential_provider");
		r->containerd_source = word_value(line, "containerd_source");
		r->region = word_value(line, "region");
		r->nodeadm_version = word_value(line, "version");
		return;
	}
	if (!strstr(text, "Artifacts:"))
		return;
	r->tracker_format = "nodeadm";
	_cleanup_free_ char *ssm = NULL, *iam = NULL, *containerd = NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char key[64], value[64];
		if (sscanf(line, " %63[A-Za-z]: %63s", key, value) != 2)
			continue;
		if (!strcmp(key, "Ssm"))
			str_set(&ssm, value);
		else if (!strcmp(key, "IamRolesAnywhere"))
			str_set(&iam, value);
		else if (!strcmp(key, "Containerd"))
			str_set(&containerd, value);
	}
	if (ssm && !strcmp(ssm, "true"))
		r->credential_provider = xstrdup("ssm");
	else if (iam && !strcmp(iam, "true"))
		r->credential_provider = xstrdup("iam-ra");
	r->containerd_source = xstrdup(containerd ? containerd : "none");
}

static void read_arch(guestfs_h *g, struct report *r)
{
	char **roots = guestfs_inspect_get_roots(g);
	if (roots && roots[0]) {
		char *arch = guestfs_inspect_get_arch(g, roots[0]);
		if (arch && strcmp(arch, "unknown"))
			r->arch = arch;
		else
			free(arch);
	}
	for (char **p = roots; p && *p; p++)
		free(*p);
	free(roots);
	static const char *const binaries[] = {"/usr/bin/bash", "/bin/bash", "/usr/bin/true", "/bin/true",
					       "/usr/bin/ls"};
	for (size_t i = 0; !r->arch && i < ARRAY_SIZE(binaries); i++)
		if (guestimg_is_file(g, binaries[i]))
			r->arch = guestfs_file_architecture(g, binaries[i]);
}

static void read_image(guestfs_h *g, struct report *r)
{
	_cleanup_free_ char *os = NULL;
	if (guestimg_read(g, "/etc/os-release", &os, NULL) == 0 ||
	    guestimg_read(g, "/usr/lib/os-release", &os, NULL) == 0) {
		r->os_id = os_release_value(os, "ID");
		r->os_version = os_release_value(os, "VERSION_ID");
		r->os_pretty = os_release_value(os, "PRETTY_NAME");
	}
	read_arch(g, r);
	static const char *const nodeadm[] = {"/usr/local/bin/nodeadm", "/usr/bin/nodeadm"};
	for (size_t i = 0; !r->nodeadm_path && i < ARRAY_SIZE(nodeadm); i++)
		if (guestimg_is_file(g, nodeadm[i]))
			r->nodeadm_path = xstrdup(nodeadm[i]);
	read_tracker(g, r);
	r->unit_installed = guestimg_is_file(g, GENERALIZE_INIT_UNIT_PATH);
	r->unit_enabled = guestimg_exists(g, GENERALIZE_INIT_WANTS);
	r->cloud_init_installed = guestimg_exists(g, "/usr/bin/cloud-init");
	r->cloud_init_disabled = guestimg_exists(g, "/etc/cloud/cloud-init.disabled");
	static const char *const proxy[] = {
	    "/etc/systemd/system/kubelet.service.d/http-proxy.conf",
	    "/usr/lib/systemd/system/containerd.service.d/http-proxy.conf",
	    "/etc/systemd/system/containerd.service.d/http-proxy.conf",
	    "/etc/systemd/system/amazon-ssm-agent.service.d/http-proxy.conf",
	    "/etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service.d/http-proxy.conf",
	    "/etc/apt/apt.conf.d/proxy.conf",
	};
	for (size_t i = 0; i < ARRAY_SIZE(proxy); i++)
		if (guestimg_is_file(g, proxy[i]))
			strv_push(&r->proxy, proxy[i]);
	static const char *const pkg_conf[] = {"/etc/yum.conf", "/etc/dnf/dnf.conf"};
	for (size_t i = 0; i < ARRAY_SIZE(pkg_conf); i++) {
		_cleanup_free_ char *text = NULL;
		if (guestimg_read(g, pkg_conf[i], &text, NULL) == 0 &&
		    (str_startswith(text, "proxy=") || strstr(text, "\nproxy=")))
			strv_push(&r->proxy, pkg_conf[i]);
	}
}

/* ---- output ---- */

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "unknown";
}

static void print_text(const char *image, const char *format, const struct report *r)
{
	printf("image:               %s (%s)\n", image, format);
	if (r->os_pretty || r->os_id)
		printf("os:                  %s (id %s, version %s)\n", or_unknown(r->os_pretty),
		       or_unknown(r->os_id), or_unknown(r->os_version));
	else
		printf("os:                  unknown (no /etc/os-release)\n");
	printf("arch:                %s\n", or_unknown(r->arch));
	if (r->nodeadm_path)
		printf("nodeadm:             %s (version %s)\n", r->nodeadm_path,
		       r->nodeadm_version ? r->nodeadm_version : "not recorded");
	else
		printf("nodeadm:             not installed\n");
	if (r->tracker_format) {
		printf("kubernetes:          %s\n",
		       r->kubernetes ? r->kubernetes : "not recorded by nodeadm");
		printf("credential provider: %s\n", or_unknown(r->credential_provider));
		printf("containerd source:   %s\n", or_unknown(r->containerd_source));
		if (r->region)
			printf("region:              %s\n", r->region);
	} else {
		printf("nodeadm install:     not run (no /opt/nodeadm/tracker)\n");
	}
	printf("first-boot join:     %s\n", !r->unit_installed ? "not installed"
					    : r->unit_enabled  ? GENERALIZE_INIT_UNIT " (enabled)"
							       : GENERALIZE_INIT_UNIT
						" (installed, not enabled)");
	printf("cloud-init:          %s\n", !r->cloud_init_installed ? "not installed"
					    : r->cloud_init_disabled ? "installed, disabled"
								     : "installed, enabled");
	printf("proxy drop-ins:      ");
	if (!r->proxy)
		printf("none\n");
	for (char **p = r->proxy; p && *p; p++)
		printf("%s%s", *p, p[1] ? ", " : "\n");
	if (!r->n_findings) {
		printf("hygiene:             clean\n");
		return;
	}
	printf("hygiene:             %zu finding%s\n", r->n_findings, r->n_findings == 1 ? "" : "s");
	for (size_t i = 0; i < r->n_findings; i++)
		printf("  %s: %s\n", r->findings[i].path, r->findings[i].what);
}


static void json_key(struct strbuf *sb, const char *key, const char *value, bool comma)
{
	sb_addf(sb, "\"%s\": ", key);
	sb_add_json_str(sb, value);
	if (comma)
		sb_adds(sb, ", ");
}

static void print_json(const char *image, const char *format, const struct report *r)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_adds(&sb, "{");
	json_key(&sb, "image", image, true);
	json_key(&sb, "format", format, true);
	sb_adds(&sb, "\"os\": {");
	json_key(&sb, "id", r->os_id, true);
	json_key(&sb, "version_id", r->os_version, true);
	json_key(&sb, "pretty_name", r->os_pretty, false);
	sb_adds(&sb, "}, ");
	json_key(&sb, "arch", r->arch, true);
	sb_adds(&sb, "\"nodeadm\": {");
	json_key(&sb, "path", r->nodeadm_path, true);
	json_key(&sb, "version", r->nodeadm_version, true);
	json_key(&sb, "tracker", r->tracker_format, true);
	json_key(&sb, "kubernetes_version", r->kubernetes, true);
	json_key(&sb, "credential_provider", r->credential_provider, true);
	json_key(&sb, "containerd_source", r->containerd_source, true);
	json_key(&sb, "region", r->region, false);
	sb_addf(&sb, "}, \"first_boot_unit\": {\"name\": \"%s\", \"installed\": %s, \"enabled\": %s}, ",
		GENERALIZE_INIT_UNIT, r->unit_installed ? "true" : "false",
		r->unit_enabled ? "true" : "false");
	sb_addf(&sb, "\"cloud_init\": {\"installed\": %s, \"enabled\": %s}, ",
		r->cloud_init_installed ? "true" : "false",
		r->cloud_init_installed && !r->cloud_init_disabled ? "true" : "false");
	sb_adds(&sb, "\"proxy_dropins\": [");
	for (char **p = r->proxy; p && *p; p++) {
		sb_add_json_str(&sb, *p);
		if (p[1])
			sb_adds(&sb, ", ");
	}
	sb_adds(&sb, "], \"findings\": [");
	for (size_t i = 0; i < r->n_findings; i++) {
		sb_adds(&sb, "{");
		json_key(&sb, "path", r->findings[i].path, true);
		json_key(&sb, "what", r->findings[i].what, false);
		sb_adds(&sb, i + 1 < r->n_findings ? "}, " : "}");
	}
	sb_addf(&sb, "], \"clean\": %s}\n", r->n_findings ? "false" : "true");
	fputs(sb.buf, stdout);
}

/* ---- command ---- */

enum { OPT_JSON = 256, OPT_FORMAT, OPT_BUILD_USER };

int cmd_inspect(int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"build-user", required_argument, NULL, OPT_BUILD_USER},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false;
	const char *format = NULL, *user = CREDENTIAL_DEFAULT_USER;
	int c;
	/* inspect reads no secret: none of them reaches libguestfs either */
	spec_scrub_environment();
	fetch_take_host_proxy();
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_FORMAT:
			format = optarg;
			break;
		case OPT_BUILD_USER:
			user = optarg;
			break;
		case 'h':
			print_help();
			return EXIT_OK;
		case ':':
			err_usage("inspect: %s needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			err_usage("inspect: unknown flag '%s' (see hnbuild inspect --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		err_usage(optind == argc ? "inspect: no IMAGE given (see hnbuild inspect --help)"
					 : "inspect: exactly one IMAGE, got '%s' too",
			  argv[argc - 1]);
		return EXIT_USAGE;
	}
	const char *image = argv[optind];
	if (format && strcmp(format, "qcow2") && strcmp(format, "raw") && strcmp(format, "vmdk") &&
	    strcmp(format, "ova")) {
		err_usage("inspect: --format %s: use qcow2, raw, vmdk or ova", format);
		return EXIT_USAGE;
	}
	if (credential_check_user_name(user) < 0) {
		err_usage("inspect: --build-user '%s' is not a valid user name", user);
		return EXIT_USAGE;
	}
	if (access(image, R_OK) < 0) {
		err_verify(-errno, "Cannot read the image %s: %s", image, strerror(errno));
		return EXIT_VERIFY;
	}
	if (!format)
		format = probe_format(image);

	_cleanup_free_ char *tmpdir = NULL, *disk = NULL;
	int rc = EXIT_OK;
	if (!strcmp(format, "ova")) {
		const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
		tmpdir = path_join(base, "hnbuild-inspect-XXXXXX");
		if (!mkdtemp(tmpdir)) {
			err_fail_errno(-errno, "Cannot create a temporary directory under %s", base);
			return EXIT_BUILD_FAILED;
		}
		if (extract_ova_disk(image, tmpdir, &disk) < 0) {
			rm_rf(tmpdir);
			return err_exit_code();
		}
	}
	struct guestimg_open_params op = {
	    .disk = disk ? disk : image, .format = disk ? "vmdk" : format, .readonly = true};
	guestfs_h *g = NULL;
	struct report r = {0};
	if (guestimg_open(&op, &g) < 0) {
		rc = EXIT_VERIFY;
	} else {
		read_image(g, &r);
		if (hygiene_scan(g, user, &r.findings, &r.n_findings) < 0)
			rc = EXIT_VERIFY;
		guestimg_close(g);
	}
	if (tmpdir)
		rm_rf(tmpdir);
	if (rc == EXIT_OK) {
		if (json)
			print_json(image, format, &r);
		else
			print_text(image, format, &r);
		rc = r.n_findings ? EXIT_BUILD_FAILED : EXIT_OK;
		if (rc)
			err_fail(-EPERM, "%s: %zu hygiene finding%s (listed above)", image, r.n_findings,
				 r.n_findings == 1 ? "" : "s");
	}
	report_free(&r);
	fflush(stdout);
	return rc;
}
