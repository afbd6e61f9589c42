/* vsphere.c — publish an OVA to vCenter (see vsphere.h): SOAP calls through
 * soap.h, the disk streamed from the OVA's tar with libarchive (no temporary
 * copy) to the HttpNfcLease's device URLs, lease keep-alive, clean abort. */
#include "vsphere.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/xpathInternals.h>
#include <openssl/evp.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"
#include "signals.h"
#include "strbuf.h"
#include "util.h"

#define OVF_NS "http://schemas.dmtf.org/ovf/envelope/1"
#define OVF_MAX_DESCRIPTOR (16u << 20)
#define KEEPALIVE_SECONDS 10.0
#define WAIT_SECONDS 600.0

static void soap_response_freep(struct soap_response *r)
{
	soap_response_free(r);
}
static void soap_fault_freep(struct soap_fault *f)
{
	soap_fault_free(f);
}
static void soap_moref_freep(struct soap_moref *m)
{
	soap_moref_free(m);
}
#define _cleanup_resp_ _cleanup_(soap_response_freep)
#define _cleanup_fault_ _cleanup_(soap_fault_freep)
#define _cleanup_moref_ _cleanup_(soap_moref_freep)

/* ---- names and paths ---- */

int vsphere_sdk_url(const char *server, char **url)
{
	if (str_empty(server))
		return err_usage("no vCenter given (--vcenter or VSPHERE_SERVER)");
	CURLU *u = curl_url();
	if (!u)
		return -ENOMEM;
	int r = 0;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *user = NULL, *password = NULL;
	if (curl_url_set(u, CURLUPART_URL, server, CURLU_DEFAULT_SCHEME | CURLU_NON_SUPPORT_SCHEME) !=
	    CURLUE_OK) {
		r = err_usage("vCenter '%s' is not a host name or URL", server);
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
	if (password) {
		r = err_usage(
		    "the vCenter URL must not carry a password (it would be visible in the process list); "
		    "use VSPHERE_PASSWORD or --password-file");
		goto out;
	}
	if (user) {
		r = err_usage("the vCenter URL must not carry a user name; use --user or VSPHERE_USER");
		goto out;
	}
	if (!scheme || strcasecmp(scheme, "https")) {
		r = err_usage("vCenter URL '%s' must use https (the password would travel in clear text)",
			      server);
		goto out;
	}
	if (!host || !*host) {
		r = err_usage("vCenter URL '%s' has no host", server);
		goto out;
	}
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "https://%s", host);
	if (port)
		sb_addf(&sb, ":%s", port);
	sb_adds(&sb, (!path || !strcmp(path, "/") || !*path) ? "/sdk" : path);
	*url = sb_detach(&sb, NULL);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);
	return r;
}

static void add_trimmed(struct strbuf *sb, const char *s)
{
	while (*s == '/')
		s++;
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	sb_add(sb, s, n);
}

char *vsphere_inventory_path(const char *datacenter, const char *kind, const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	if (value && value[0] == '/') {
		add_trimmed(&sb, value);
		return sb_detach(&sb, NULL);
	}
	add_trimmed(&sb, datacenter ? datacenter : "");
	sb_addf(&sb, "/%s", kind);
	if (!str_empty(value)) {
		sb_addc(&sb, '/');
		add_trimmed(&sb, value);
	}
	return sb_detach(&sb, NULL);
}

char *vsphere_pool_path(const char *datacenter, const char *cluster, const char *pool)
{
	if (!str_empty(pool) && pool[0] == '/')
		return vsphere_inventory_path(datacenter, "host", pool);
	if (str_empty(cluster)) {
		if (str_empty(pool))
			return NULL;
		return vsphere_inventory_path(datacenter, "host", pool);
	}
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	char *base = vsphere_inventory_path(datacenter, "host", cluster);
	sb_addf(&sb, "%s/Resources", base);
	free(base);
	if (!str_empty(pool)) {
		sb_addc(&sb, '/');
		add_trimmed(&sb, pool);
	}
	return sb_detach(&sb, NULL);
}

/* ---- the OVA ---- */

void vsphere_ova_free(struct vsphere_ova *ova)
{
	free(ova->ovf_name);
	free(ova->ovf);
	strv_free(ova->mf_names);
	strv_free(ova->mf_sha256);
	strv_free(ova->networks);
	memset(ova, 0, sizeof(*ova));
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcasecmp(s + n - m, suffix);
}

static int read_entry(struct archive *a, struct archive_entry *e, const char *ova_path, char **data,
		      size_t *len)
{
	la_int64_t size = archive_entry_size(e);
	if (size < 0 || (uint64_t)size > OVF_MAX_DESCRIPTOR)
		return err_fail(-EFBIG, "%s: %s is too large for an OVF descriptor or manifest", ova_path,
				archive_entry_pathname(e));
	char *buf = malloc((size_t)size + 1);
	if (!buf)
		return -ENOMEM;
	la_ssize_t n = archive_read_data(a, buf, (size_t)size);
	if (n != size) {
		free(buf);
		return err_fail(-EIO, "%s: cannot read %s: %s", ova_path, archive_entry_pathname(e),
				n < 0 ? archive_error_string(a) : "short read");
	}
	buf[size] = '\0';
	*data = buf;
	if (len)
		*len = (size_t)size;
	return 0;
}

/* "SHA256(name)= hex" lines; other algorithms are not checked. */
static int parse_manifest(const char *mf, const char *ova_path, struct vsphere_ova *ova)
{
	const char *p = mf;
	unsigned line = 0;
	while (*p) {
		line++;
		size_t n = strcspn(p, "\n");
		_cleanup_free_ char *l = strndup(p, n);
		p += n + (p[n] == '\n');
		size_t ln = strlen(l);
		if (ln && l[ln - 1] == '\r')
			l[--ln] = '\0';
		if (!ln)
			continue;
		char *open = strchr(l, '('), *close = strstr(l, ")= ");
		if (!open || !close || close < open)
			return err_verify(-EBADMSG, "%s: manifest line %u is malformed", ova_path, line);
		if (strncmp(l, "SHA256(", 7))
			continue;
		*close = '\0';
		const char *hex = close + 3;
		if (strlen(hex) != 64)
			return err_verify(-EBADMSG, "%s: manifest line %u has no SHA-256 digest", ova_path,
					  line);
		_cleanup_free_ char *lower = xstrdup(hex);
		for (char *c = lower; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		strv_push(&ova->mf_names, open + 1);
		strv_push(&ova->mf_sha256, lower);
	}
	return 0;
}

static int ovf_networks(struct vsphere_ova *ova, const char *ova_path)
{
	xmlDocPtr doc = xmlReadMemory(ova->ovf, (int)ova->ovf_len, ova->ovf_name, NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return err_verify(-EBADMSG, "%s: %s is not well-formed XML", ova_path, ova->ovf_name);
	xmlXPathContextPtr xp = xmlXPathNewContext(doc);
	int r = 0;
	if (!xp) {
		r = -ENOMEM;
		goto out;
	}
	xmlXPathRegisterNs(xp, BAD_CAST "ovf", BAD_CAST OVF_NS);
	xmlXPathObjectPtr o =
	    xmlXPathEvalExpression(BAD_CAST "/ovf:Envelope/ovf:NetworkSection/ovf:Network/@ovf:name", xp);
	if (!xmlXPathNodeSetIsEmpty(o ? o->nodesetval : NULL))
		for (int i = 0; i < o->nodesetval->nodeNr; i++) {
			xmlChar *v = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
			if (v && *v)
				strv_push(&ova->networks, (const char *)v);
			xmlFree(v);
		}
	xmlXPathFreeObject(o);
	o = xmlXPathEvalExpression(BAD_CAST "/ovf:Envelope", xp);
	if (xmlXPathNodeSetIsEmpty(o ? o->nodesetval : NULL))
		r = err_verify(-EBADMSG, "%s: %s is not an OVF envelope", ova_path, ova->ovf_name);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(xp);
out:
	xmlFreeDoc(doc);
	return r;
}

static int ova_open(const char *ova_path, struct archive **out)
{
	struct archive *a = archive_read_new();
	if (!a)
		return -ENOMEM;
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, ova_path, 1 << 20) != ARCHIVE_OK) {
		int e = archive_errno(a);
		int r = (e == ENOENT || e == EACCES || e == EISDIR)
			    ? err_fail(-e, "Cannot open OVA %s: %s", ova_path, archive_error_string(a))
			    : err_verify(-EBADMSG, "%s is not an OVA (a tar archive): %s", ova_path,
					 archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	*out = a;
	return 0;
}

int vsphere_ova_read(const char *ova_path, struct vsphere_ova *ova)
{
	memset(ova, 0, sizeof(*ova));
	struct archive *a;
	int r = ova_open(ova_path, &a);
	if (r < 0)
		return r;
	struct archive_entry *e;
	int ar;
	char *mf = NULL;
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (!ova->ovf && has_suffix(name, ".ovf")) {
			r = read_entry(a, e, ova_path, &ova->ovf, &ova->ovf_len);
			ova->ovf_name = xstrdup(name);
		} else if (!mf && has_suffix(name, ".mf")) {
			r = read_entry(a, e, ova_path, &mf, NULL);
		} else if (has_suffix(name, ".cert")) {
			continue;
		} else {
			break; /* the disks follow the descriptor, manifest and certificate */
		}
		if (r < 0)
			break;
	}
	if (r == 0 && ar != ARCHIVE_OK && ar != ARCHIVE_EOF)
		r = err_verify(-EBADMSG, "%s is not a readable OVA (tar): %s", ova_path,
			       archive_error_string(a));
	archive_read_free(a);
	if (r == 0 && !ova->ovf)
		r = err_verify(-EBADMSG, "%s holds no .ovf descriptor before its disks: not an OVA",
			       ova_path);
	if (r == 0 && mf)
		r = parse_manifest(mf, ova_path, ova);
	free(mf);
	if (r == 0)
		r = ovf_networks(ova, ova_path);
	if (r < 0)
		vsphere_ova_free(ova);
	return r;
}

static const char *manifest_digest(const struct vsphere_ova *ova, const char *name)
{
	for (size_t i = 0; ova->mf_names && ova->mf_names[i]; i++)
		if (!strcmp(ova->mf_names[i], name))
			return ova->mf_sha256[i];
	return NULL;
}

/* ---- request builders ---- */

static const struct soap_moref SESSION_MANAGER_DEFAULT = {(char *)"SessionManager", (char *)"SessionManager"};

int vsphere_build_login(const char *user, const char *password, char **xml, size_t *len)
{
	struct soap_request q;
	int r = soap_request_begin(&q, "Login", &SESSION_MANAGER_DEFAULT);
	if (r == 0) {
		soap_request_text(&q, "userName", user);
		soap_request_text(&q, "password", password);
		r = soap_request_finish(&q, xml, len);
	}
	soap_request_free(&q);
	return r;
}

int vsphere_build_find_by_path(const struct soap_moref *search_index, const char *path, char **xml,
			       size_t *len)
{
	struct soap_request q;
	int r = soap_request_begin(&q, "FindByInventoryPath", search_index);
	if (r == 0) {
		soap_request_text(&q, "inventoryPath", path);
		r = soap_request_finish(&q, xml, len);
	}
	soap_request_free(&q);
	return r;
}

int vsphere_build_create_import_spec(const struct vsphere_import_params *p, char **xml, size_t *len)
{
	struct soap_request q;
	int r = soap_request_begin(&q, "CreateImportSpec", p->ovf_manager);
	if (r == 0) {
		soap_request_text(&q, "ovfDescriptor", p->ovf);
		soap_request_moref(&q, "resourcePool", p->pool);
		soap_request_moref(&q, "datastore", p->datastore);
		/* OvfCreateImportSpecParams, in the schema's element order. */
		soap_request_open(&q, "cisp", NULL);
		soap_request_text(&q, "locale", "");
		soap_request_text(&q, "deploymentOption", "");
		soap_request_text(&q, "entityName", p->entity_name);
		for (size_t i = 0; p->network && p->ovf_networks && p->ovf_networks[i]; i++) {
			soap_request_open(&q, "networkMapping", NULL);
			soap_request_text(&q, "name", p->ovf_networks[i]);
			soap_request_moref(&q, "network", p->network);
			soap_request_close(&q);
		}
		soap_request_text(&q, "diskProvisioning", "thin");
		soap_request_close(&q);
		r = soap_request_finish(&q, xml, len);
	}
	soap_request_free(&q);
	return r;
}

int vsphere_build_import_vapp(const struct soap_moref *pool, struct soap_response *import_spec,
			      const struct soap_moref *folder, char **xml, size_t *len)
{
	_cleanup_free_ xmlNodePtr *nodes = NULL;
	size_t n;
	int r = soap_xpath_nodes(import_spec, NULL, "v:returnval/v:importSpec", &nodes, &n);
	if (r < 0)
		return r;
	if (n == 0)
		return err_fail(-EPROTO, "vCenter's CreateImportSpec answer holds no importSpec");
	_cleanup_free_ char *type = soap_node_xsi_type(nodes[0]);
	_cleanup_free_ char *inner = soap_node_inner_xml(nodes[0]);
	struct soap_request q;
	r = soap_request_begin(&q, "ImportVApp", pool);
	if (r == 0) {
		soap_request_open(&q, "spec", type ? type : "VirtualMachineImportSpec");
		soap_request_declare_ns(&q, nodes[0]);
		soap_request_raw(&q, inner ? inner : "");
		soap_request_close(&q);
		if (folder)
			soap_request_moref(&q, "folder", folder);
		r = soap_request_finish(&q, xml, len);
	}
	soap_request_free(&q);
	return r;
}

static char *join_messages(struct soap_response *resp, const char *expr)
{
	_cleanup_free_ xmlNodePtr *nodes = NULL;
	size_t n;
	if (soap_xpath_nodes(resp, NULL, expr, &nodes, &n) < 0 || n == 0)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *msg = soap_xpath_string(resp, nodes[i], "string(v:localizedMessage)");
		_cleanup_free_ char *type = soap_xpath_string(resp, nodes[i], "string(v:fault/@xsi:type)");
		if (sb.len)
			sb_adds(&sb, "; ");
		sb_adds(&sb, msg ? msg : (type ? type : "unspecified"));
		if (msg && type)
			sb_addf(&sb, " (%s)", type);
	}
	return sb_detach(&sb, NULL);
}

char *vsphere_import_spec_errors(struct soap_response *resp)
{
	return join_messages(resp, "v:returnval/v:error");
}

/* ---- the session ---- */

struct vs_session {
	struct soap_client *c;
	char *url;
	char *authority; /* host[:port] replacing '*' in device URLs */
	struct soap_moref pc, search, ovf_manager, session_manager;
	bool logged_in;
};

static int call(struct vs_session *s, const char *what, struct soap_request *q, struct soap_response *resp,
		struct soap_fault *fault)
{
	_cleanup_free_ char *xml = NULL;
	size_t len = 0;
	int r = soap_request_finish(q, &xml, &len);
	soap_request_free(q);
	if (r < 0)
		return err_fail_errno(r, "Failed to write the %s request", what);
	r = soap_call(s->c, what, xml, len, resp, fault);
	explicit_bzero(xml, len);
	return r;
}

/* A call with no interesting answer. */
static int call_simple(struct vs_session *s, const char *method, const struct soap_moref *this_,
		       const char *param_name, const char *param_value)
{
	struct soap_request q;
	int r = soap_request_begin(&q, method, this_);
	if (r < 0) {
		soap_request_free(&q);
		return err_fail_errno(r, "Failed to write the %s request", method);
	}
	if (param_name)
		soap_request_text(&q, param_name, param_value);
	_cleanup_resp_ struct soap_response resp = {0};
	_cleanup_fault_ struct soap_fault f = {0};
	return call(s, method, &q, &resp, &f);
}

static void session_close(struct vs_session *s)
{
	if (s->logged_in) {
		/* Keep the error that matters. */
		struct err_saved saved;
		err_save(&saved);
		call_simple(s, "Logout", &s->session_manager, NULL, NULL);
		if (saved.message)
			err_restore(&saved, NULL);
		else
			err_clear();
	}
	soap_client_free(s->c);
	free(s->url);
	free(s->authority);
	soap_moref_free(&s->pc);
	soap_moref_free(&s->search);
	soap_moref_free(&s->ovf_manager);
	soap_moref_free(&s->session_manager);
	memset(s, 0, sizeof(*s));
}

static int session_open(struct vs_session *s, const struct vsphere_settings *vs)
{
	int r = vsphere_sdk_url(vs->server, &s->url);
	if (r < 0)
		return r;
	const char *a = s->url + strlen("https://");
	s->authority = strndup(a, strcspn(a, "/"));
	struct soap_client_options o = {.url = s->url, .ca_file = vs->ca_file, .insecure = vs->insecure};
	r = soap_client_new(&o, &s->c);
	if (r < 0)
		return r;

	static const struct soap_moref service_instance = {(char *)"ServiceInstance",
							   (char *)"ServiceInstance"};
	struct soap_request q;
	soap_request_begin(&q, "RetrieveServiceContent", &service_instance);
	_cleanup_resp_ struct soap_response sc = {0};
	_cleanup_fault_ struct soap_fault f = {0};
	r = call(s, "RetrieveServiceContent", &q, &sc, &f);
	if (r < 0)
		return r;
	if (soap_xpath_moref(&sc, NULL, "v:returnval/v:propertyCollector", &s->pc) < 0 ||
	    soap_xpath_moref(&sc, NULL, "v:returnval/v:searchIndex", &s->search) < 0 ||
	    soap_xpath_moref(&sc, NULL, "v:returnval/v:ovfManager", &s->ovf_manager) < 0 ||
	    soap_xpath_moref(&sc, NULL, "v:returnval/v:sessionManager", &s->session_manager) < 0)
		return err_fail(
		    -EPROTO, "%s is not a vCenter: its service content lacks the OVF manager or search index",
		    s->url);
	_cleanup_free_ char *api = soap_xpath_string(&sc, NULL, "string(v:returnval/v:about/v:fullName)");
	log_info("Connected to %s (%s)", s->url, api ? api : "unknown release");

	soap_request_begin(&q, "Login", &s->session_manager);
	soap_request_text(&q, "userName", vs->user);
	soap_request_text(&q, "password", vs->password);
	_cleanup_resp_ struct soap_response lr = {0};
	_cleanup_fault_ struct soap_fault lf = {0};
	r = call(s, "Login", &q, &lr, &lf);
	if (r == -EREMOTEIO && lf.type && !strcmp(lf.type, "InvalidLogin"))
		return err_fail(-EACCES,
				"vCenter %s refused the login of user '%s': wrong user name or password",
				s->url, vs->user);
	if (r < 0)
		return r;
	s->logged_in = true;
	log_info("Logged in to %s as %s", s->url, vs->user);
	return 0;
}

/* FindByInventoryPath: 0 with out set, -ENOENT when nothing is there. */
static int find_by_path(struct vs_session *s, const char *path, struct soap_moref *out)
{
	struct soap_request q;
	soap_request_begin(&q, "FindByInventoryPath", &s->search);
	soap_request_text(&q, "inventoryPath", path);
	_cleanup_resp_ struct soap_response resp = {0};
	_cleanup_fault_ struct soap_fault f = {0};
	int r = call(s, "FindByInventoryPath", &q, &resp, &f);
	if (r < 0)
		return r;
	return soap_xpath_moref(&resp, NULL, "v:returnval", out);
}

/* Resolve a setting to an object of one of the wanted types; a clear exit-2
 * error names the setting and the path when it is missing or of a wrong kind. */
static int resolve(struct vs_session *s, const char *what, const char *shown, const char *setting,
		   const char *path, const char *const *types, struct soap_moref *out)
{
	int r = find_by_path(s, path, out);
	if (r == -ENOENT)
		return err_usage("%s '%s' not found in vCenter (%s; inventory path %s)", what, shown, setting,
				 path);
	if (r < 0)
		return r;
	for (size_t i = 0; types[i]; i++)
		if (!strcmp(out->type, types[i]))
			return 0;
	return err_usage("%s path %s (%s) is a %s, not a %s", what, path, setting, out->type, types[0]);
}

static int find_child(struct vs_session *s, const struct soap_moref *parent, const char *name,
		      struct soap_moref *out)
{
	struct soap_request q;
	soap_request_begin(&q, "FindChild", &s->search);
	soap_request_moref(&q, "entity", parent);
	soap_request_text(&q, "name", name);
	_cleanup_resp_ struct soap_response resp = {0};
	_cleanup_fault_ struct soap_fault f = {0};
	int r = call(s, "FindChild", &q, &resp, &f);
	if (r < 0)
		return r;
	return soap_xpath_moref(&resp, NULL, "v:returnval", out);
}

static int get_props(struct vs_session *s, const struct soap_moref *obj, const char *const *paths,
		     struct soap_response *resp, struct soap_fault *f)
{
	struct soap_request q;
	soap_request_begin(&q, "RetrievePropertiesEx", &s->pc);
	soap_request_open(&q, "specSet", NULL);
	soap_request_open(&q, "propSet", NULL);
	soap_request_text(&q, "type", obj->type);
	for (size_t i = 0; paths[i]; i++)
		soap_request_text(&q, "pathSet", paths[i]);
	soap_request_close(&q);
	soap_request_open(&q, "objectSet", NULL);
	soap_request_moref(&q, "obj", obj);
	soap_request_close(&q);
	soap_request_close(&q);
	soap_request_open(&q, "options", NULL);
	soap_request_close(&q);
	return call(s, "RetrievePropertiesEx", &q, resp, f);
}

static char *prop_string(struct soap_response *resp, const char *name, const char *sub)
{
	_cleanup_free_ char *expr = NULL;
	if (asprintf(&expr, "string(v:returnval/v:objects/v:propSet[v:name='%s']/v:val%s)", name,
		     sub ? sub : "") < 0)
		return NULL;
	return soap_xpath_string(resp, NULL, expr);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Wait for a task; its error becomes "<what> failed: <message>". */
static int wait_task(struct vs_session *s, const struct soap_moref *task, const char *what)
{
	static const char *const paths[] = {"info.state", "info.error", NULL};
	double start = now_monotonic();
	for (long delay = 100;; delay = delay < 2000 ? delay * 2 : 2000) {
		_cleanup_resp_ struct soap_response resp = {0};
		_cleanup_fault_ struct soap_fault f = {0};
		int r = get_props(s, task, paths, &resp, &f);
		if (r < 0)
			return r;
		_cleanup_free_ char *state = prop_string(&resp, "info.state", NULL);
		if (state && !strcmp(state, "success"))
			return 0;
		if (state && !strcmp(state, "error")) {
			_cleanup_free_ char *msg = prop_string(&resp, "info.error", "/v:localizedMessage");
			_cleanup_free_ char *type = prop_string(&resp, "info.error", "/v:fault/@xsi:type");
			return err_fail(-EIO, "%s failed: %s%s%s%s", what, msg ? msg : "task error",
					type ? " (" : "", type ? type : "", type ? ")" : "");
		}
		if (now_monotonic() - start > WAIT_SECONDS)
			return err_fail(-ETIMEDOUT, "%s did not finish within %.0f s", what, WAIT_SECONDS);
		sleep_ms(delay);
	}
}

static int run_task(struct vs_session *s, const char *method, const struct soap_moref *this_,
		    const char *param, const char *value, const char *what)
{
	struct soap_request q;
	soap_request_begin(&q, method, this_);
	if (param)
		soap_request_text(&q, param, value);
	_cleanup_resp_ struct soap_response resp = {0};
	_cleanup_fault_ struct soap_fault f = {0};
	int r = call(s, method, &q, &resp, &f);
	if (r < 0)
		return r;
	_cleanup_moref_ struct soap_moref task = {0};
	if (soap_xpath_moref(&resp, NULL, "v:returnval", &task) < 0)
		return err_fail(-EPROTO, "%s: vCenter returned no task", what);
	return wait_task(s, &task, what);
}

/* Does the object still exist? (ManagedObjectNotFound = no) */
static bool exists(struct vs_session *s, const struct soap_moref *obj)
{
	static const char *const paths[] = {"name", NULL};
	_cleanup_resp_ struct soap_response resp = {0};
	_cleanup_fault_ struct soap_fault f = {0};
	int r = get_props(s, obj, paths, &resp, &f);
	if (r < 0) {
		err_clear();
		return false;
	}
	_cleanup_free_ char *name = prop_string(&resp, "name", NULL);
	return name != NULL;
}

/* ---- the lease and the upload ---- */

struct upload {
	struct vs_session *s;
	const struct soap_moref *lease;
	struct archive *a;
	const char *name;
	uint64_t size, sent;
	uint64_t done_before, total, reported;
	EVP_MD_CTX *md;
	double last_keepalive;
	bool keepalive_failed, read_failed, interrupted;
};

static int lease_progress(struct vs_session *s, const struct soap_moref *lease, int percent)
{
	struct soap_request q;
	soap_request_begin(&q, "HttpNfcLeaseProgress", lease);
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%d", percent) < 0)
		return -ENOMEM;
	soap_request_text(&q, "percent", p);
	_cleanup_resp_ struct soap_response resp = {0};
	_cleanup_fault_ struct soap_fault f = {0};
	return call(s, "HttpNfcLeaseProgress", &q, &resp, &f);
}

static int percent_of(uint64_t done, uint64_t total)
{
	if (!total)
		return 0;
	uint64_t p = done * 100 / total;
	return p > 99 ? 99 : (int)p;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *userdata)
{
	struct upload *u = userdata;
	size_t want = size * nmemb;
	if (u->sent >= u->size)
		return 0;
	if (want > u->size - u->sent)
		want = (size_t)(u->size - u->sent);
	la_ssize_t n = archive_read_data(u->a, buf, want);
	if (n <= 0) {
		u->read_failed = true;
		return CURL_READFUNC_ABORT;
	}
	EVP_DigestUpdate(u->md, buf, (size_t)n);
	u->sent += (uint64_t)n;
	return (size_t)n;
}

static size_t on_discard(char *data, size_t size, size_t nmemb, void *userdata)
{
	(void)data;
	(void)userdata;
	return size * nmemb;
}

static int on_xfer(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	struct upload *u = userdata;
	if (signals_interrupted()) {
		u->interrupted = true;
		return 1;
	}
	if ((uint64_t)ulnow != u->reported || ulnow == 0) {
		u->reported = (uint64_t)ulnow;
		if (ulnow > 0)
			log_progress("publish", u->done_before + (uint64_t)ulnow, u->total, "bytes");
	}
	double now = now_monotonic();
	if (now - u->last_keepalive >= KEEPALIVE_SECONDS) {
		u->last_keepalive = now;
		/* Keep the lease alive; a lease vCenter dropped fails here. */
		if (lease_progress(u->s, u->lease, percent_of(u->done_before + (uint64_t)ulnow, u->total)) <
		    0) {
			u->keepalive_failed = true;
			return 1;
		}
	}
	return 0;
}

/* A device URL's "*" host stands for the vCenter we talk to. */
static char *device_url(const struct vs_session *s, const char *url)
{
	const char *p = strstr(url, "://");
	if (!p || p[3] != '*')
		return xstrdup(url);
	const char *rest = p + 3 + strcspn(p + 3, "/");
	char *out = NULL;
	if (asprintf(&out, "https://%s%s", s->authority, rest) < 0)
		return NULL;
	return out;
}

static int upload_file(struct vs_session *s, const struct soap_moref *lease, const char *ova_path,
		       const struct vsphere_ova *ova, const char *file, const char *url_in, bool create,
		       uint64_t done_before, uint64_t total, uint64_t *sent)
{
	_cleanup_free_ char *url = device_url(s, url_in);
	if (!url)
		return -ENOMEM;
	struct archive *a;
	int r = ova_open(ova_path, &a);
	if (r < 0)
		return r;
	struct archive_entry *e;
	int ar;
	bool found = false;
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		if (!strcmp(archive_entry_pathname(e), file)) {
			found = true;
			break;
		}
	if (!found) {
		archive_read_free(a);
		return err_verify(-ENOENT, "%s: the OVF references %s but the OVA does not hold it", ova_path,
				  file);
	}
	struct upload u = {.s = s,
			   .lease = lease,
			   .a = a,
			   .name = file,
			   .size = (uint64_t)archive_entry_size(e),
			   .done_before = done_before,
			   .total = total,
			   .md = EVP_MD_CTX_new(),
			   .last_keepalive = now_monotonic()};
	CURL *h = soap_client_new_handle(s->c);
	struct curl_slist *hdr = NULL;
	if (!u.md || !h || EVP_DigestInit_ex(u.md, EVP_sha256(), NULL) != 1) {
		r = err_fail(-ENOMEM, "Failed to set up the upload of %s", file);
		goto out;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	hdr = curl_slist_append(hdr, "Expect:");
	if (create) {
		hdr = curl_slist_append(hdr, "Overwrite: t");
		hdr = curl_slist_append(hdr, "Content-Type: application/octet-stream");
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u.size);
	} else {
		hdr = curl_slist_append(hdr, "Content-Type: application/x-vnd.vmware-streamVmdk");
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)u.size);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_discard);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xfer);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &u);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	log_info("Uploading %s (%llu bytes)", file, (unsigned long long)u.size);
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	*sent = u.sent;
	if (u.interrupted) {
		r = err_interrupted("publish");
	} else if (u.keepalive_failed) {
		_cleanup_free_ char *why = xstrdup(err_message());
		r = err_fail(-EIO, "The import lease failed during the upload of %s: %s", file, why);
	} else if (u.read_failed) {
		r = err_fail(-EIO, "Cannot read %s from %s: %s", file, ova_path, archive_error_string(a));
	} else if (rc != CURLE_OK) {
		if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
		    rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
			r = soap_transport_error(rc, errbuf, url);
		else
			r = err_fail(-EIO, "The upload of %s was interrupted (%llu of %llu bytes sent): %s",
				     file, (unsigned long long)u.sent, (unsigned long long)u.size,
				     *errbuf ? errbuf : curl_easy_strerror(rc));
	} else if (status < 200 || status > 299) {
		r = err_fail(-EIO, "vCenter refused the upload of %s: HTTP %ld", file, status);
	} else if (u.sent != u.size) {
		r = err_fail(-EIO, "The upload of %s ended after %llu of %llu bytes", file,
			     (unsigned long long)u.sent, (unsigned long long)u.size);
	} else {
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned dl = 0;
		char hex[65];
		EVP_DigestFinal_ex(u.md, d, &dl);
		for (unsigned i = 0; i < dl && i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		const char *want = manifest_digest(ova, file);
		if (want && strcmp(want, hex))
			r = err_verify(-EBADMSG,
				       "%s in %s does not match its manifest (SHA-256 %s, manifest says %s)",
				       file, ova_path, hex, want);
		else
			log_info("Uploaded %s (%llu bytes, SHA-256 %s%s)", file, (unsigned long long)u.sent,
				 hex, want ? ", matches the manifest" : "");
	}
out:
	curl_slist_free_all(hdr);
	if (h)
		curl_easy_cleanup(h);
	EVP_MD_CTX_free(u.md);
	archive_read_free(a);
	return r;
}

/* Wait until the lease is ready; resp keeps its info for the caller. */
static int wait_lease(struct vs_session *s, const struct soap_moref *lease, struct soap_response *resp)
{
	static const char *const paths[] = {"state", "error", "info", NULL};
	double start = now_monotonic();
	for (long delay = 100;; delay = delay < 2000 ? delay * 2 : 2000) {
		if (signals_interrupted())
			return err_interrupted("publish");
		_cleanup_fault_ struct soap_fault f = {0};
		int r = get_props(s, lease, paths, resp, &f);
		if (r < 0)
			return r;
		_cleanup_free_ char *state = prop_string(resp, "state", NULL);
		if (state && !strcmp(state, "ready"))
			return 0;
		if (state && !strcmp(state, "error")) {
			_cleanup_free_ char *msg = prop_string(resp, "error", "/v:localizedMessage");
			_cleanup_free_ char *type = prop_string(resp, "error", "/v:fault/@xsi:type");
			return err_fail(-EIO, "vCenter could not prepare the import: %s%s%s%s",
					msg ? msg : "lease error", type ? " (" : "", type ? type : "",
					type ? ")" : "");
		}
		if (state && !strcmp(state, "done"))
			return err_fail(-EIO, "The import lease ended before the upload started");
		soap_response_free(resp);
		if (now_monotonic() - start > WAIT_SECONDS)
			return err_fail(-ETIMEDOUT, "The import lease was not ready within %.0f s",
					WAIT_SECONDS);
		sleep_ms(delay);
	}
}

struct file_item {
	char *device_id, *path;
	bool create;
	uint64_t size;
};

static void file_items_free(struct file_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].device_id);
		free(items[i].path);
	}
	free(items);
}

/* Upload every file the import spec asks for to its device URL. */
static int upload_all(struct vs_session *s, const struct soap_moref *lease, struct soap_response *lease_info,
		      const struct file_item *items, size_t n_items, const char *ova_path,
		      const struct vsphere_ova *ova, uint64_t *bytes)
{
	_cleanup_free_ xmlNodePtr *urls = NULL;
	size_t n_urls = 0;
	soap_xpath_nodes(lease_info, NULL, "v:returnval/v:objects/v:propSet[v:name='info']/v:val/v:deviceUrl",
			 &urls, &n_urls);
	uint64_t total = 0;
	for (size_t i = 0; i < n_items; i++)
		total += items[i].size;
	*bytes = 0;
	for (size_t i = 0; i < n_items; i++) {
		_cleanup_free_ char *url = NULL;
		for (size_t j = 0; j < n_urls && !url; j++) {
			_cleanup_free_ char *key =
			    soap_xpath_string(lease_info, urls[j], "string(v:importKey)");
			if (key && !strcmp(key, items[i].device_id))
				url = soap_xpath_string(lease_info, urls[j], "string(v:url)");
		}
		if (!url)
			return err_fail(-EPROTO,
					"vCenter's import lease has no upload URL for %s (device %s)",
					items[i].path, items[i].device_id);
		uint64_t sent = 0;
		int r = upload_file(s, lease, ova_path, ova, items[i].path, url, items[i].create, *bytes,
				    total, &sent);
		*bytes += sent;
		if (r < 0)
			return r;
		r = lease_progress(s, lease, percent_of(*bytes, total));
		if (r < 0) {
			_cleanup_free_ char *why = xstrdup(err_message());
			return err_fail(r, "The import lease failed after the upload of %s: %s",
					items[i].path, why);
		}
	}
	return 0;
}

static int read_file_items(struct soap_response *spec, struct file_item **out, size_t *n_out)
{
	_cleanup_free_ xmlNodePtr *nodes = NULL;
	size_t n = 0;
	soap_xpath_nodes(spec, NULL, "v:returnval/v:fileItem", &nodes, &n);
	struct file_item *items = xcalloc(n ? n : 1, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		items[i].device_id = soap_xpath_string(spec, nodes[i], "string(v:deviceId)");
		items[i].path = soap_xpath_string(spec, nodes[i], "string(v:path)");
		_cleanup_free_ char *create = soap_xpath_string(spec, nodes[i], "string(v:create)");
		_cleanup_free_ char *size = soap_xpath_string(spec, nodes[i], "string(v:size)");
		items[i].create = create && !strcmp(create, "true");
		items[i].size = size ? strtoull(size, NULL, 10) : 0;
		if (!items[i].device_id || !items[i].path) {
			file_items_free(items, n);
			return err_fail(-EPROTO, "vCenter's import spec names a file without device or path");
		}
	}
	*out = items;
	*n_out = n;
	return 0;
}

/* ---- publish ---- */

static int check_settings(const struct vsphere_settings *vs)
{
	static const char *const hint = "publishing to vSphere needs";
	if (str_empty(vs->server))
		return err_usage("%s a vCenter (--vcenter, --vsphere-server or VSPHERE_SERVER)", hint);
	if (str_empty(vs->user))
		return err_usage("%s a user (--user, --vsphere-user or VSPHERE_USER)", hint);
	if (str_empty(vs->password))
		return err_usage("%s a password (VSPHERE_PASSWORD or --password-file)", hint);
	if (str_empty(vs->datacenter))
		return err_usage("%s a datacenter (--datacenter or VSPHERE_DATACENTER)", hint);
	if (str_empty(vs->datastore))
		return err_usage("%s a datastore (--datastore or VSPHERE_DATASTORE)", hint);
	if (str_empty(vs->cluster) && str_empty(vs->resource_pool))
		return err_usage(
		    "%s a cluster or resource pool (--cluster/VSPHERE_CLUSTER or --resource-pool)", hint);
	if (!str_empty(vs->content_library))
		return err_usage(
		    "publishing into a content library (--content-library %s) is not supported yet; "
		    "publish a template into a folder instead",
		    vs->content_library);
	return 0;
}

static char *default_name(const char *ova_path)
{
	const char *base = strrchr(ova_path, '/');
	base = base ? base + 1 : ova_path;
	size_t n = strlen(base);
	if (n > 4 && !strcasecmp(base + n - 4, ".ova"))
		n -= 4;
	return strndup(base, n);
}

void vsphere_publish_result_free(struct vsphere_publish_result *res)
{
	if (!res)
		return;
	free(res->name);
	free(res->inventory_path);
	free(res->moref);
	free(res->vcenter);
	memset(res, 0, sizeof(*res));
}

/* Undo a failed import: abort the lease if still open, destroy the VM it
 * created. Keeps the error already recorded. */
static void rollback(struct vs_session *s, const struct soap_moref *lease, bool lease_open,
		     const struct soap_moref *vm)
{
	struct err_saved saved;
	err_save(&saved);
	bool was_interrupted = signals_interrupted();
	signals_set_interrupted(false); /* let the clean-up calls run */
	if (lease_open && lease->value) {
		if (call_simple(s, "HttpNfcLeaseAbort", lease, NULL, NULL) < 0)
			log_warn("Could not abort the import lease: %s", err_message());
		else
			log_info("Aborted the import lease");
	}
	if (vm->value && exists(s, vm)) {
		if (run_task(s, "Destroy_Task", vm, NULL, NULL, "Removing the half-imported VM") < 0)
			log_warn("Could not remove the half-imported VM %s: %s", vm->value, err_message());
		else
			log_info("Removed the half-imported VM %s", vm->value);
	}
	signals_set_interrupted(was_interrupted);
	err_restore(&saved, "publish failed");
}

int vsphere_publish(const struct vsphere_settings *vs, const char *ova_path, const char *name,
		    struct vsphere_publish_result *res)
{
	memset(res, 0, sizeof(*res));
	double t0 = now_monotonic();
	int r = check_settings(vs);
	if (r < 0)
		return r;
	log_add_secret(vs->password);

	struct vsphere_ova ova;
	r = vsphere_ova_read(ova_path, &ova);
	if (r < 0)
		return r;
	_cleanup_free_ char *vm_name = name ? xstrdup(name) : default_name(ova_path);
	if (str_empty(vm_name)) {
		vsphere_ova_free(&ova);
		return err_usage("no name for the template (--name)");
	}

	struct vs_session s = {0};
	_cleanup_moref_ struct soap_moref dc = {0}, pool = {0}, ds = {0}, net = {0}, folder = {0},
					  existing = {0}, lease = {0}, vm = {0};
	_cleanup_free_ char *dc_path = NULL, *pool_path = NULL, *ds_path = NULL, *net_path = NULL,
			    *folder_path = NULL, *import_name = NULL;
	struct file_item *items = NULL;
	size_t n_items = 0;
	bool lease_open = false, imported = false;
	_cleanup_resp_ struct soap_response spec = {0};
	_cleanup_resp_ struct soap_response lease_info = {0};

	r = session_open(&s, vs);
	if (r < 0)
		goto out;

	static const char *const dc_types[] = {"Datacenter", NULL};
	static const char *const pool_types[] = {"ResourcePool", "VirtualApp", NULL};
	static const char *const ds_types[] = {"Datastore", NULL};
	static const char *const net_types[] = {"Network", "DistributedVirtualPortgroup", "OpaqueNetwork",
						NULL};
	static const char *const folder_types[] = {"Folder", NULL};
	{
		struct strbuf sb = STRBUF_INIT;
		sb_init(&sb);
		add_trimmed(&sb, vs->datacenter);
		dc_path = sb_detach(&sb, NULL);
	}
	pool_path = vsphere_pool_path(dc_path, vs->cluster, vs->resource_pool);
	ds_path = vsphere_inventory_path(dc_path, "datastore", vs->datastore);
	folder_path = vsphere_inventory_path(dc_path, "vm", vs->folder);
	bool by_pool = !str_empty(vs->resource_pool);
	if ((r = resolve(&s, "datacenter", vs->datacenter, "--datacenter/VSPHERE_DATACENTER", dc_path,
			 dc_types, &dc)) < 0 ||
	    (r = resolve(&s, by_pool ? "resource pool" : "cluster", by_pool ? vs->resource_pool : vs->cluster,
			 by_pool ? "--resource-pool/VSPHERE_RESOURCE_POOL" : "--cluster/VSPHERE_CLUSTER",
			 pool_path, pool_types, &pool)) < 0 ||
	    (r = resolve(&s, "datastore", vs->datastore, "--datastore/VSPHERE_DATASTORE", ds_path, ds_types,
			 &ds)) < 0 ||
	    (r = resolve(&s, "folder", vs->folder ? vs->folder : "vm", "--folder/VSPHERE_OUTPUT_FOLDER",
			 folder_path, folder_types, &folder)) < 0)
		goto out;
	if (!str_empty(vs->network)) {
		net_path = vsphere_inventory_path(dc_path, "network", vs->network);
		r = resolve(&s, "network", vs->network, "--network/VSPHERE_NETWORK", net_path, net_types,
			    &net);
		if (r < 0)
			goto out;
	} else {
		log_warn("No network given (--network/VSPHERE_NETWORK): vCenter picks the NIC's network");
	}

	r = find_child(&s, &folder, vm_name, &existing);
	if (r < 0 && r != -ENOENT)
		goto out;
	if (r == 0 && !vs->force) {
		r = err_usage(
		    "a VM or template named '%s' already exists in %s; pass --force to replace it, or choose "
		    "another --name",
		    vm_name, folder_path);
		goto out;
	}
	if (r == 0) {
		/* Import beside it and swap at the end: a failed upload keeps the old one. */
		_cleanup_free_ char *suffix = random_hex(4);
		if (asprintf(&import_name, "%s-hnbuild-%s", vm_name, suffix) < 0) {
			r = -ENOMEM;
			goto out;
		}
		log_info("'%s' exists in %s: importing as %s, replacing it at the end (--force)", vm_name,
			 folder_path, import_name);
	} else {
		import_name = xstrdup(vm_name);
		soap_moref_free(&existing);
	}

	/* CreateImportSpec */
	{
		struct vsphere_import_params p = {.ovf_manager = &s.ovf_manager,
						  .pool = &pool,
						  .datastore = &ds,
						  .network = net.value ? &net : NULL,
						  .ovf = ova.ovf,
						  .entity_name = import_name,
						  .ovf_networks = ova.networks};
		_cleanup_free_ char *xml = NULL;
		size_t len;
		r = vsphere_build_create_import_spec(&p, &xml, &len);
		if (r < 0) {
			r = err_fail_errno(r, "Failed to write the CreateImportSpec request");
			goto out;
		}
		_cleanup_fault_ struct soap_fault f = {0};
		r = soap_call(s.c, "CreateImportSpec", xml, len, &spec, &f);
		if (r < 0)
			goto out;
		_cleanup_free_ char *errors = vsphere_import_spec_errors(&spec);
		if (errors) {
			r = err_fail(-EINVAL, "vCenter cannot import %s: %s", ova_path, errors);
			goto out;
		}
		_cleanup_free_ char *warnings = join_messages(&spec, "v:returnval/v:warning");
		if (warnings)
			log_warn("vCenter: %s", warnings);
		r = read_file_items(&spec, &items, &n_items);
		if (r < 0)
			goto out;
	}

	/* ImportVApp */
	{
		_cleanup_free_ char *xml = NULL;
		size_t len;
		r = vsphere_build_import_vapp(&pool, &spec, &folder, &xml, &len);
		if (r < 0)
			goto out;
		_cleanup_resp_ struct soap_response resp = {0};
		_cleanup_fault_ struct soap_fault f = {0};
		log_info("Importing %s into %s as %s", ova_path, folder_path, import_name);
		r = soap_call(s.c, "ImportVApp", xml, len, &resp, &f);
		if (r < 0)
			goto out;
		if (soap_xpath_moref(&resp, NULL, "v:returnval", &lease) < 0) {
			r = err_fail(-EPROTO, "ImportVApp returned no lease");
			goto out;
		}
		lease_open = true;
	}

	r = wait_lease(&s, &lease, &lease_info);
	if (r < 0) {
		/* The VM may already exist; find it by name to remove it. */
		find_child(&s, &folder, import_name, &vm);
		err_clear();
		goto rollback_out;
	}
	if (soap_xpath_moref(&lease_info, NULL,
			     "v:returnval/v:objects/v:propSet[v:name='info']/v:val/v:entity", &vm) < 0) {
		r = err_fail(-EPROTO, "The import lease does not name the new VM");
		goto rollback_out;
	}
	r = upload_all(&s, &lease, &lease_info, items, n_items, ova_path, &ova, &res->bytes);
	if (r < 0)
		goto rollback_out;
	if (signals_interrupted()) {
		r = err_interrupted("publish");
		goto rollback_out;
	}
	r = call_simple(&s, "HttpNfcLeaseComplete", &lease, NULL, NULL);
	if (r < 0) {
		_cleanup_free_ char *why = xstrdup(err_message());
		r = err_fail(r, "Completing the import failed: %s", why);
		goto rollback_out;
	}
	lease_open = false;
	imported = true;
	log_info("Imported %s as %s (%s)", ova_path, import_name, vm.value);

	if (existing.value) {
		r = run_task(&s, "Destroy_Task", &existing, NULL, NULL, "Removing the existing VM/template");
		if (r < 0)
			goto rollback_out; /* the old one stays; the new one goes */
		res->replaced = true;
		r = run_task(&s, "Rename_Task", &vm, "newName", vm_name, "Renaming the new import");
		if (r < 0) {
			_cleanup_free_ char *why = xstrdup(err_message());
			r = err_fail(r, "%s; the old '%s' was removed and the new import is named %s", why,
				     vm_name, import_name);
			goto out;
		}
	}
	if (vs->template_) {
		r = call_simple(&s, "MarkAsTemplate", &vm, NULL, NULL);
		if (r < 0) {
			_cleanup_free_ char *why = xstrdup(err_message());
			r = err_fail(r, "Marking %s as a template failed: %s (the VM is kept)", vm_name, why);
			goto out;
		}
		res->template_ = true;
	}
	res->name = xstrdup(vm_name);
	res->moref = xstrdup(vm.value);
	res->vcenter = xstrdup(s.url);
	if (asprintf(&res->inventory_path, "/%s/%s", folder_path, vm_name) < 0)
		res->inventory_path = NULL;
	res->seconds = now_monotonic() - t0;
	log_info("Published %s %s to %s", res->template_ ? "template" : "VM", res->inventory_path, s.url);
	r = 0;
	goto out;

rollback_out:
	(void)imported;
	rollback(&s, &lease, lease_open, &vm);
out:
	file_items_free(items, n_items);
	session_close(&s);
	vsphere_ova_free(&ova);
	if (r < 0)
		vsphere_publish_result_free(res);
	return r;
}
