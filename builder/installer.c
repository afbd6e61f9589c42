/* installer.c — picks the install-data renderer for an OS, writes the seed
 * ISO and builds the installer's kernel command line. */
#include "installer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "autoinstall.h"
#include "cleanup.h"
#include "err.h"
#include "kickstart.h"
#include "log.h"
#include "runcmd.h"
#include "seed.h"
#include "strbuf.h"
#include "util.h"

const struct installer_ops *installer_for_os(enum os_id os)
{
	const struct os_info *o = os_by_id(os);
	if (!o)
		return NULL;
	return o->family == FAMILY_UBUNTU ? &autoinstall_installer : &kickstart_installer;
}

int installer_render(const struct install_params *p, struct install_data *out)
{
	const struct installer_ops *ops = installer_for_os(p->os);
	if (!ops)
		return err_usage("Unknown os id %d", (int)p->os);
	*out = (struct install_data){0};
	int r = ops->render(p, out);
	if (r < 0)
		install_data_free(out);
	return r;
}

int installer_write_seed(const struct install_data *data, const char *path)
{
	struct seed_file files[ARRAY_SIZE(data->files)];
	for (size_t i = 0; i < data->n_files; i++)
		files[i] = (struct seed_file){data->files[i].name, data->files[i].data, data->files[i].len};
	return seed_iso_write(path, data->seed_label, files, data->n_files);
}

void install_data_free(struct install_data *data)
{
	for (size_t i = 0; i < data->n_files; i++) {
		free(data->files[i].name);
		free(data->files[i].data);
	}
	*data = (struct install_data){0};
}

const char *installer_serial_console(enum arch_id arch)
{
	return arch == ARCH_ARM64 ? "ttyAMA0" : "ttyS0";
}

const char *installer_vmware_tools(enum arch_id arch)
{
	return arch == ARCH_AMD64 ? "open-vm-tools" : NULL;
}

char *installer_kernel_cmdline(const struct install_params *p, const struct iso_info *iso)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	const struct os_info *o = os_by_id(p->os);
	if (o && o->family == FAMILY_UBUNTU) {
		sb_adds(&sb, "autoinstall ds=nocloud");
	} else {
		/* dracut reads spaces in labels as \x20. */
		sb_adds(&sb, "inst.stage2=hd:LABEL=");
		for (const char *c = iso && iso->label ? iso->label : ""; *c; c++) {
			if (*c == ' ' || *c == '\\' || *c == '"' || *c == '\'' || (unsigned char)*c < 0x20)
				sb_addf(&sb, "\\x%02x", (unsigned char)*c);
			else
				sb_addc(&sb, *c);
		}
		sb_adds(&sb, " inst.ks=hd:LABEL=OEMDRV:/ks.cfg inst.text");
	}
	sb_addf(&sb, " console=tty0 console=%s,115200", installer_serial_console(p->arch));
	/* An emulated (TCG) x86 guest on a busy host can miss the kernel's
	 * IO-APIC timer check and panic; the check proves nothing here. */
	if (p->arch == ARCH_AMD64)
		sb_adds(&sb, " no_timer_check");
	return sb_detach(&sb, NULL);
}

int installer_disk_label(const char *disk, const char *scratch, const char **label)
{
	*label = NULL;
	_cleanup_free_ char *head = path_join(scratch, "disk-head.raw");
	_cleanup_free_ char *in = NULL, *out = NULL;
	if (asprintf(&in, "if=%s", disk) < 0 || asprintf(&out, "of=%s", head) < 0)
		abort();
	char *argv[] = {"qemu-img", "dd", "-f", "qcow2", "-O", "raw", "bs=512", "count=2", in, out, NULL};
	int r = runcmd(argv);
	char *data = NULL;
	size_t len = 0;
	if (r >= 0)
		r = read_file_max(head, 1024, &data, &len);
	unlink(head);
	if (r < 0)
		return err_fail(r, "cannot read the partition table of %s: %s", disk, err_message());
	/* GPT first: its protective MBR carries the 0x55AA signature too. */
	if (len >= 520 && !memcmp(data + 512, "EFI PART", 8))
		*label = "gpt";
	else if (len >= 512 && (unsigned char)data[510] == 0x55 && (unsigned char)data[511] == 0xaa)
		*label = "msdos";
	free(data);
	return 0;
}

/* ---- masking for terminals and failure bundles ---- */

/* A YAML line with "KEY: value" where KEY names a password, in block or
 * flow style ({name: x, passwd: y}): each such value masked. */
static bool mask_yaml_line(struct strbuf *sb, const char *line, size_t len)
{
	static const char *const keys[] = {"hashed_passwd", "plain_text_passwd", "passwd", "password", NULL};
	bool masked = false;
	size_t i = 0, copied = 0;
	while (i < len) {
		bool at_key = i == 0 || strchr(" \t{,-", line[i - 1]);
		const char *k = NULL;
		for (const char *const *kk = keys; at_key && *kk && !k; kk++) {
			size_t kl = strlen(*kk);
			if (len - i > kl && !strncmp(line + i, *kk, kl) && line[i + kl] == ':' &&
			    (i + kl + 1 == len || line[i + kl + 1] == ' '))
				k = *kk;
		}
		if (!k) {
			i++;
			continue;
		}
		size_t v = i + strlen(k) + 1;
		while (v < len && line[v] == ' ')
			v++;
		if (v == len) /* a block follows: not one value */
			break;
		size_t e = v;
		if (line[v] == '"' || line[v] == '\'') {
			char q = line[v];
			for (e = v + 1; e < len && line[e] != q; e++)
				if (q == '"' && line[e] == '\\' && e + 1 < len)
					e++;
			if (e < len)
				e++;
		} else {
			while (e < len && line[e] != ',' && line[e] != '}')
				e++;
			while (e > v && line[e - 1] == ' ')
				e--;
		}
		sb_add(sb, line + copied, v - copied);
		sb_adds(sb, INSTALL_MASK);
		copied = i = e;
		masked = true;
	}
	if (masked)
		sb_add(sb, line + copied, len - copied);
	return masked;
}

/* A kickstart line: the values of --password, --activation-key and
 * rootpw's password masked. */
static bool mask_kickstart_line(struct strbuf *sb, const char *line, size_t len)
{
	_cleanup_free_ char *l = strndup(line, len);
	if (!l)
		abort();
	bool rootpw = !strncmp(l, "rootpw", 6) && (l[6] == ' ' || l[6] == '\t');
	if (!rootpw && !strstr(l, "--password") && !strstr(l, "--activation-key"))
		return false;
	bool masked = false, take_next = false;
	char *save = NULL;
	bool first = true;
	for (char *w = strtok_r(l, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (!first)
			sb_addc(sb, ' ');
		first = false;
		char *eq = strchr(w, '=');
		if (take_next) {
			sb_adds(sb, INSTALL_MASK);
			masked = true;
			take_next = false;
		} else if (str_startswith(w, "--password") || str_startswith(w, "--activation-key")) {
			if (eq) {
				sb_add(sb, w, (size_t)(eq - w) + 1);
				sb_adds(sb, INSTALL_MASK);
				masked = true;
			} else {
				sb_adds(sb, w);
				take_next = true;
			}
		} else if (rootpw && w[0] != '-' && strcmp(w, "rootpw")) {
			sb_adds(sb, INSTALL_MASK);
			masked = true;
		} else {
			sb_adds(sb, w);
		}
	}
	return masked;
}

char *install_file_masked(const struct install_file *f)
{
	bool kickstart = !strcmp(f->name, "ks.cfg");
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	const char *p = f->data, *end = f->data + f->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t mark = sb.len;
		if (!(kickstart ? mask_kickstart_line(&sb, p, len) : mask_yaml_line(&sb, p, len))) {
			sb.len = mark;
			sb_add(&sb, p, len);
		}
		if (nl)
			sb_addc(&sb, '\n');
		p += len + (nl ? 1 : 0);
	}
	char *text = sb_detach(&sb, NULL);
	char *red = log_redact(text); /* a proxy URL's password */
	free(text);
	return red;
}

