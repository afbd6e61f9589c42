/* test_nodeconfig.c — every NodeConfig validation rule with a failing and a
 * passing case, and the rendered NodeConfig against golden files. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "nodeconfig.h"
#include "userdata_test.h"
#include "unit_run.h"

#define CODE "AbCdEfGhIjKlMnOpQrSt0123"
#define ACT_ID "0123abcd-4567-89ab-cdef-0123456789ab"
#define TA_ARN                                                                                               \
	"arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/0123abcd-4567-89ab-cdef-0123456789ab"
#define PROFILE_ARN                                                                                          \
	"arn:aws:rolesanywhere:us-west-2:123456789012:profile/11111111-2222-3333-4444-555555555555"
#define ROLE_ARN "arn:aws:iam::123456789012:role/EksHybridNodes"

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
	nc->region = xstrdup("us-west-2");
	nc->node_name = xstrdup("node-1");
	nc->trust_anchor_arn = xstrdup(TA_ARN);
	nc->profile_arn = xstrdup(PROFILE_ARN);
	nc->role_arn = xstrdup(ROLE_ARN);
}

/* Validate; returns the problems joined (caller frees) and checks the result code agrees. */
static char *problems_of(const struct node_config *nc)
{
	char **p = NULL;
	int r = nodeconfig_validate(nc, &p);
	ck_assert_int_eq(r, p ? -EINVAL : 0);
	char *s = ud_strv_join(p);
	strv_free(p);
	return s;
}

static void expect_valid(const struct node_config *nc)
{
	char *s = problems_of(nc);
	ck_assert_msg(*s == '\0', "expected valid, got: %s", s);
	free(s);
}

static void expect_problem(const struct node_config *nc, const char *needle)
{
	char *s = problems_of(nc);
	ck_assert_msg(strstr(s, needle), "expected a problem containing '%s', got: '%s'", needle, s);
	free(s);
}

START_TEST(valid_ssm_and_iam_ra)
{
	struct node_config nc;
	ssm_config(&nc);
	expect_valid(&nc);
	ck_assert_int_eq(nodeconfig_credential(&nc), NODECONFIG_CRED_SSM);
	node_config_free(&nc);
	iam_config(&nc);
	expect_valid(&nc);
	ck_assert_int_eq(nodeconfig_credential(&nc), NODECONFIG_CRED_IAM_RA);
	node_config_free(&nc);
}
END_TEST

START_TEST(cluster_name_rules)
{
	struct node_config nc;
	ssm_config(&nc);
	str_set(&nc.cluster_name, NULL);
	expect_problem(&nc, "spec.cluster.name: is required");
	str_set(&nc.cluster_name, "");
	expect_problem(&nc, "spec.cluster.name: is required");
	str_set(&nc.cluster_name, "bad name");
	expect_problem(&nc, "spec.cluster.name: 'bad name'");
	str_set(&nc.cluster_name, "-leading-dash");
	expect_problem(&nc, "spec.cluster.name:");
	char long_name[102];
	memset(long_name, 'a', 101);
	long_name[101] = '\0';
	str_set(&nc.cluster_name, long_name);
	expect_problem(&nc, "spec.cluster.name:");
	long_name[100] = '\0';
	str_set(&nc.cluster_name, long_name);
	expect_valid(&nc);
	str_set(&nc.cluster_name, "Prod_Cluster-2");
	expect_valid(&nc);
	node_config_free(&nc);
}
END_TEST

START_TEST(region_rules)
{
	struct node_config nc;
	ssm_config(&nc);
	str_set(&nc.region, NULL);
	expect_problem(&nc, "spec.cluster.region: is required");
	const char *bad[] = {"uswest2", "us-west-2a", "US-WEST-2", "us-west-", "us--west-2", "1us-west-2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		str_set(&nc.region, bad[i]);
		expect_problem(&nc, "spec.cluster.region:");
		ck_assert(!nodeconfig_region_ok(bad[i]));
	}
	const char *good[] = {"us-west-2", "eu-central-1", "us-gov-west-1", "cn-north-1", "ap-southeast-4"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		str_set(&nc.region, good[i]);
		expect_valid(&nc);
	}
	node_config_free(&nc);
}
END_TEST

START_TEST(optional_cluster_fields)
{
	struct node_config nc;
	ssm_config(&nc);
	str_set(&nc.api_server_endpoint, "http://insecure.example");
	expect_problem(&nc, "spec.cluster.apiServerEndpoint:");
	str_set(&nc.api_server_endpoint, "https://ABC.gr7.us-west-2.eks.amazonaws.com");
	expect_valid(&nc);
	str_set(&nc.certificate_authority, "not base64!");
	expect_problem(&nc, "spec.cluster.certificateAuthority:");
	str_set(&nc.certificate_authority, "LS0tLS1CRUdJTg==");
	expect_valid(&nc);
	str_set(&nc.cidr, "172.16.0.0");
	expect_problem(&nc, "spec.cluster.cidr:");
	str_set(&nc.cidr, "172.16.0.0/33");
	expect_problem(&nc, "spec.cluster.cidr:");
	str_set(&nc.cidr, "172.16.0.0/16");
	expect_valid(&nc);
	str_set(&nc.cidr, "fd00::/108");
	expect_valid(&nc);
	node_config_free(&nc);
}
END_TEST

START_TEST(exactly_one_credential_kind)
{
	struct node_config nc = {0};
	nc.cluster_name = xstrdup("c");
	nc.region = xstrdup("us-east-1");
	ck_assert_int_eq(nodeconfig_credential(&nc), NODECONFIG_CRED_NONE);
	expect_problem(&nc, "spec.hybrid: one credential provider is required");
	nc.ssm_activation_code = xstrdup(CODE);
	nc.ssm_activation_id = xstrdup(ACT_ID);
	expect_valid(&nc);
	nc.role_arn = xstrdup(ROLE_ARN);
	ck_assert_int_eq(nodeconfig_credential(&nc), NODECONFIG_CRED_BOTH);
	expect_problem(&nc, "spec.hybrid: give only one credential provider");
	node_config_free(&nc);
}
END_TEST

START_TEST(activation_code_rules)
{
	struct node_config nc;
	ssm_config(&nc);
	str_set(&nc.ssm_activation_code, NULL);
	expect_problem(&nc, "spec.hybrid.ssm.activationCode: is required");
	char code[252];
	memset(code, 'x', sizeof(code) - 1);
	code[251] = '\0';
	str_set(&nc.ssm_activation_code, code); /* 251 */
	expect_problem(&nc, "must be 20-250 characters, got 251");
	code[250] = '\0';
	str_set(&nc.ssm_activation_code, code); /* 250 */
	expect_valid(&nc);
	code[20] = '\0';
	str_set(&nc.ssm_activation_code, code); /* 20 */
	expect_valid(&nc);
	code[19] = '\0';
	str_set(&nc.ssm_activation_code, code); /* 19 */
	expect_problem(&nc, "must be 20-250 characters, got 19");
	str_set(&nc.ssm_activation_code, "abcdefghij\nabcdefghij");
	expect_problem(&nc, "spec.hybrid.ssm.activationCode: must be a single line");
	/* The secret itself is never quoted in a problem. */
	str_set(&nc.ssm_activation_code, "SECRETSECRETSECRET");
	char *s = problems_of(&nc);
	ck_assert_ptr_null(strstr(s, "SECRETSECRETSECRET"));
	free(s);
	node_config_free(&nc);
}
END_TEST

START_TEST(activation_id_rules)
{
	struct node_config nc;
	ssm_config(&nc);
	str_set(&nc.ssm_activation_id, NULL);
	expect_problem(&nc, "spec.hybrid.ssm.activationId: is required");
	const char *bad[] = {
	    "0123ABCD-4567-89ab-cdef-0123456789ab", /* uppercase: nodeadm refuses */
	    "0123abcd-4567-89ab-cdef-0123456789a",  /* short */
	    "0123abcd045670089ab-cdef-0123456789ab", "0123abcd-4567-89ab-cdef-0123456789ag",
	    "{0123abcd-4567-89ab-cdef-0123456789a}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		str_set(&nc.ssm_activation_id, bad[i]);
		expect_problem(&nc, "spec.hybrid.ssm.activationId:");
		ck_assert(!nodeconfig_is_uuid(bad[i]));
	}
	str_set(&nc.ssm_activation_id, ACT_ID);
	expect_valid(&nc);
	node_config_free(&nc);
}
END_TEST

START_TEST(iam_ra_arn_rules)
{
	struct node_config nc;
	iam_config(&nc);
	str_set(&nc.trust_anchor_arn, NULL);
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.trustAnchorArn: is required");
	str_set(&nc.trust_anchor_arn, PROFILE_ARN); /* a profile where an anchor belongs */
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.trustAnchorArn:");
	str_set(&nc.trust_anchor_arn, TA_ARN);
	str_set(&nc.profile_arn, NULL);
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.profileArn: is required");
	str_set(&nc.profile_arn,
		"arn:aws:rolesanywhere:us-west-2:1234567890:profile/11111111-2222-3333-4444-555555555555");
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.profileArn:");
	str_set(&nc.profile_arn, PROFILE_ARN);
	str_set(&nc.role_arn, NULL);
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.roleArn: is required");
	str_set(&nc.role_arn, "arn:aws:iam:us-west-2:123456789012:role/X");
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.roleArn:");
	str_set(&nc.role_arn, "arn:aws:iam::123456789012:user/X");
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.roleArn:");
	str_set(&nc.role_arn, "arn:aws:iam::123456789012:role/path/To_Role+=,.@-1");
	expect_valid(&nc);

	ck_assert(nodeconfig_arn_ok("arn:aws-us-gov:iam::123456789012:role/R", "role"));
	ck_assert(nodeconfig_arn_ok("arn:aws-cn:rolesanywhere:cn-north-1:123456789012:profile/"
				    "11111111-2222-3333-4444-555555555555",
				    "profile"));
	ck_assert(!nodeconfig_arn_ok("arn:gcp:iam::123456789012:role/R", "role"));
	ck_assert(!nodeconfig_arn_ok("arn:aws:iam::123456789012:role/", "role"));
	ck_assert(!nodeconfig_arn_ok("arn:aws:iam::123456789012:role/bad name", "role"));
	ck_assert(!nodeconfig_arn_ok("arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/nope",
				     "trust-anchor"));
	ck_assert(!nodeconfig_arn_ok("arn:aws:rolesanywhere:us-west-2:123456789012", "profile"));
	node_config_free(&nc);
}
END_TEST

START_TEST(iam_ra_node_name_and_paths)
{
	struct node_config nc;
	iam_config(&nc);
	str_set(&nc.node_name, NULL);
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.nodeName: is required");
	char name[66];
	memset(name, 'n', 65);
	name[65] = '\0';
	str_set(&nc.node_name, name);
	expect_problem(&nc, "is longer than 64 characters");
	name[64] = '\0';
	str_set(&nc.node_name, name);
	expect_valid(&nc);
	str_set(&nc.node_name, "Node_1");
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.nodeName: 'Node_1' is not a valid node name");
	str_set(&nc.node_name, "node-1.");
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.nodeName:");
	str_set(&nc.node_name, "rack1.node-1");
	expect_valid(&nc);
	str_set(&nc.certificate_path, "relative/cert.pem");
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.certificatePath:");
	str_set(&nc.certificate_path, "/etc/pki/node.pem");
	str_set(&nc.private_key_path, "key.pem");
	expect_problem(&nc, "spec.hybrid.iamRolesAnywhere.privateKeyPath:");
	str_set(&nc.private_key_path, "/etc/pki/node.key");
	expect_valid(&nc);
	node_config_free(&nc);
}
END_TEST

START_TEST(kubelet_flag_rules)
{
	struct node_config nc;
	ssm_config(&nc);
	strv_push(&nc.kubelet_flags, "--node-labels=zone=a");
	expect_valid(&nc);
	strv_push(&nc.kubelet_flags, "--hostname-override=foo");
	expect_problem(&nc, "--hostname-override is not supported");
	strv_free(nc.kubelet_flags);
	nc.kubelet_flags = NULL;
	strv_push(&nc.kubelet_flags, "max-pods=20");
	expect_problem(&nc, "spec.kubelet.flags: 'max-pods=20' is not a --flag");
	node_config_free(&nc);
}
END_TEST

START_TEST(every_problem_at_once)
{
	struct node_config nc = {0};
	nc.region = xstrdup("nowhere");
	nc.ssm_activation_code = xstrdup("short");
	nc.ssm_activation_id = xstrdup("nope");
	strv_push(&nc.kubelet_flags, "--hostname-override=x");
	char **p = NULL;
	ck_assert_int_eq(nodeconfig_validate(&nc, &p), -EINVAL);
	ck_assert_uint_eq(strv_len(p), 5);
	ck_assert(ud_has_problem(p, "spec.cluster.name"));
	ck_assert(ud_has_problem(p, "spec.cluster.region"));
	ck_assert(ud_has_problem(p, "activationCode"));
	ck_assert(ud_has_problem(p, "activationId"));
	ck_assert(ud_has_problem(p, "hostname-override"));
	strv_free(p);
	node_config_free(&nc);
}
END_TEST

START_TEST(render_ssm_golden_and_parse_back)
{
	struct node_config nc;
	ssm_config(&nc);
	str_set(&nc.api_server_endpoint, "https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com");
	str_set(&nc.certificate_authority, "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==");
	str_set(&nc.cidr, "172.16.0.0/16");
	strv_push(&nc.kubelet_flags, "--node-labels=topology.kubernetes.io/zone=rack-1");
	strv_push(&nc.kubelet_flags, "--max-pods=58");
	char *yaml = NULL;
	ck_assert_int_eq(nodeconfig_render(&nc, &yaml), 0);
	ud_check_golden("tests/golden/userdata-nodeconfig-ssm.yaml", yaml);

	struct ud_yaml y;
	ck_assert_int_eq(ud_yaml_load(&y, yaml), 0);
	ck_assert_str_eq(ud_yaml_str(&y, "apiVersion"), "node.eks.aws/v1alpha1");
	ck_assert_str_eq(ud_yaml_str(&y, "kind"), "NodeConfig");
	ck_assert_str_eq(ud_yaml_str(&y, "spec.cluster.name"), "my-cluster");
	ck_assert_str_eq(ud_yaml_str(&y, "spec.hybrid.ssm.activationCode"), CODE);
	ck_assert_str_eq(ud_yaml_str(&y, "spec.hybrid.ssm.activationId"), ACT_ID);
	/* Digits-first values are quoted so YAML 1.1 readers keep them strings. */
	ck_assert_int_ne(ud_yaml_style(&y, "spec.hybrid.ssm.activationId"), YAML_PLAIN_SCALAR_STYLE);
	ck_assert_str_eq(ud_yaml_str(&y, "spec.kubelet.flags.1"), "--max-pods=58");
	ck_assert_ptr_null(ud_yaml_node(&y, "spec.hybrid.iamRolesAnywhere"));
	ud_yaml_free(&y);
	free(yaml);
	node_config_free(&nc);
}
END_TEST

START_TEST(render_iam_ra_golden_with_defaults)
{
	struct node_config nc;
	iam_config(&nc);
	nc.enable_credentials_file = true;
	nc.containerd_config =
	    xstrdup("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"x\"\n");
	char *yaml = NULL;
	ck_assert_int_eq(nodeconfig_render(&nc, &yaml), 0);
	ud_check_golden("tests/golden/userdata-nodeconfig-iam-ra.yaml", yaml);
	struct ud_yaml y;
	ck_assert_int_eq(ud_yaml_load(&y, yaml), 0);
	ck_assert_str_eq(ud_yaml_str(&y, "spec.hybrid.iamRolesAnywhere.nodeName"), "node-1");
	ck_assert_str_eq(ud_yaml_str(&y, "spec.hybrid.iamRolesAnywhere.certificatePath"),
			 NODECONFIG_IAM_RA_CERT_PATH);
	ck_assert_str_eq(ud_yaml_str(&y, "spec.hybrid.iamRolesAnywhere.privateKeyPath"),
			 NODECONFIG_IAM_RA_KEY_PATH);
	ck_assert_str_eq(ud_yaml_str(&y, "spec.hybrid.enableCredentialsFile"), "true");
	ck_assert_str_eq(ud_yaml_str(&y, "spec.containerd.config"), nc.containerd_config);
	ck_assert_ptr_null(ud_yaml_node(&y, "spec.hybrid.ssm"));
	ud_yaml_free(&y);
	free(yaml);
	node_config_free(&nc);
}
END_TEST

START_TEST(hostile_values_stay_data)
{
	/* Values that would break a pasted YAML document stay scalars. */
	struct node_config nc;
	ssm_config(&nc);
	str_set(&nc.ssm_activation_code, "a: b\n- c # d 'e\" {f}");
	char *yaml = NULL;
	ck_assert_int_eq(nodeconfig_render(&nc, &yaml), 0);
	struct ud_yaml y;
	ck_assert_int_eq(ud_yaml_load(&y, yaml), 0);
	ck_assert_str_eq(ud_yaml_str(&y, "spec.hybrid.ssm.activationCode"), "a: b\n- c # d 'e\" {f}");
	ck_assert_str_eq(ud_yaml_str(&y, "spec.hybrid.ssm.activationId"), ACT_ID);
	ud_yaml_free(&y);
	free(yaml);
	node_config_free(&nc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nodeconfig");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, valid_ssm_and_iam_ra);
	tcase_add_test(tc, cluster_name_rules);
	tcase_add_test(tc, region_rules);
	tcase_add_test(tc, optional_cluster_fields);
	tcase_add_test(tc, exactly_one_credential_kind);
	tcase_add_test(tc, activation_code_rules);
	tcase_add_test(tc, activation_id_rules);
	tcase_add_test(tc, iam_ra_arn_rules);
	tcase_add_test(tc, iam_ra_node_name_and_paths);
	tcase_add_test(tc, kubelet_flag_rules);
	tcase_add_test(tc, every_problem_at_once);
	tcase_add_test(tc, render_ssm_golden_and_parse_back);
	tcase_add_test(tc, render_iam_ra_golden_with_defaults);
	tcase_add_test(tc, hostile_values_stay_data);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
