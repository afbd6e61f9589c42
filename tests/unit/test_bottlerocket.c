/* test_bottlerocket.c — Bottlerocket settings TOML: goldens, parsed by a
 * real TOML reader (Python's tomllib), bootstrap/admin container user-data
 * decoded and checked, and the Bottlerocket-specific requirements. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bottlerocket.h"
#include "err.h"
#include "guestinfo.h"
#include "strbuf.h"
#include "userdata_test.h"
#include "unit_run.h"

#define CODE "AbCdEfGhIjKlMnOpQrSt01'23"
#define ACT_ID "0123abcd-4567-89ab-cdef-0123456789ab"
#define FAKE_CERT "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
#define FAKE_KEY "-----BEGIN PRIVATE KEY-----\nMIGHfake\n-----END PRIVATE KEY-----\n"
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="

static void base_config(struct node_config *nc)
{
	memset(nc, 0, sizeof(*nc));
	nc->cluster_name = xstrdup("my-cluster");
	nc->region = xstrdup("us-west-2");
	nc->api_server_endpoint = xstrdup("https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com");
	nc->certificate_authority = xstrdup(CA_B64);
	nc->cidr = xstrdup("172.16.0.0/16");
}

/* Ask Python's tomllib for several values at once (Python expressions over
 * the document d). results[i] is the value (caller frees), all NULL when the
 * document does not parse. One interpreter per document keeps this fast. */
static void toml_eval(const char *toml, const char *const *exprs, size_t n, char **results)
{
	char *path = ud_tmpfile(toml, ".toml");
	struct strbuf list = STRBUF_INIT;
	sb_init(&list);
	for (size_t i = 0; i < n; i++)
		sb_addf(&list, "%s\n", exprs[i]);
	char *ex = ud_tmpfile(list.buf, ".txt");
	sb_release(&list);
	char *out = NULL, *cmd = NULL, *data = NULL;
	ck_assert(asprintf(&out, "%s.out", path) > 0);
	ck_assert(asprintf(&cmd,
			   "python3 -c 'import sys,tomllib; d=tomllib.load(open(sys.argv[1],\"rb\"))\n"
			   "for e in open(sys.argv[2]).read().splitlines(): "
			   "sys.stdout.write(str(eval(e, {\"d\": d})) + \"\\0\")' %s %s > %s 2>/dev/null",
			   path, ex, out) > 0);
	for (size_t i = 0; i < n; i++)
		results[i] = NULL;
	size_t len = 0;
	if (ud_run(cmd) == 0 && read_file(out, &data, &len) == 0) {
		const char *p = data;
		for (size_t i = 0; i < n && p < data + len; i++) {
			results[i] = xstrdup(p);
			p += strlen(p) + 1;
		}
	}
	free(data);
	unlink(out);
	unlink(ex);
	unlink(path);
	free(out);
	free(cmd);
	free(ex);
	free(path);
}

static char *toml_get(const char *toml, const char *expr)
{
	char *r = NULL;
	toml_eval(toml, &expr, 1, &r);
	return r;
}

struct toml_expect {
	const char *expr;
	const char *want;
};

static void expect_toml_all(const char *toml, const struct toml_expect *e, size_t n)
{
	const char *exprs[64];
	char *got[64];
	ck_assert_uint_le(n, 64);
	for (size_t i = 0; i < n; i++)
		exprs[i] = e[i].expr;
	toml_eval(toml, exprs, n, got);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(got[i], "TOML did not parse or %s failed", e[i].expr);
		ck_assert_msg(strcmp(got[i], e[i].want) == 0, "%s: got '%s', want '%s'", e[i].expr, got[i],
			      e[i].want);
	}
	for (size_t i = 0; i < n; i++)
		free(got[i]);
}

static char *b64_decode(const char *s)
{
	char *out = NULL;
	ck_assert_int_eq(guestinfo_decode(s, GUESTINFO_BASE64, &out, NULL), 0);
	return out;
}

START_TEST(toml_check_can_fail)
{
	char *v = toml_get("a = \"unterminated\n", "d['a']");
	ck_assert_ptr_null(v);
	v = toml_get("a = \"x\"\n", "d['a']");
	ck_assert_str_eq(v, "x");
	free(v);
}
END_TEST

START_TEST(ssm_golden_and_contents)
{
	struct node_config nc;
	base_config(&nc);
	nc.ssm_activation_code = xstrdup(CODE);
	nc.ssm_activation_id = xstrdup(ACT_ID);
	char *keys[] = {"ssh-ed25519 AAAAC3Nza admin@example", NULL};
	struct bottlerocket_opts o = {.hostname = "node-a", .ssh_keys = keys};
	char **p = NULL;
	ck_assert_int_eq(bottlerocket_validate(&nc, &o, &p), 0);
	char *toml = NULL;
	ck_assert_int_eq(bottlerocket_render(&nc, &o, &toml), 0);
	ud_check_golden("tests/golden/userdata-bottlerocket-ssm.toml", toml);
	/* The activation code is not readable in the settings (base64 inside). */
	ck_assert_ptr_null(strstr(toml, CODE));

	const struct toml_expect e1[] = {
	    {"d['settings']['kubernetes']['cluster-name']", "my-cluster"},
	    {"d['settings']['kubernetes']['api-server']", nc.api_server_endpoint},
	    {"d['settings']['kubernetes']['cluster-certificate']", CA_B64},
	    {"d['settings']['kubernetes']['cluster-dns-ip']", "172.16.0.10"},
	    {"d['settings']['kubernetes']['provider-id']", "eks-hybrid:///us-west-2/my-cluster/node-a"},
	    {"d['settings']['kubernetes']['hostname-override']", "node-a"},
	    {"d['settings']['network']['hostname']", "node-a"},
	    {"d['settings']['aws']['region']", "us-west-2"},
	    {"'config' in d['settings']['aws']", "False"},
	    {"d['settings']['kubernetes']['node-labels']['eks.amazonaws.com/hybrid-credential-provider']",
	     "ssm"},
	    {"d['settings']['host-containers']['control']['enabled']", "True"},
	    {"d['settings']['bootstrap-containers']['eks-hybrid-setup']['mode']", "always"},
	};
	expect_toml_all(toml, e1, sizeof(e1) / sizeof(e1[0]));

	char *boot = toml_get(toml, "d['settings']['bootstrap-containers']['eks-hybrid-setup']['user-data']");
	char *cmd = b64_decode(boot);
	/* Shell-quoted (the code holds a quote), ready for the bootstrap container. */
	ck_assert_str_eq(cmd, "eks-hybrid-ssm-setup --activation-id='" ACT_ID "' "
			      "--activation-code='AbCdEfGhIjKlMnOpQrSt01'\\''23' --region='us-west-2'");
	free(boot);
	free(cmd);
	char *admin = toml_get(toml, "d['settings']['host-containers']['admin']['user-data']");
	char *json = b64_decode(admin);
	ck_assert_str_eq(json, "{\"user\":\"ec2-user\",\"ssh\":{\"authorized-keys\":[\"ssh-ed25519 AAAAC3Nza "
			       "admin@example\"]}}");
	free(admin);
	free(json);
	free(toml);
	node_config_free(&nc);
}
END_TEST

START_TEST(iam_ra_golden_and_contents)
{
	struct node_config nc;
	base_config(&nc);
	free(nc.cidr);
	nc.cidr = NULL;
	nc.trust_anchor_arn = xstrdup("arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/"
				      "0123abcd-4567-89ab-cdef-0123456789ab");
	nc.profile_arn = xstrdup("arn:aws:rolesanywhere:us-west-2:123456789012:profile/"
				 "11111111-2222-3333-4444-555555555555");
	nc.role_arn = xstrdup("arn:aws:iam::123456789012:role/EksHybridNodes");
	nc.node_name = xstrdup("node-b");
	nc.enable_credentials_file = true;
	struct bottlerocket_opts o = {
	    .hostname = "node-b",
	    .iam_ra_cert_pem = FAKE_CERT,
	    .iam_ra_key_pem = FAKE_KEY,
	    .proxy = "http://proxy.corp:3128",
	    .no_proxy = "localhost,10.0.0.0/8",
	};
	char **p = NULL;
	ck_assert_int_eq(bottlerocket_validate(&nc, &o, &p), 0);
	char *toml = NULL;
	ck_assert_int_eq(bottlerocket_render(&nc, &o, &toml), 0);
	ud_check_golden("tests/golden/userdata-bottlerocket-iam-ra.toml", toml);
	ck_assert_ptr_null(strstr(toml, "PRIVATE KEY"));

	const struct toml_expect e2[] = {
	    {"d['settings']['kubernetes']['node-labels']['eks.amazonaws.com/hybrid-credential-provider']",
	     "iam-ra"},
	    {"'control' in d['settings'].get('host-containers', {})", "False"},
	    {"'admin' in d['settings'].get('host-containers', {})", "False"},
	    {"'cluster-dns-ip' in d['settings']['kubernetes']", "False"},
	    {"d['settings']['network']['https-proxy']", "http://proxy.corp:3128"},
	    {"d['settings']['network']['no-proxy'][1]", "10.0.0.0/8"},
	};
	expect_toml_all(toml, e2, sizeof(e2) / sizeof(e2[0]));

	char *cfg64 = toml_get(toml, "d['settings']['aws']['config']");
	char *cfg = b64_decode(cfg64);
	ck_assert_str_eq(
	    cfg,
	    "[default]\nregion = us-west-2\ncredential_process = aws_signing_helper credential-process "
	    "--certificate /root/.aws/node.crt --private-key /root/.aws/node.key --profile-arn "
	    "arn:aws:rolesanywhere:us-west-2:123456789012:profile/11111111-2222-3333-4444-555555555555 "
	    "--role-arn arn:aws:iam::123456789012:role/EksHybridNodes --trust-anchor-arn "
	    "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/0123abcd-4567-89ab-cdef-0123456789ab "
	    "--role-session-name node-b\n");
	free(cfg64);
	free(cfg);
	char *boot = toml_get(toml, "d['settings']['bootstrap-containers']['eks-hybrid-setup']['user-data']");
	char *cmd = b64_decode(boot);
	ck_assert_str_eq(cmd, "eks-hybrid-iam-ra-setup --certificate='" FAKE_CERT "' --key='" FAKE_KEY
			      "' --enable-credentials-file=true");
	free(boot);
	free(cmd);
	free(toml);
	node_config_free(&nc);
}
END_TEST

START_TEST(hostile_values_are_escaped)
{
	struct node_config nc;
	base_config(&nc);
	str_set(&nc.api_server_endpoint, "https://x\"\n[settings.evil]\\");
	nc.ssm_activation_code = xstrdup(CODE);
	nc.ssm_activation_id = xstrdup(ACT_ID);
	struct bottlerocket_opts o = {.hostname = "node-a"};
	char *toml = NULL;
	ck_assert_int_eq(bottlerocket_render(&nc, &o, &toml), 0);
	const struct toml_expect e3[] = {
	    {"d['settings']['kubernetes']['api-server']", "https://x\"\n[settings.evil]\\"},
	    {"'evil' in d['settings']", "False"},
	};
	expect_toml_all(toml, e3, sizeof(e3) / sizeof(e3[0]));
	free(toml);
	node_config_free(&nc);
}
END_TEST

START_TEST(requirements)
{
	struct node_config nc = {0};
	nc.cluster_name = xstrdup("c");
	nc.region = xstrdup("us-east-1");
	nc.role_arn = xstrdup("arn:aws:iam::123456789012:role/R");
	strv_push(&nc.kubelet_flags, "--max-pods=10");
	nc.containerd_config = xstrdup("version = 2\n");
	struct bottlerocket_opts o = {.hostname = "n"};
	char **p = NULL;
	ck_assert_int_eq(bottlerocket_validate(&nc, &o, &p), -EINVAL);
	ck_assert_uint_eq(strv_len(p), 6);
	ck_assert(ud_has_problem(p, "spec.cluster.apiServerEndpoint: is required for Bottlerocket"));
	ck_assert(ud_has_problem(p, "spec.cluster.certificateAuthority: is required for Bottlerocket"));
	ck_assert(ud_has_problem(p, "certificatePath: Bottlerocket needs the certificate"));
	ck_assert(ud_has_problem(p, "privateKeyPath: Bottlerocket needs the private key"));
	ck_assert(ud_has_problem(p, "spec.kubelet.flags: Bottlerocket takes no kubelet flags"));
	ck_assert(ud_has_problem(p, "spec.containerd.config"));
	strv_free(p);
	node_config_free(&nc);

	char *ip = bottlerocket_cluster_dns_ip("10.100.0.0/16");
	ck_assert_str_eq(ip, "10.100.0.10");
	free(ip);
	ck_assert_ptr_null(bottlerocket_cluster_dns_ip("fd00::/108"));
	ck_assert_ptr_null(bottlerocket_cluster_dns_ip(NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bottlerocket");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, toml_check_can_fail);
	tcase_add_test(tc, ssm_golden_and_contents);
	tcase_add_test(tc, iam_ra_golden_and_contents);
	tcase_add_test(tc, hostile_values_are_escaped);
	tcase_add_test(tc, requirements);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
