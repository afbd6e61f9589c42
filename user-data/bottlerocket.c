/* bottlerocket.c — Bottlerocket settings TOML for EKS hybrid nodes. */
#include "bottlerocket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "err.h"
#include "guestinfo.h"
#include "strbuf.h"
#include "udtemplate.h"
#include "util.h"

static void problem(char ***problems, const char *msg)
{
	strv_push(problems, msg);
}

int bottlerocket_validate(const struct node_config *nc, const struct bottlerocket_opts *o, char ***problems)
{
	size_t before = strv_len(*problems);
	if (str_empty(nc->api_server_endpoint))
		problem(problems,
			"spec.cluster.apiServerEndpoint: is required for Bottlerocket (it cannot look "
			"the cluster up)");
	if (str_empty(nc->certificate_authority))
		problem(problems,
			"spec.cluster.certificateAuthority: is required for Bottlerocket (it cannot look "
			"the cluster up)");
	if (nodeconfig_credential(nc) == NODECONFIG_CRED_IAM_RA) {
		if (!o->iam_ra_cert_pem)
			problem(problems,
				"spec.hybrid.iamRolesAnywhere.certificatePath: Bottlerocket needs the "
				"certificate itself (its bootstrap container writes it)");
		if (!o->iam_ra_key_pem)
			problem(problems,
				"spec.hybrid.iamRolesAnywhere.privateKeyPath: Bottlerocket needs the "
				"private key itself (its bootstrap container writes it)");
	}
	if (nc->kubelet_flags && nc->kubelet_flags[0])
		problem(problems, "spec.kubelet.flags: Bottlerocket takes no kubelet flags (use its "
				  "settings.kubernetes keys instead)");
	if (nc->containerd_config)
		problem(problems, "spec.containerd.config: Bottlerocket takes no containerd configuration");
	return strv_len(*problems) > before ? -EINVAL : 0;
}

char *bottlerocket_cluster_dns_ip(const char *cidr)
{
	if (!cidr)
		return NULL;
	_cleanup_free_ char *copy = xstrdup(cidr);
	char *slash = strchr(copy, '/');
	if (slash)
		*slash = '\0';
	struct in_addr a;
	if (inet_pton(AF_INET, copy, &a) != 1)
		return NULL;
	a.s_addr = htonl(ntohl(a.s_addr) + 10);
	char buf[INET_ADDRSTRLEN];
	if (!inet_ntop(AF_INET, &a, buf, sizeof(buf)))
		return NULL;
	return xstrdup(buf);
}

/* Escape for a TOML basic string into a fresh string. */
static char *toml(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	udtemplate_toml_escape(&sb, s);
	return sb_detach(&sb, NULL);
}

static int base64_of(const char *text, char **out)
{
	return guestinfo_encode(text, strlen(text), GUESTINFO_BASE64, out);
}

static int admin_userdata(const struct bottlerocket_opts *o, char **out)
{
	if (!o->ssh_keys || !o->ssh_keys[0]) {
		*out = NULL;
		return 0;
	}
	_cleanup_strbuf_ struct strbuf json = STRBUF_INIT;
	sb_init(&json);
	sb_adds(&json, "{\"user\":\"");
	udtemplate_json_escape(&json, o->admin_user ? o->admin_user : BOTTLEROCKET_DEFAULT_ADMIN_USER);
	sb_adds(&json, "\",\"ssh\":{\"authorized-keys\":[");
	for (size_t i = 0; o->ssh_keys[i]; i++) {
		sb_adds(&json, i ? ",\"" : "\"");
		udtemplate_json_escape(&json, o->ssh_keys[i]);
		sb_addc(&json, '"');
	}
	sb_adds(&json, "]}}");
	return base64_of(json.buf, out);
}

/* The command the eks-hybrid-setup bootstrap container runs; holds secrets. */
static int bootstrap_userdata(const struct node_config *nc, const struct bottlerocket_opts *o, char **out)
{
	_cleanup_strbuf_ struct strbuf cmd = STRBUF_INIT;
	sb_init(&cmd);
	if (nodeconfig_credential(nc) == NODECONFIG_CRED_SSM) {
		sb_adds(&cmd, "eks-hybrid-ssm-setup --activation-id=");
		udtemplate_shell_quote(&cmd, nc->ssm_activation_id);
		sb_adds(&cmd, " --activation-code=");
		udtemplate_shell_quote(&cmd, nc->ssm_activation_code);
		sb_adds(&cmd, " --region=");
		udtemplate_shell_quote(&cmd, nc->region);
	} else {
		sb_adds(&cmd, "eks-hybrid-iam-ra-setup --certificate=");
		udtemplate_shell_quote(&cmd, o->iam_ra_cert_pem);
		sb_adds(&cmd, " --key=");
		udtemplate_shell_quote(&cmd, o->iam_ra_key_pem);
	}
	if (nc->enable_credentials_file)
		sb_adds(&cmd, " --enable-credentials-file=true");
	int r = base64_of(cmd.buf, out);
	explicit_bzero(cmd.buf, cmd.len);
	return r;
}

static int aws_config(const struct node_config *nc, const struct bottlerocket_opts *o, char **out)
{
	if (nodeconfig_credential(nc) != NODECONFIG_CRED_IAM_RA) {
		*out = NULL;
		return 0;
	}
	const struct udtemplate_var vars[] = {
	    {"REGION", nc->region},
	    {"PROFILE_ARN", nc->profile_arn},
	    {"ROLE_ARN", nc->role_arn},
	    {"TRUST_ANCHOR_ARN", nc->trust_anchor_arn},
	    /* The role session name: IAM policies often bind it to the CN. */
	    {"NODE_NAME", o->hostname},
	};
	_cleanup_strbuf_ struct strbuf text = STRBUF_INIT;
	sb_init(&text);
	int r =
	    udtemplate_render("user-data/templates/bottlerocket-aws-config", vars, ARRAY_SIZE(vars), &text);
	if (r < 0)
		return r;
	return base64_of(text.buf, out);
}

static char *no_proxy_list(const char *no_proxy)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	_cleanup_free_ char *copy = xstrdup(no_proxy ? no_proxy : "");
	char *save = NULL;
	bool first = true;
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		sb_adds(&sb, first ? "\"" : ", \"");
		udtemplate_toml_escape(&sb, t);
		sb_addc(&sb, '"');
		first = false;
	}
	return sb_detach(&sb, NULL);
}

int bottlerocket_render(const struct node_config *nc, const struct bottlerocket_opts *o, char **out)
{
	_cleanup_free_ char *admin = NULL, *bootstrap = NULL, *config = NULL;
	int r = admin_userdata(o, &admin);
	if (r >= 0)
		r = bootstrap_userdata(nc, o, &bootstrap);
	if (r >= 0)
		r = aws_config(nc, o, &config);
	if (r < 0)
		return r;
	bool ssm = nodeconfig_credential(nc) == NODECONFIG_CRED_SSM;
	_cleanup_free_ char *cluster = toml(nc->cluster_name), *api = toml(nc->api_server_endpoint),
			    *ca = toml(nc->certificate_authority), *region = toml(nc->region),
			    *host = toml(o->hostname), *proxy = o->proxy ? toml(o->proxy) : NULL,
			    *no_proxy = o->proxy ? no_proxy_list(o->no_proxy) : NULL,
			    *dns = bottlerocket_cluster_dns_ip(nc->cidr);
	const struct udtemplate_var vars[] = {
	    {"CLUSTER", cluster},
	    {"API_SERVER", api},
	    {"CA", ca},
	    {"CLUSTER_DNS_IP", dns},
	    {"HOSTNAME", host},
	    {"REGION", region},
	    {"PROXY", proxy},
	    {"NO_PROXY_LIST", no_proxy},
	    {"AWS_CONFIG", config},
	    {"CREDENTIAL_PROVIDER", ssm ? "ssm" : "iam-ra"},
	    {"ADMIN_USERDATA", admin},
	    {"BOOTSTRAP_USERDATA", bootstrap},
	    {"SSM", ssm ? "yes" : NULL},
	};
	_cleanup_strbuf_ struct strbuf doc = STRBUF_INIT;
	sb_init(&doc);
	r = udtemplate_render("user-data/templates/bottlerocket-settings.toml", vars, ARRAY_SIZE(vars), &doc);
	if (r < 0)
		return r;
	*out = sb_detach(&doc, NULL);
	return 0;
}
