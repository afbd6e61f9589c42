/* cloudconfig.c — #cloud-config user-data, metadata and network-config. */
#include "cloudconfig.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "err.h"
#include "strbuf.h"
#include "udtemplate.h"
#include "util.h"
#include "yamlw.h"

/* RFC 3986 pieces, narrowed to what a proxy URL needs: nothing that means
 * something in the files the value lands in (systemd drop-ins, apt.conf,
 * dnf.conf, shell): no quotes, blanks, ';', '$', '`', '\\', '#', '{', '}'. */
static bool url_unreserved(unsigned char c) { return isalnum(c) || strchr("-._~", c); }

static size_t span_pct(const char *s, const char *extra)
{
	size_t n = 0;
	for (;;) {
		unsigned char c = (unsigned char)s[n];
		if (c && (url_unreserved(c) || strchr(extra, c)))
			n++;
		else if (c == '%' && isxdigit((unsigned char)s[n + 1]) && isxdigit((unsigned char)s[n + 2]))
			n += 3;
		else
			return n;
	}
}

bool cloudconfig_proxy_ok(const char *url)
{
	if (!url)
		return false;
	const char *p = str_startswith(url, "http://")	  ? url + 7
			: str_startswith(url, "https://") ? url + 8
							  : NULL;
	if (!p)
		return false;
	/* [user[:password]@] */
	const char *at = strchr(p, '@');
	if (at) {
		size_t n = span_pct(p, "!&()*+,=:");
		if (p + n != at)
			return false;
		p = at + 1;
	}
	/* host: a name or an IPv6 literal */
	if (*p == '[') {
		size_t n = strspn(p + 1, "0123456789abcdefABCDEF:.");
		if (n == 0 || p[1 + n] != ']')
			return false;
		p += n + 2;
	} else {
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.");
		if (n == 0 || p[0] == '-' || p[0] == '.')
			return false;
		p += n;
	}
	/* [:port] */
	if (*p == ':') {
		size_t n = strspn(p + 1, "0123456789");
		if (n == 0 || n > 5 || strtoul(p + 1, NULL, 10) > 65535)
			return false;
		p += n + 1;
	}
	/* [/] */
	if (*p == '/')
		p++;
	return *p == '\0';
}

bool cloudconfig_no_proxy_ok(const char *list)
{
	if (!list || !*list)
		return false;
	for (const char *p = list;;) {
		/* a host, domain (".example.com", "*.example.com"), IP, CIDR, or [IPv6] */
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._*:/[]");
		if (n == 0)
			return false;
		p += n;
		if (*p == '\0')
			return true;
		if (*p != ',')
			return false;
		p++;
	}
}

bool cloudconfig_user_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 32 || !(islower((unsigned char)name[0]) || name[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!(islower(c) || isdigit(c) || c == '_' || c == '-'))
			return false;
	}
	return strcmp(name, "root") != 0;
}

static void write_file_entry(struct yamlw *w, const char *path, const char *perm, const char *content,
			     bool append)
{
	yamlw_map_begin(w);
	yamlw_kv(w, "path", path);
	if (!append)
		yamlw_kv(w, "owner", "root:root");
	if (perm)
		yamlw_kv(w, "permissions", perm);
	if (append)
		yamlw_kv_bool(w, "append", true);
	yamlw_kv(w, "content", content);
	yamlw_map_end(w);
}

static int proxy_files(struct yamlw *w, const struct node_config *nc, const struct cloudconfig_opts *o)
{
	_cleanup_strbuf_ struct strbuf proxy_esc = STRBUF_INIT, no_proxy_esc = STRBUF_INIT;
	sb_init(&proxy_esc);
	sb_init(&no_proxy_esc);
	udtemplate_systemd_escape(&proxy_esc, o->proxy);
	udtemplate_systemd_escape(&no_proxy_esc, o->no_proxy ? o->no_proxy : CLOUDCONFIG_DEFAULT_NO_PROXY);
	const struct udtemplate_var unit_vars[] = {
	    {"PROXY", proxy_esc.buf},
	    {"NO_PROXY", no_proxy_esc.buf},
	};
	_cleanup_strbuf_ struct strbuf unit = STRBUF_INIT;
	sb_init(&unit);
	int r =
	    udtemplate_render("user-data/templates/http-proxy.conf", unit_vars, ARRAY_SIZE(unit_vars), &unit);
	if (r < 0)
		return r;

	/* The drop-ins nodeadm checks before init (kubelet, containerd under
	 * /usr/lib as nodeadm looks there, the SSM agent), plus containerd under
	 * /etc where the EKS documentation puts it. */
	write_file_entry(w, "/etc/systemd/system/kubelet.service.d/http-proxy.conf", "0644", unit.buf, false);
	write_file_entry(w, "/etc/systemd/system/containerd.service.d/http-proxy.conf", "0644", unit.buf,
			 false);
	write_file_entry(w, "/usr/lib/systemd/system/containerd.service.d/http-proxy.conf", "0644", unit.buf,
			 false);
	if (nodeconfig_credential(nc) == NODECONFIG_CRED_SSM)
		write_file_entry(w,
				 o->os == CLOUDCONFIG_OS_UBUNTU
				     ? "/etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service.d/"
				       "http-proxy.conf"
				     : "/etc/systemd/system/amazon-ssm-agent.service.d/http-proxy.conf",
				 "0644", unit.buf, false);

	const struct udtemplate_var pkg_vars[] = {{"PROXY", o->proxy}};
	_cleanup_strbuf_ struct strbuf pkg = STRBUF_INIT;
	sb_init(&pkg);
	if (o->os == CLOUDCONFIG_OS_UBUNTU) {
		r = udtemplate_render("user-data/templates/apt-proxy.conf", pkg_vars, 1, &pkg);
		if (r < 0)
			return r;
		write_file_entry(w, "/etc/apt/apt.conf.d/proxy.conf", "0644", pkg.buf, false);
	} else {
		/* /etc/yum.conf is what nodeadm reads (a link to dnf.conf on RHEL 8/9):
		 * append to its [main] section rather than replace it. */
		r = udtemplate_render("user-data/templates/yum-proxy.conf", pkg_vars, 1, &pkg);
		if (r < 0)
			return r;
		write_file_entry(w, "/etc/yum.conf", NULL, pkg.buf, true);
	}
	return 0;
}

static int init_script(struct strbuf *out)
{
	_cleanup_strbuf_ struct strbuf config = STRBUF_INIT, log = STRBUF_INIT, marker = STRBUF_INIT;
	sb_init(&config);
	sb_init(&log);
	sb_init(&marker);
	udtemplate_shell_quote(&config, CLOUDCONFIG_NODECONFIG_PATH);
	udtemplate_shell_quote(&log, CLOUDCONFIG_INIT_LOG);
	udtemplate_shell_quote(&marker, CLOUDCONFIG_INIT_MARKER);
	const struct udtemplate_var vars[] = {
	    {"CONFIG", config.buf},
	    {"LOG", log.buf},
	    {"MARKER", marker.buf},
	};
	return udtemplate_render("user-data/templates/nodeadm-init.sh", vars, ARRAY_SIZE(vars), out);
}

int cloudconfig_render_userdata(const struct node_config *nc, const struct cloudconfig_opts *o, char **out)
{
	_cleanup_free_ char *nodeconfig = NULL;
	int r = nodeconfig_render(nc, &nodeconfig);
	if (r < 0)
		return r;
	_cleanup_strbuf_ struct strbuf script = STRBUF_INIT, doc = STRBUF_INIT;
	sb_init(&script);
	sb_init(&doc);
	r = init_script(&script);
	if (r < 0)
		return r;

	struct yamlw w;
	yamlw_begin(&w, &doc, "#cloud-config");
	yamlw_map_begin(&w);

	if (o->user) {
		yamlw_str(&w, "users");
		yamlw_seq_begin(&w);
		yamlw_map_begin(&w);
		yamlw_kv(&w, "name", o->user);
		yamlw_kv(&w, "shell", "/bin/bash");
		yamlw_kv_bool(&w, "lock_passwd", true);
		yamlw_kv(&w, "sudo", "ALL=(ALL) NOPASSWD:ALL");
		if (o->ssh_keys && o->ssh_keys[0]) {
			yamlw_str(&w, "ssh_authorized_keys");
			yamlw_seq_begin(&w);
			for (size_t i = 0; o->ssh_keys[i]; i++)
				yamlw_str(&w, o->ssh_keys[i]);
			yamlw_seq_end(&w);
		}
		yamlw_map_end(&w);
		yamlw_seq_end(&w);
	} else if (o->ssh_keys && o->ssh_keys[0]) {
		/* No user named: the keys go to the image's default user. */
		yamlw_str(&w, "ssh_authorized_keys");
		yamlw_seq_begin(&w);
		for (size_t i = 0; o->ssh_keys[i]; i++)
			yamlw_str(&w, o->ssh_keys[i]);
		yamlw_seq_end(&w);
	}

	yamlw_str(&w, "write_files");
	yamlw_seq_begin(&w);
	/* 0600: the NodeConfig holds the SSM activation code. */
	write_file_entry(&w, CLOUDCONFIG_NODECONFIG_PATH, "0600", nodeconfig, false);
	write_file_entry(&w, CLOUDCONFIG_INIT_SCRIPT, "0755", script.buf, false);
	if (o->iam_ra_cert_pem)
		write_file_entry(&w,
				 nc->certificate_path ? nc->certificate_path : NODECONFIG_IAM_RA_CERT_PATH,
				 "0644", o->iam_ra_cert_pem, false);
	if (o->iam_ra_key_pem)
		write_file_entry(&w, nc->private_key_path ? nc->private_key_path : NODECONFIG_IAM_RA_KEY_PATH,
				 "0600", o->iam_ra_key_pem, false);
	if (o->proxy) {
		r = proxy_files(&w, nc, o);
		if (r < 0) {
			yamlw_abort(&w);
			return r;
		}
	}
	yamlw_seq_end(&w);

	yamlw_str(&w, "runcmd");
	yamlw_seq_begin(&w);
	if (o->proxy) {
		yamlw_flow_seq_begin(&w);
		yamlw_str(&w, "systemctl");
		yamlw_str(&w, "daemon-reload");
		yamlw_seq_end(&w);
		yamlw_flow_seq_begin(&w);
		yamlw_str(&w, "systemctl");
		yamlw_str(&w, "try-restart");
		yamlw_str(&w, "containerd.service");
		yamlw_seq_end(&w);
	}
	/* The argv form: cloud-init quotes each word, no shell parses values. */
	yamlw_flow_seq_begin(&w);
	if (o->proxy) {
		const char *no_proxy = o->no_proxy ? o->no_proxy : CLOUDCONFIG_DEFAULT_NO_PROXY;
		_cleanup_strbuf_ struct strbuf e = STRBUF_INIT;
		sb_init(&e);
		yamlw_str(&w, "env");
		const char *names[] = {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
				       "http_proxy", "https_proxy", "no_proxy"};
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			sb_reset(&e);
			sb_addf(&e, "%s=%s", names[i], i % 3 == 2 ? no_proxy : o->proxy);
			yamlw_str(&w, e.buf);
		}
	}
	yamlw_str(&w, CLOUDCONFIG_INIT_SCRIPT);
	yamlw_seq_end(&w);
	yamlw_seq_end(&w);

	yamlw_map_end(&w);
	r = yamlw_end(&w);
	if (r < 0)
		return err_fail_errno(r, "Failed to write the cloud-config user-data");
	*out = sb_detach(&doc, NULL);
	return 0;
}

static bool is_ipv6(const char *s)
{
	return strchr(s, ':') != NULL;
}

/* Is there a network section to write? (See cloudconfig.h.) */
static bool has_network(const struct node_entry *node, enum cloudconfig_os os)
{
	return os == CLOUDCONFIG_OS_UBUNTU || node->address || node->interface;
}

static void network_body(struct yamlw *w, const struct node_entry *node, enum cloudconfig_os os)
{
	yamlw_map_begin(w);
	yamlw_kv_int(w, "version", 2);
	yamlw_str(w, "ethernets");
	yamlw_map_begin(w);
	if (os == CLOUDCONFIG_OS_UBUNTU) {
		/* ens192 on vmxnet3, enp1s0/ens3 on virtio, eth0 elsewhere: netplan
		 * matches a glob. */
		yamlw_str(w, "primary");
		yamlw_map_begin(w);
		yamlw_str(w, "match");
		yamlw_map_begin(w);
		yamlw_kv(w, "name", node->interface ? node->interface : CLOUDCONFIG_UBUNTU_DEFAULT_NIC);
		yamlw_map_end(w);
	} else {
		yamlw_str(w, node->interface ? node->interface : CLOUDCONFIG_RHEL_DEFAULT_NIC);
		yamlw_map_begin(w);
	}
	if (!node->address) {
		yamlw_kv_bool(w, "dhcp4", true);
	} else {
		yamlw_kv_bool(w, "dhcp4", false);
		yamlw_kv_bool(w, "dhcp6", false);
		yamlw_str(w, "addresses");
		yamlw_seq_begin(w);
		yamlw_str(w, node->address);
		yamlw_seq_end(w);
		if (node->gateway) {
			yamlw_str(w, "routes");
			yamlw_seq_begin(w);
			yamlw_map_begin(w);
			yamlw_kv(w, "to", is_ipv6(node->gateway) ? "::/0" : "0.0.0.0/0");
			yamlw_kv(w, "via", node->gateway);
			yamlw_map_end(w);
			yamlw_seq_end(w);
		}
		if (node->dns && node->dns[0]) {
			yamlw_str(w, "nameservers");
			yamlw_map_begin(w);
			yamlw_str(w, "addresses");
			yamlw_seq_begin(w);
			for (size_t i = 0; node->dns[i]; i++)
				yamlw_str(w, node->dns[i]);
			yamlw_seq_end(w);
			yamlw_map_end(w);
		}
	}
	yamlw_map_end(w); /* the interface */
	yamlw_map_end(w); /* ethernets */
	yamlw_map_end(w);
}

int cloudconfig_render_metadata(const struct node_entry *node, enum cloudconfig_os os, char **out)
{
	_cleanup_strbuf_ struct strbuf doc = STRBUF_INIT;
	sb_init(&doc);
	struct yamlw w;
	yamlw_begin(&w, &doc, NULL);
	yamlw_map_begin(&w);
	yamlw_kv(&w, "instance-id", node->name);
	yamlw_kv(&w, "local-hostname", node->name);
	if (has_network(node, os)) {
		yamlw_str(&w, "network");
		network_body(&w, node, os);
	}
	yamlw_map_end(&w);
	int r = yamlw_end(&w);
	if (r < 0)
		return err_fail_errno(r, "Failed to write the metadata for %s", node->name);
	*out = sb_detach(&doc, NULL);
	return 0;
}

int cloudconfig_render_network(const struct node_entry *node, enum cloudconfig_os os, char **out)
{
	*out = NULL;
	if (!has_network(node, os))
		return 0;
	_cleanup_strbuf_ struct strbuf doc = STRBUF_INIT;
	sb_init(&doc);
	struct yamlw w;
	yamlw_begin(&w, &doc, NULL);
	network_body(&w, node, os);
	int r = yamlw_end(&w);
	if (r < 0)
		return err_fail_errno(r, "Failed to write the network-config for %s", node->name);
	*out = sb_detach(&doc, NULL);
	return 0;
}
