/* nodeconfig.c — NodeConfig values, nodeadm's validation rules, rendering. */
#include "nodeconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "err.h"
#include "strbuf.h"
#include "util.h"
#include "yamlw.h"

void node_config_free(struct node_config *nc)
{
	if (!nc)
		return;
	free(nc->cluster_name);
	free(nc->region);
	free(nc->api_server_endpoint);
	free(nc->certificate_authority);
	free(nc->cidr);
	free(nc->ssm_activation_code);
	free(nc->ssm_activation_id);
	free(nc->node_name);
	free(nc->trust_anchor_arn);
	free(nc->profile_arn);
	free(nc->role_arn);
	free(nc->certificate_path);
	free(nc->private_key_path);
	free(nc->aws_config_path);
	strv_free(nc->kubelet_flags);
	free(nc->containerd_config);
	memset(nc, 0, sizeof(*nc));
}

void node_config_copy(struct node_config *dst, const struct node_config *src)
{
	dst->cluster_name = xstrdup(src->cluster_name);
	dst->region = xstrdup(src->region);
	dst->api_server_endpoint = xstrdup(src->api_server_endpoint);
	dst->certificate_authority = xstrdup(src->certificate_authority);
	dst->cidr = xstrdup(src->cidr);
	dst->ssm_activation_code = xstrdup(src->ssm_activation_code);
	dst->ssm_activation_id = xstrdup(src->ssm_activation_id);
	dst->node_name = xstrdup(src->node_name);
	dst->trust_anchor_arn = xstrdup(src->trust_anchor_arn);
	dst->profile_arn = xstrdup(src->profile_arn);
	dst->role_arn = xstrdup(src->role_arn);
	dst->certificate_path = xstrdup(src->certificate_path);
	dst->private_key_path = xstrdup(src->private_key_path);
	dst->aws_config_path = xstrdup(src->aws_config_path);
	dst->enable_credentials_file = src->enable_credentials_file;
	dst->kubelet_flags = strv_copy(src->kubelet_flags);
	dst->containerd_config = xstrdup(src->containerd_config);
}

enum nodeconfig_credential nodeconfig_credential(const struct node_config *nc)
{
	bool ssm = !str_empty(nc->ssm_activation_code) || !str_empty(nc->ssm_activation_id);
	bool iam =
	    !str_empty(nc->trust_anchor_arn) || !str_empty(nc->profile_arn) || !str_empty(nc->role_arn);
	if (ssm && iam)
		return NODECONFIG_CRED_BOTH;
	return ssm ? NODECONFIG_CRED_SSM : iam ? NODECONFIG_CRED_IAM_RA : NODECONFIG_CRED_NONE;
}

static bool all_chars(const char *s, const char *extra, bool upper_ok)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (islower(c) || isdigit(c) || (upper_ok && isupper(c)) || (extra && c && strchr(extra, c)))
			continue;
		return false;
	}
	return true;
}

bool nodeconfig_is_uuid(const char *s)
{
	/* nodeadm: ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ */
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return false;
		}
	}
	return true;
}

bool nodeconfig_node_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return false;
	if (!all_chars(s, "-.", false))
		return false;
	/* Each dot-separated label starts and ends with an alphanumeric. */
	for (size_t i = 0; i < n; i++) {
		bool edge = i == 0 || i == n - 1 || s[i - 1] == '.' || s[i + 1] == '.';
		if (edge && !isalnum((unsigned char)s[i]))
			return false;
	}
	return true;
}

bool nodeconfig_region_ok(const char *s)
{
	/* us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-4 */
	if (!s || strlen(s) < 4 || strlen(s) > 32 || !all_chars(s, "-", false))
		return false;
	size_t n = strlen(s);
	if (!isdigit((unsigned char)s[n - 1]) || !isalpha((unsigned char)s[0]) || !strchr(s, '-'))
		return false;
	return !strstr(s, "--") && s[n - 1] != '-';
}

/* arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE */
bool nodeconfig_arn_ok(const char *arn, const char *kind)
{
	if (!arn || !str_startswith(arn, "arn:"))
		return false;
	_cleanup_free_ char *copy = xstrdup(arn);
	char *fields[6] = {0};
	char *p = copy;
	for (int i = 0; i < 5; i++) {
		char *colon = strchr(p, ':');
		if (!colon)
			return false;
		*colon = '\0';
		fields[i] = p;
		p = colon + 1;
	}
	fields[5] = p;
	const char *partition = fields[1], *service = fields[2], *region = fields[3];
	const char *account = fields[4], *resource = fields[5];
	if (strcmp(partition, "aws") != 0 &&
	    !(str_startswith(partition, "aws-") && all_chars(partition, "-", false)))
		return false;
	if (strlen(account) != 12 || !all_chars(account, NULL, false) || strspn(account, "0123456789") != 12)
		return false;
	if (strcmp(kind, "role") == 0) {
		/* arn:aws:iam::123456789012:role/path/Name, name [\w+=,.@-]{1,64} */
		if (strcmp(service, "iam") != 0 || *region || !str_startswith(resource, "role/"))
			return false;
		const char *name = strrchr(resource, '/') + 1;
		if (strlen(name) < 1 || strlen(name) > 64)
			return false;
		return all_chars(resource + 5, "_+=,.@-/", true);
	}
	if (strcmp(service, "rolesanywhere") != 0 || !nodeconfig_region_ok(region))
		return false;
	const char *prefix = strcmp(kind, "trust-anchor") == 0 ? "trust-anchor/" : "profile/";
	if (!str_startswith(resource, prefix))
		return false;
	return nodeconfig_is_uuid(resource + strlen(prefix));
}

static bool cluster_name_ok(const char *s)
{
	/* EKS: 1-100 characters, ^[0-9A-Za-z][A-Za-z0-9\-_]*$ */
	size_t n = strlen(s);
	return n >= 1 && n <= 100 && isalnum((unsigned char)s[0]) && all_chars(s, "-_", true);
}

static bool cidr_ok(const char *s)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *slash = strchr(copy, '/');
	if (!slash)
		return false;
	*slash = '\0';
	unsigned long long bits;
	unsigned char buf[16];
	if (inet_pton(AF_INET, copy, buf) == 1)
		return parse_uint(slash + 1, 0, 32, &bits) == 0;
	if (inet_pton(AF_INET6, copy, buf) == 1)
		return parse_uint(slash + 1, 0, 128, &bits) == 0;
	return false;
}

static bool base64_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n % 4 != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '+' || c == '/' || (c == '=' && i >= n - 2))
			continue;
		return false;
	}
	return true;
}

static void problem(char ***problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(char ***problems, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	strv_push(problems, sb.buf);
}

int nodeconfig_validate(const struct node_config *nc, char ***problems)
{
	size_t before = strv_len(*problems);

	if (str_empty(nc->cluster_name))
		problem(problems, "spec.cluster.name: is required");
	else if (!cluster_name_ok(nc->cluster_name))
		problem(problems,
			"spec.cluster.name: '%s' is not an EKS cluster name (1-100 letters, digits, '-' "
			"and '_', starting with a letter or digit)",
			nc->cluster_name);
	if (str_empty(nc->region))
		problem(problems, "spec.cluster.region: is required");
	else if (!nodeconfig_region_ok(nc->region))
		problem(problems, "spec.cluster.region: '%s' is not an AWS region name (like us-west-2)",
			nc->region);
	if (nc->api_server_endpoint && !str_startswith(nc->api_server_endpoint, "https://"))
		problem(problems, "spec.cluster.apiServerEndpoint: '%s' must be an https:// URL",
			nc->api_server_endpoint);
	if (nc->certificate_authority && !base64_ok(nc->certificate_authority))
		problem(problems, "spec.cluster.certificateAuthority: must be base64-encoded PEM data");
	if (nc->cidr && !cidr_ok(nc->cidr))
		problem(problems, "spec.cluster.cidr: '%s' is not a CIDR block (like 172.16.0.0/16)",
			nc->cidr);

	switch (nodeconfig_credential(nc)) {
	case NODECONFIG_CRED_NONE:
		problem(problems,
			"spec.hybrid: one credential provider is required: SSM (activation code and id) or "
			"IAM Roles Anywhere (trust anchor, profile and role ARNs)");
		break;
	case NODECONFIG_CRED_BOTH:
		problem(
		    problems,
		    "spec.hybrid: give only one credential provider, not both SSM and IAM Roles Anywhere");
		break;
	case NODECONFIG_CRED_SSM: {
		/* nodeadm: ^.{20,250}$ ('.' does not match a newline). */
		const char *code = nc->ssm_activation_code;
		if (str_empty(code))
			problem(problems, "spec.hybrid.ssm.activationCode: is required");
		else if (strlen(code) < 20 || strlen(code) > 250)
			problem(problems,
				"spec.hybrid.ssm.activationCode: must be 20-250 characters, got %zu",
				strlen(code));
		else if (strpbrk(code, "\n\r"))
			problem(problems, "spec.hybrid.ssm.activationCode: must be a single line");
		if (str_empty(nc->ssm_activation_id))
			problem(problems, "spec.hybrid.ssm.activationId: is required");
		else if (!nodeconfig_is_uuid(nc->ssm_activation_id))
			problem(problems,
				"spec.hybrid.ssm.activationId: '%s' is not a lowercase UUID "
				"(8-4-4-4-12 hex digits)",
				nc->ssm_activation_id);
		break;
	}
	case NODECONFIG_CRED_IAM_RA:
		if (str_empty(nc->trust_anchor_arn))
			problem(problems, "spec.hybrid.iamRolesAnywhere.trustAnchorArn: is required");
		else if (!nodeconfig_arn_ok(nc->trust_anchor_arn, "trust-anchor"))
			problem(
			    problems,
			    "spec.hybrid.iamRolesAnywhere.trustAnchorArn: '%s' is not an IAM Roles Anywhere "
			    "trust anchor ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/UUID)",
			    nc->trust_anchor_arn);
		if (str_empty(nc->profile_arn))
			problem(problems, "spec.hybrid.iamRolesAnywhere.profileArn: is required");
		else if (!nodeconfig_arn_ok(nc->profile_arn, "profile"))
			problem(problems,
				"spec.hybrid.iamRolesAnywhere.profileArn: '%s' is not an IAM Roles Anywhere "
				"profile ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:profile/UUID)",
				nc->profile_arn);
		if (str_empty(nc->role_arn))
			problem(problems, "spec.hybrid.iamRolesAnywhere.roleArn: is required");
		else if (!nodeconfig_arn_ok(nc->role_arn, "role"))
			problem(problems,
				"spec.hybrid.iamRolesAnywhere.roleArn: '%s' is not an IAM role ARN "
				"(arn:aws:iam::ACCOUNT:role/NAME)",
				nc->role_arn);
		if (str_empty(nc->node_name))
			problem(problems, "spec.hybrid.iamRolesAnywhere.nodeName: is required");
		else if (strlen(nc->node_name) > 64)
			problem(problems,
				"spec.hybrid.iamRolesAnywhere.nodeName: '%s' is longer than 64 characters",
				nc->node_name);
		else if (!nodeconfig_node_name_ok(nc->node_name))
			problem(problems,
				"spec.hybrid.iamRolesAnywhere.nodeName: '%s' is not a valid node name "
				"(lowercase letters, digits, '-' and '.')",
				nc->node_name);
		if (nc->certificate_path && nc->certificate_path[0] != '/')
			problem(problems,
				"spec.hybrid.iamRolesAnywhere.certificatePath: '%s' must be absolute",
				nc->certificate_path);
		if (nc->private_key_path && nc->private_key_path[0] != '/')
			problem(problems,
				"spec.hybrid.iamRolesAnywhere.privateKeyPath: '%s' must be absolute",
				nc->private_key_path);
		break;
	}

	for (size_t i = 0; nc->kubelet_flags && nc->kubelet_flags[i]; i++) {
		const char *f = nc->kubelet_flags[i];
		if (!str_startswith(f, "--") || strlen(f) < 3)
			problem(problems, "spec.kubelet.flags: '%s' is not a --flag or --flag=value", f);
		else if (str_startswith(f, "--hostname-override"))
			problem(problems,
				"spec.kubelet.flags: --hostname-override is not supported for hybrid nodes "
				"(nodeadm refuses it)");
		else if (strpbrk(f, "\n\r"))
			problem(problems, "spec.kubelet.flags: a flag must be a single line");
	}
	return strv_len(*problems) > before ? -EINVAL : 0;
}

int nodeconfig_render(const struct node_config *nc, char **yaml)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	sb_init(&out);
	struct yamlw w;
	yamlw_begin(&w, &out, NULL);
	yamlw_map_begin(&w);
	yamlw_kv(&w, "apiVersion", "node.eks.aws/v1alpha1");
	yamlw_kv(&w, "kind", "NodeConfig");
	yamlw_str(&w, "spec");
	yamlw_map_begin(&w);

	yamlw_str(&w, "cluster");
	yamlw_map_begin(&w);
	yamlw_kv(&w, "name", nc->cluster_name);
	yamlw_kv(&w, "region", nc->region);
	if (nc->api_server_endpoint)
		yamlw_kv(&w, "apiServerEndpoint", nc->api_server_endpoint);
	if (nc->certificate_authority)
		yamlw_kv(&w, "certificateAuthority", nc->certificate_authority);
	if (nc->cidr)
		yamlw_kv(&w, "cidr", nc->cidr);
	yamlw_map_end(&w);

	yamlw_str(&w, "hybrid");
	yamlw_map_begin(&w);
	if (nodeconfig_credential(nc) == NODECONFIG_CRED_SSM) {
		yamlw_str(&w, "ssm");
		yamlw_map_begin(&w);
		yamlw_kv(&w, "activationCode", nc->ssm_activation_code);
		yamlw_kv(&w, "activationId", nc->ssm_activation_id);
		yamlw_map_end(&w);
	} else {
		yamlw_str(&w, "iamRolesAnywhere");
		yamlw_map_begin(&w);
		yamlw_kv(&w, "nodeName", nc->node_name);
		yamlw_kv(&w, "trustAnchorArn", nc->trust_anchor_arn);
		yamlw_kv(&w, "profileArn", nc->profile_arn);
		yamlw_kv(&w, "roleArn", nc->role_arn);
		yamlw_kv(&w, "certificatePath",
			 nc->certificate_path ? nc->certificate_path : NODECONFIG_IAM_RA_CERT_PATH);
		yamlw_kv(&w, "privateKeyPath",
			 nc->private_key_path ? nc->private_key_path : NODECONFIG_IAM_RA_KEY_PATH);
		if (nc->aws_config_path)
			yamlw_kv(&w, "awsConfigPath", nc->aws_config_path);
		yamlw_map_end(&w);
	}
	if (nc->enable_credentials_file)
		yamlw_kv_bool(&w, "enableCredentialsFile", true);
	yamlw_map_end(&w);

	if (nc->kubelet_flags && nc->kubelet_flags[0]) {
		yamlw_str(&w, "kubelet");
		yamlw_map_begin(&w);
		yamlw_str(&w, "flags");
		yamlw_seq_begin(&w);
		for (size_t i = 0; nc->kubelet_flags[i]; i++)
			yamlw_str(&w, nc->kubelet_flags[i]);
		yamlw_seq_end(&w);
		yamlw_map_end(&w);
	}
	if (nc->containerd_config) {
		yamlw_str(&w, "containerd");
		yamlw_map_begin(&w);
		yamlw_kv(&w, "config", nc->containerd_config);
		yamlw_map_end(&w);
	}
	yamlw_map_end(&w); /* spec */
	yamlw_map_end(&w);
	int r = yamlw_end(&w);
	if (r < 0)
		return err_fail_errno(r, "Failed to write the NodeConfig YAML");
	*yaml = sb_detach(&out, NULL);
	return 0;
}
