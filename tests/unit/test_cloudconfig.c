/* test_cloudconfig.c — the #cloud-config user-data, metadata and
 * network-config (goldens), their acceptance by `cloud-init schema`, the
 * guestinfo round trip back to the NodeConfig, and the node list files. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloudconfig.h"
#include "err.h"
#include "guestinfo.h"
#include "nodelist.h"
#include "userdata_test.h"
#include "unit_run.h"

#define CODE "AbCdEfGhIjKlMnOpQrSt0123"
#define ACT_ID "0123abcd-4567-89ab-cdef-0123456789ab"
#define FAKE_CERT "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
#define FAKE_KEY "-----BEGIN PRIVATE KEY-----\nMIGHfake\n-----END PRIVATE KEY-----\n"

static void ssm_config(struct node_config *nc)
{
	memset(nc, 0, sizeof(*nc));
	nc->cluster_name = xstrdup("my-cluster");
	nc->region = xstrdup("us-west-2");
	nc->ssm_activation_code = xstrdup(CODE);
	nc->ssm_activation_id = xstrdup(ACT_ID);
}

static void iam_config(struct node_config *nc)
{
	memset(nc, 0, sizeof(*nc));
	nc->cluster_name = xstrdup("my-cluster");
	nc->region = xstrdup("eu-central-1");
	nc->node_name = xstrdup("node-a");
	nc->trust_anchor_arn = xstrdup("arn:aws:rolesanywhere:eu-central-1:123456789012:trust-anchor/"
				       "0123abcd-4567-89ab-cdef-0123456789ab");
	nc->profile_arn = xstrdup("arn:aws:rolesanywhere:eu-central-1:123456789012:profile/"
				  "11111111-2222-3333-4444-555555555555");
	nc->role_arn = xstrdup("arn:aws:iam::123456789012:role/EksHybridNodes");
}

/* `cloud-init schema --config-file` on the text; returns its exit status. */
static int schema_status(const char *text)
{
	char *path = ud_tmpfile(text, ".yaml");
	char *cmd = NULL;
	ck_assert(asprintf(&cmd, "cloud-init schema --config-file %s >/dev/null 2>&1", path) > 0);
	int st = ud_run(cmd);
	unlink(path);
	free(path);
	free(cmd);
	return st;
}

START_TEST(schema_check_can_fail)
{
	/* Negative controls: the oracle rejects what we must never produce. */
	ck_assert_int_ne(schema_status("#cloud-config\nruncmd: 5\n"), 0);
	ck_assert_int_ne(
	    schema_status("#cloud-config\nwrite_files:\n- path: /x\n  permissions: 0600\n  content: x\n"), 0);
	ck_assert_int_eq(schema_status("#cloud-config\nruncmd:\n- [echo, hi]\n"), 0);
}
END_TEST

START_TEST(userdata_ssm_golden_schema_and_structure)
{
	struct node_config nc;
	ssm_config(&nc);
	char *keys[] = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOps ops@example", NULL};
	struct cloudconfig_opts o = {.os = CLOUDCONFIG_OS_UBUNTU, .user = "ops", .ssh_keys = keys};
	char *ud = NULL;
	ck_assert_int_eq(cloudconfig_render_userdata(&nc, &o, &ud), 0);
	ud_check_golden("tests/golden/userdata-cloud-config-ssm.yaml", ud);
	ck_assert(strncmp(ud, "#cloud-config\n", 14) == 0);
	ck_assert_int_eq(schema_status(ud), 0);

	struct ud_yaml y;
	ck_assert_int_eq(ud_yaml_load(&y, ud), 0);
	ck_assert_str_eq(ud_yaml_str(&y, "users.0.name"), "ops");
	ck_assert_str_eq(ud_yaml_str(&y, "users.0.ssh_authorized_keys.0"), keys[0]);
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.0.path"), CLOUDCONFIG_NODECONFIG_PATH);
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.0.permissions"), "0600");
	ck_assert_int_ne(ud_yaml_style(&y, "write_files.0.permissions"), YAML_PLAIN_SCALAR_STYLE);
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.1.path"), CLOUDCONFIG_INIT_SCRIPT);
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.1.permissions"), "0755");
	ck_assert_ptr_null(ud_yaml_node(&y, "write_files.2"));
	ck_assert_str_eq(ud_yaml_str(&y, "runcmd.0.0"), CLOUDCONFIG_INIT_SCRIPT);
	ck_assert_ptr_null(ud_yaml_node(&y, "runcmd.1"));

	/* The init script is valid shell and runs nodeadm init with our file. */
	const char *script = ud_yaml_str(&y, "write_files.1.content");
	ck_assert_ptr_nonnull(strstr(script, "nodeadm init -c \"file://$config\""));
	ck_assert_ptr_nonnull(strstr(script, "config='" CLOUDCONFIG_NODECONFIG_PATH "'"));
	char *sp = ud_tmpfile(script, ".sh"), *cmd = NULL;
	ck_assert(asprintf(&cmd, "sh -n %s", sp) > 0);
	ck_assert_int_eq(ud_run(cmd), 0);
	unlink(sp);
	free(sp);
	free(cmd);
	ud_yaml_free(&y);
	free(ud);
	node_config_free(&nc);
}
END_TEST

START_TEST(userdata_iam_ra_proxy_rhel)
{
	struct node_config nc;
	iam_config(&nc);
	struct cloudconfig_opts o = {
	    .os = CLOUDCONFIG_OS_RHEL,
	    .proxy = "http://user:p%40ss@proxy.corp:3128",
	    .no_proxy = "localhost,10.0.0.0/8,.corp",
	    .iam_ra_cert_pem = FAKE_CERT,
	    .iam_ra_key_pem = FAKE_KEY,
	};
	char *ud = NULL;
	ck_assert_int_eq(cloudconfig_render_userdata(&nc, &o, &ud), 0);
	ud_check_golden("tests/golden/userdata-cloud-config-iam-ra-proxy-rhel.yaml", ud);
	ck_assert_int_eq(schema_status(ud), 0);

	struct ud_yaml y;
	ck_assert_int_eq(ud_yaml_load(&y, ud), 0);
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.2.path"), NODECONFIG_IAM_RA_CERT_PATH);
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.2.content"), FAKE_CERT);
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.3.path"), NODECONFIG_IAM_RA_KEY_PATH);
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.3.permissions"), "0600");
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.3.content"), FAKE_KEY);
	/* kubelet, containerd (/etc and /usr/lib), no SSM drop-in for IAM-RA, then yum. */
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.4.path"),
			 "/etc/systemd/system/kubelet.service.d/http-proxy.conf");
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.6.path"),
			 "/usr/lib/systemd/system/containerd.service.d/http-proxy.conf");
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.7.path"), "/etc/yum.conf");
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.7.append"), "true");
	ck_assert_ptr_nonnull(
	    strstr(ud_yaml_str(&y, "write_files.7.content"), "\nproxy=http://user:p%40ss@proxy.corp:3128\n"));
	/* systemd specifiers: % doubled; nodeadm looks for HTTP_PROXY=<value> after unescaping. */
	ck_assert_ptr_nonnull(strstr(ud_yaml_str(&y, "write_files.4.content"),
				     "Environment=\"HTTPS_PROXY=http://user:p%%40ss@proxy.corp:3128\"\n"));
	ck_assert_ptr_null(strstr(ud, "amazon-ssm-agent"));
	ck_assert_str_eq(ud_yaml_str(&y, "runcmd.0.1"), "daemon-reload");
	ck_assert_str_eq(ud_yaml_str(&y, "runcmd.2.0"), "env");
	ck_assert_str_eq(ud_yaml_str(&y, "runcmd.2.1"), "HTTP_PROXY=http://user:p%40ss@proxy.corp:3128");
	ck_assert_str_eq(ud_yaml_str(&y, "runcmd.2.3"), "NO_PROXY=localhost,10.0.0.0/8,.corp");
	ck_assert_str_eq(ud_yaml_str(&y, "runcmd.2.7"), CLOUDCONFIG_INIT_SCRIPT);
	ud_yaml_free(&y);
	free(ud);
	node_config_free(&nc);
}
END_TEST

START_TEST(userdata_ssm_proxy_ubuntu_paths)
{
	struct node_config nc;
	ssm_config(&nc);
	char *keys[] = {"ssh-rsa AAAAB3Nza default@example", NULL};
	struct cloudconfig_opts o = {
	    .os = CLOUDCONFIG_OS_UBUNTU, .proxy = "https://proxy:3129", .ssh_keys = keys};
	char *ud = NULL;
	ck_assert_int_eq(cloudconfig_render_userdata(&nc, &o, &ud), 0);
	ck_assert_int_eq(schema_status(ud), 0);
	struct ud_yaml y;
	ck_assert_int_eq(ud_yaml_load(&y, ud), 0);
	/* No user: the keys go to the default user. */
	ck_assert_ptr_null(ud_yaml_node(&y, "users"));
	ck_assert_str_eq(ud_yaml_str(&y, "ssh_authorized_keys.0"), keys[0]);
	ck_assert_str_eq(
	    ud_yaml_str(&y, "write_files.5.path"),
	    "/etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service.d/http-proxy.conf");
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.6.path"), "/etc/apt/apt.conf.d/proxy.conf");
	ck_assert_ptr_nonnull(strstr(
	    ud_yaml_str(&y, "write_files.6.content"),
	    "Acquire::http::Proxy \"https://proxy:3129\";\nAcquire::https::Proxy \"https://proxy:3129\";\n"));
	ck_assert_ptr_nonnull(
	    strstr(ud_yaml_str(&y, "runcmd.2.3"), "NO_PROXY=" CLOUDCONFIG_DEFAULT_NO_PROXY));
	ud_yaml_free(&y);
	free(ud);
	node_config_free(&nc);
}
END_TEST

START_TEST(guestinfo_round_trip_to_nodeconfig)
{
	struct node_config nc;
	ssm_config(&nc);
	strv_push(&nc.kubelet_flags, "--node-labels=a=b");
	struct cloudconfig_opts o = {.os = CLOUDCONFIG_OS_UBUNTU};
	char *ud = NULL, *enc = NULL, *dec = NULL;
	ck_assert_int_eq(cloudconfig_render_userdata(&nc, &o, &ud), 0);
	ck_assert_int_eq(guestinfo_encode(ud, strlen(ud), GUESTINFO_GZIP_BASE64, &enc), 0);
	/* The secret is not visible in the encoded value. */
	ck_assert_ptr_null(strstr(enc, CODE));
	size_t n = 0;
	ck_assert_int_eq(guestinfo_decode(enc, GUESTINFO_GZIP_BASE64, &dec, &n), 0);
	ck_assert_uint_eq(n, strlen(ud));
	ck_assert_str_eq(dec, ud);

	struct ud_yaml y, inner;
	ck_assert_int_eq(ud_yaml_load(&y, dec), 0);
	const char *ncyaml = ud_yaml_str(&y, "write_files.0.content");
	ck_assert_ptr_nonnull(ncyaml);
	ck_assert_int_eq(ud_yaml_load(&inner, ncyaml), 0);
	ck_assert_str_eq(ud_yaml_str(&inner, "kind"), "NodeConfig");
	ck_assert_str_eq(ud_yaml_str(&inner, "spec.cluster.name"), nc.cluster_name);
	ck_assert_str_eq(ud_yaml_str(&inner, "spec.cluster.region"), nc.region);
	ck_assert_str_eq(ud_yaml_str(&inner, "spec.hybrid.ssm.activationCode"), CODE);
	ck_assert_str_eq(ud_yaml_str(&inner, "spec.hybrid.ssm.activationId"), ACT_ID);
	ck_assert_str_eq(ud_yaml_str(&inner, "spec.kubelet.flags.0"), "--node-labels=a=b");
	ud_yaml_free(&inner);
	ud_yaml_free(&y);

	/* The same for the metadata. */
	struct node_entry e = {.name = "node-7"};
	char *md = NULL, *menc = NULL, *mdec = NULL;
	ck_assert_int_eq(cloudconfig_render_metadata(&e, CLOUDCONFIG_OS_UBUNTU, &md), 0);
	ck_assert_int_eq(guestinfo_encode(md, strlen(md), GUESTINFO_GZIP_BASE64, &menc), 0);
	ck_assert_int_eq(guestinfo_decode(menc, GUESTINFO_GZIP_BASE64, &mdec, NULL), 0);
	ck_assert_int_eq(ud_yaml_load(&y, mdec), 0);
	ck_assert_str_eq(ud_yaml_str(&y, "instance-id"), "node-7");
	ck_assert_str_eq(ud_yaml_str(&y, "local-hostname"), "node-7");
	ck_assert_str_eq(ud_yaml_str(&y, "network.version"), "2");
	ud_yaml_free(&y);
	free(md);
	free(menc);
	free(mdec);
	free(ud);
	free(enc);
	free(dec);
	node_config_free(&nc);
}
END_TEST

START_TEST(metadata_dhcp_and_static_goldens)
{
	struct node_entry dhcp = {.name = "node-a"};
	char *md = NULL, *net = NULL;
	ck_assert_int_eq(cloudconfig_render_metadata(&dhcp, CLOUDCONFIG_OS_UBUNTU, &md), 0);
	ud_check_golden("tests/golden/userdata-meta-data-dhcp.yaml", md);
	struct ud_yaml y;
	ck_assert_int_eq(ud_yaml_load(&y, md), 0);
	ck_assert_str_eq(ud_yaml_str(&y, "network.ethernets.primary.dhcp4"), "true");
	ck_assert_str_eq(ud_yaml_str(&y, "network.ethernets.primary.match.name"), "e*");
	ud_yaml_free(&y);
	free(md);

	struct node_entry st = {.name = "node-b", .address = "10.20.0.11/24", .gateway = "10.20.0.1"};
	strv_push(&st.dns, "10.20.0.2");
	strv_push(&st.dns, "10.20.0.3");
	ck_assert_int_eq(cloudconfig_render_metadata(&st, CLOUDCONFIG_OS_UBUNTU, &md), 0);
	ud_check_golden("tests/golden/userdata-meta-data-static.yaml", md);
	ck_assert_int_eq(cloudconfig_render_network(&st, CLOUDCONFIG_OS_UBUNTU, &net), 0);
	ud_check_golden("tests/golden/userdata-network-config-static.yaml", net);
	ck_assert_int_eq(ud_yaml_load(&y, net), 0);
	ck_assert_str_eq(ud_yaml_str(&y, "version"), "2");
	ck_assert_str_eq(ud_yaml_str(&y, "ethernets.primary.dhcp4"), "false");
	ck_assert_str_eq(ud_yaml_str(&y, "ethernets.primary.addresses.0"), "10.20.0.11/24");
	ck_assert_str_eq(ud_yaml_str(&y, "ethernets.primary.routes.0.to"), "0.0.0.0/0");
	ck_assert_str_eq(ud_yaml_str(&y, "ethernets.primary.routes.0.via"), "10.20.0.1");
	ck_assert_str_eq(ud_yaml_str(&y, "ethernets.primary.nameservers.addresses.1"), "10.20.0.3");
	ud_yaml_free(&y);
	free(md);
	free(net);
	strv_free(st.dns);

	struct node_entry v6 = {.name = "node-c", .address = "fd00::11/64", .gateway = "fd00::1"};
	ck_assert_int_eq(cloudconfig_render_network(&v6, CLOUDCONFIG_OS_UBUNTU, &net), 0);
	ck_assert_int_eq(ud_yaml_load(&y, net), 0);
	ck_assert_str_eq(ud_yaml_str(&y, "ethernets.primary.routes.0.to"), "::/0");
	ud_yaml_free(&y);
	free(net);
}
END_TEST

/* Convert network-config with cloud-init's own renderers; returns the
 * concatenated output files (caller frees) or NULL on failure. */
static char *net_convert(const char *netcfg, const char *distro, const char *renderer)
{
	char *in = ud_tmpfile(netcfg, ".yaml"), *dir = NULL, *cmd = NULL, *all = NULL;
	ck_assert(asprintf(&dir, "%s.d", in) > 0);
	ck_assert(asprintf(&cmd,
			   "cloud-init devel net-convert -p %s -k yaml -d %s -D %s -O %s >/dev/null 2>&1 && "
			   "find %s -type f ! -path '*udev*' -exec cat {} + > %s.all",
			   in, dir, distro, renderer, dir, in) > 0);
	if (ud_run(cmd) == 0) {
		char *p = NULL;
		size_t len;
		ck_assert(asprintf(&p, "%s.all", in) > 0);
		ck_assert_int_eq(read_file(p, &all, &len), 0);
		unlink(p);
		free(p);
	}
	rm_rf(dir);
	unlink(in);
	free(in);
	free(dir);
	free(cmd);
	return all;
}

START_TEST(network_renders_on_ubuntu_and_rhel)
{
	struct node_entry st = {.name = "node-b", .address = "10.20.0.11/24", .gateway = "10.20.0.1"};
	strv_push(&st.dns, "10.20.0.2");
	char *net = NULL, *md = NULL, *out = NULL;

	/* Ubuntu: netplan keeps the e* glob. */
	ck_assert_int_eq(cloudconfig_render_network(&st, CLOUDCONFIG_OS_UBUNTU, &net), 0);
	out = net_convert(net, "ubuntu", "netplan");
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(strstr(out, "name: e*"));
	ck_assert_ptr_nonnull(strstr(out, "- 10.20.0.11/24"));
	free(out);
	free(net);

	/* RHEL: an exact name, or sysconfig/NetworkManager bind to nothing. */
	ck_assert_int_eq(cloudconfig_render_network(&st, CLOUDCONFIG_OS_RHEL, &net), 0);
	ud_check_golden("tests/golden/userdata-network-config-static-rhel.yaml", net);
	out = net_convert(net, "rhel", "sysconfig");
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(strstr(out, "DEVICE=" CLOUDCONFIG_RHEL_DEFAULT_NIC "\n"));
	ck_assert_ptr_nonnull(strstr(out, "IPADDR=10.20.0.11\n"));
	ck_assert_ptr_nonnull(strstr(out, "GATEWAY=10.20.0.1\n"));
	ck_assert_ptr_nonnull(strstr(out, "DNS1=10.20.0.2\n"));
	free(out);
	out = net_convert(net, "rhel", "network-manager");
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(strstr(out, "interface-name=" CLOUDCONFIG_RHEL_DEFAULT_NIC "\n"));
	ck_assert_ptr_nonnull(strstr(out, "address1=10.20.0.11/24\n"));
	free(out);
	free(net);

	st.interface = "enp1s0";
	ck_assert_int_eq(cloudconfig_render_network(&st, CLOUDCONFIG_OS_RHEL, &net), 0);
	out = net_convert(net, "rhel", "sysconfig");
	ck_assert_ptr_nonnull(strstr(out, "DEVICE=enp1s0\n"));
	free(out);
	free(net);
	strv_free(st.dns);

	/* RHEL DHCP without an interface: no network at all, cloud-init's fallback. */
	struct node_entry dhcp = {.name = "node-d"};
	ck_assert_int_eq(cloudconfig_render_network(&dhcp, CLOUDCONFIG_OS_RHEL, &net), 0);
	ck_assert_ptr_null(net);
	ck_assert_int_eq(cloudconfig_render_metadata(&dhcp, CLOUDCONFIG_OS_RHEL, &md), 0);
	ck_assert_str_eq(md, "instance-id: node-d\nlocal-hostname: node-d\n");
	free(md);
}
END_TEST

/* The NodeConfig our user-data installs, fed to the fixture nodeadm (which
 * checks it as nodeadm init does) under a temporary root. */
static void fake_nodeadm_init(const char *userdata, const char *want_record)
{
	struct ud_yaml y;
	ck_assert_int_eq(ud_yaml_load(&y, userdata), 0);
	const char *ncyaml = ud_yaml_str(&y, "write_files.0.content");
	ck_assert_str_eq(ud_yaml_str(&y, "write_files.0.path"), CLOUDCONFIG_NODECONFIG_PATH);
	char root[] = "/tmp/hnbuild-root-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(root));
	char *dir = NULL, *file = NULL, *tracker = NULL, *cmd = NULL, *rec = NULL;
	ck_assert(asprintf(&dir, "%s/etc/eks/nodeadm", root) > 0);
	ck_assert(asprintf(&file, "%s%s", root, CLOUDCONFIG_NODECONFIG_PATH) > 0);
	ck_assert(asprintf(&tracker, "%s/opt/nodeadm/tracker", root) > 0);
	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
	ck_assert_int_eq(write_file_atomic(file, ncyaml, strlen(ncyaml), 0600), 0);
	free(dir);
	ck_assert(asprintf(&dir, "%s/opt/nodeadm", root) > 0);
	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
	ck_assert_int_eq(write_file_atomic(tracker, "ts=0 command=install\n", 21, 0644), 0);
	ck_assert(
	    asprintf(&cmd,
		     "FAKE_NODEADM_ROOT=%s sh tests/fixtures/nodeadm/nodeadm init -c file://%s 2>/dev/null",
		     root, CLOUDCONFIG_NODECONFIG_PATH) > 0);
	ck_assert_int_eq(ud_run(cmd), 0);
	size_t len;
	ck_assert_int_eq(read_file(tracker, &rec, &len), 0);
	ck_assert_msg(strstr(rec, want_record), "tracker: %s", rec);
	free(rec);
	rm_rf(root);
	free(dir);
	free(file);
	free(tracker);
	free(cmd);
	ud_yaml_free(&y);
}

START_TEST(fixture_nodeadm_accepts_the_nodeconfig)
{
	if (access("tests/fixtures/nodeadm/nodeadm", R_OK) != 0)
		return; /* the fixture is not in this checkout */
	struct node_config nc;
	ssm_config(&nc);
	struct cloudconfig_opts o = {.os = CLOUDCONFIG_OS_UBUNTU};
	char *ud = NULL;
	ck_assert_int_eq(cloudconfig_render_userdata(&nc, &o, &ud), 0);
	fake_nodeadm_init(ud, "command=init cluster=my-cluster region=us-west-2 credential=ssm "
			      "config=" CLOUDCONFIG_NODECONFIG_PATH);
	free(ud);
	node_config_free(&nc);
	iam_config(&nc);
	ck_assert_int_eq(cloudconfig_render_userdata(&nc, &o, &ud), 0);
	fake_nodeadm_init(ud, "command=init cluster=my-cluster region=eu-central-1 credential=iam-ra");
	free(ud);
	node_config_free(&nc);
}
END_TEST

START_TEST(proxy_and_user_checks)
{
	ck_assert(cloudconfig_proxy_ok("http://proxy:3128"));
	ck_assert(cloudconfig_proxy_ok("https://u:p%40@proxy.example.com:8443/"));
	ck_assert(!cloudconfig_proxy_ok("ftp://proxy"));
	ck_assert(!cloudconfig_proxy_ok("http://"));
	ck_assert(!cloudconfig_proxy_ok("http://proxy:3128\"; evil"));
	ck_assert(!cloudconfig_proxy_ok("http://pro xy"));
	ck_assert(!cloudconfig_proxy_ok("http://proxy\n"));
	/* issue 20.1: the URL's shape, not only its prefix */
	ck_assert(cloudconfig_proxy_ok("http://[fd00::1]:3128"));
	ck_assert(!cloudconfig_proxy_ok("http://p:3128/path"));
	ck_assert(!cloudconfig_proxy_ok("http://p:65536"));
	ck_assert(!cloudconfig_proxy_ok("http://p#x"));
	ck_assert(!cloudconfig_proxy_ok("http://%zz@p"));
	ck_assert(!cloudconfig_proxy_ok("http://u@@p"));
	ck_assert(cloudconfig_no_proxy_ok("localhost,127.0.0.1,10.0.0.0/8,.svc,*.example.com,[::1]"));
	ck_assert(!cloudconfig_no_proxy_ok(""));
	ck_assert(!cloudconfig_no_proxy_ok("a,,b"));
	ck_assert(!cloudconfig_no_proxy_ok("a\nExecStart=/bin/x"));
	ck_assert(!cloudconfig_no_proxy_ok("a b"));
	ck_assert(cloudconfig_user_ok("ops"));
	ck_assert(cloudconfig_user_ok("eks_admin-2"));
	ck_assert(!cloudconfig_user_ok("root"));
	ck_assert(!cloudconfig_user_ok("Ops"));
	ck_assert(!cloudconfig_user_ok("1ops"));
	ck_assert(!cloudconfig_user_ok(""));
}
END_TEST

START_TEST(nodelist_csv)
{
	char *path = ud_tmpfile(
	    "# rack 1\nname,address,gateway,dns\n\nnode-a, 10.0.0.11/24 ,10.0.0.1,10.0.0.2;10.0.0.3\n"
	    "node-b\nnode-c,,,,ens224\n",
	    ".csv");
	struct node_list l = {0};
	char **p = NULL;
	ck_assert_int_eq(nodelist_load(path, &l, &p), 0);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.items[0].name, "node-a");
	ck_assert_str_eq(l.items[0].address, "10.0.0.11/24");
	ck_assert_str_eq(l.items[0].gateway, "10.0.0.1");
	ck_assert_uint_eq(strv_len(l.items[0].dns), 2);
	ck_assert_str_eq(l.items[0].dns[1], "10.0.0.3");
	ck_assert_ptr_null(l.items[1].address);
	ck_assert_ptr_null(l.items[2].gateway);
	ck_assert_str_eq(l.items[2].interface, "ens224");
	ck_assert(strstr(l.items[1].origin, ":5"));
	ck_assert_int_eq(nodelist_validate(&l, &p), 0);
	nodelist_free(&l);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(nodelist_yaml_both_shapes)
{
	char *path = ud_tmpfile("nodes:\n  - name: node-a\n    address: 10.0.0.11/24\n    gateway: 10.0.0.1\n"
				"    dns: [10.0.0.2, 10.0.0.3]\n    interface: ens*\n  - node-b\n  - name: "
				"node-c\n    dns: 1.1.1.1\n",
				".yaml");
	struct node_list l = {0};
	char **p = NULL;
	ck_assert_int_eq(nodelist_load(path, &l, &p), 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.items[0].dns[1], "10.0.0.3");
	ck_assert_str_eq(l.items[0].interface, "ens*");
	ck_assert_str_eq(l.items[1].name, "node-b");
	/* dns without an address is refused (DHCP nodes get DNS from DHCP). */
	ck_assert_int_eq(nodelist_validate(&l, &p), -EINVAL);
	ck_assert(ud_has_problem(p, ":8:5: gateway and dns need a static address"));
	strv_free(p);
	p = NULL;
	nodelist_free(&l);
	unlink(path);
	free(path);

	path = ud_tmpfile("- name: n1\n- name: n2\n  address: 192.168.1.5/24\n", ".yml");
	ck_assert_int_eq(nodelist_load(path, &l, &p), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(nodelist_validate(&l, &p), 0);
	nodelist_free(&l);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(nodelist_errors_name_the_place)
{
	struct node_list l = {0};
	char **p = NULL;
	char *path = ud_tmpfile("- name: n1\n  adress: 10.0.0.1/24\n- [a, b]\n", ".yaml");
	ck_assert_int_eq(nodelist_load(path, &l, &p), -EINVAL);
	ck_assert(ud_has_problem(p, ":2:3: unknown key 'adress'"));
	ck_assert(ud_has_problem(p, ":3:3: a node must be a mapping"));
	strv_free(p);
	p = NULL;
	nodelist_free(&l);
	unlink(path);
	free(path);

	path = ud_tmpfile("nodes: [\n", ".yaml");
	ck_assert_int_eq(nodelist_load(path, &l, &p), -EINVAL);
	ck_assert_uint_eq(strv_len(p), 1);
	ck_assert(strstr(p[0], path) && strstr(p[0], ":2:"));
	strv_free(p);
	p = NULL;
	nodelist_free(&l);
	unlink(path);
	free(path);

	ck_assert_int_eq(nodelist_load("/nonexistent/nodes.csv", &l, &p), -ENOENT);
	ck_assert(ud_has_problem(p, "/nonexistent/nodes.csv: cannot read"));
	strv_free(p);
	p = NULL;

	path = ud_tmpfile("a,10.0.0.1/24,10.0.0.254\nB_bad\na\nc,10.0.0.3\nd,10.0.0.4/"
			  "24,fd00::1\ne,,,8.8.8.8\nf,1,2,3,4,5\n"
			  "g,,,,eth0;rm\n",
			  ".csv");
	ck_assert_int_eq(nodelist_load(path, &l, &p), -EINVAL);
	ck_assert(ud_has_problem(p, ":7: expected at most 5 columns"));
	strv_free(p);
	p = NULL;
	ck_assert_int_eq(nodelist_validate(&l, &p), -EINVAL);
	ck_assert(ud_has_problem(p, ":2: node name 'B_bad'"));
	ck_assert(ud_has_problem(p, ":3: node name 'a' is given twice"));
	ck_assert(ud_has_problem(p, ":4: address '10.0.0.3' must be an address with a prefix length"));
	ck_assert(ud_has_problem(p, ":5: gateway 'fd00::1' is not in the address family"));
	ck_assert(ud_has_problem(p, ":6: gateway and dns need a static address"));
	ck_assert(ud_has_problem(p, ":8: interface 'eth0;rm' is not a network interface name"));
	strv_free(p);
	nodelist_free(&l);
	unlink(path);
	free(path);
	err_clear();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cloudconfig");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, schema_check_can_fail);
	tcase_add_test(tc, userdata_ssm_golden_schema_and_structure);
	tcase_add_test(tc, userdata_iam_ra_proxy_rhel);
	tcase_add_test(tc, userdata_ssm_proxy_ubuntu_paths);
	tcase_add_test(tc, guestinfo_round_trip_to_nodeconfig);
	tcase_add_test(tc, metadata_dhcp_and_static_goldens);
	tcase_add_test(tc, network_renders_on_ubuntu_and_rhel);
	tcase_add_test(tc, fixture_nodeadm_accepts_the_nodeconfig);
	tcase_add_test(tc, proxy_and_user_checks);
	tcase_add_test(tc, nodelist_csv);
	tcase_add_test(tc, nodelist_yaml_both_shapes);
	tcase_add_test(tc, nodelist_errors_name_the_place);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
