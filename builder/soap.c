/* soap.c — vim25 SOAP envelopes, responses and the HTTPS session behind
 * soap.h. Request bodies hold secrets (Login's password): they are never
 * logged. */
#include "soap.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpathInternals.h>

#include "cleanup.h"
#include "err.h"
#include "fetch.h"
#include "log.h"
#include "spec.h"
#include "strbuf.h"
#include "util.h"

#define SOAP_MAX_RESPONSE (64u << 20)
#define SOAP_FAULT_TEXT_MAX 1024

void soap_moref_free(struct soap_moref *m)
{
	if (!m)
		return;
	free(m->type);
	free(m->value);
	m->type = m->value = NULL;
}

void soap_moref_set(struct soap_moref *m, const char *type, const char *value)
{
	str_set(&m->type, type);
	str_set(&m->value, value);
}

/* ---- requests ---- */

static void req_check(struct soap_request *r, int rc)
{
	if (rc < 0 && !r->err)
		r->err = -ENOMEM;
}

int soap_request_begin(struct soap_request *r, const char *method, const struct soap_moref *this_)
{
	memset(r, 0, sizeof(*r));
	r->buf = xmlBufferCreate();
	if (!r->buf)
		return -ENOMEM;
	r->w = xmlNewTextWriterMemory(r->buf, 0);
	if (!r->w) {
		xmlBufferFree(r->buf);
		r->buf = NULL;
		return -ENOMEM;
	}
	req_check(r, xmlTextWriterStartDocument(r->w, "1.0", "UTF-8", NULL));
	req_check(r, xmlTextWriterStartElementNS(r->w, BAD_CAST "soapenv", BAD_CAST "Envelope",
						 BAD_CAST SOAP_ENV_NS));
	req_check(r, xmlTextWriterWriteAttribute(r->w, BAD_CAST "xmlns:xsd",
						 BAD_CAST "http://www.w3.org/2001/XMLSchema"));
	req_check(r, xmlTextWriterWriteAttribute(r->w, BAD_CAST "xmlns:xsi", BAD_CAST SOAP_XSI_NS));
	req_check(r, xmlTextWriterStartElementNS(r->w, BAD_CAST "soapenv", BAD_CAST "Body", NULL));
	req_check(r, xmlTextWriterStartElement(r->w, BAD_CAST method));
	req_check(r, xmlTextWriterWriteAttribute(r->w, BAD_CAST "xmlns", BAD_CAST SOAP_VIM_NS));
	if (this_)
		soap_request_moref(r, "_this", this_);
	return r->err;
}

void soap_request_text(struct soap_request *r, const char *name, const char *value)
{
	req_check(r, xmlTextWriterStartElement(r->w, BAD_CAST name));
	req_check(r, xmlTextWriterWriteString(r->w, BAD_CAST(value ? value : "")));
	req_check(r, xmlTextWriterEndElement(r->w));
}

void soap_request_moref(struct soap_request *r, const char *name, const struct soap_moref *m)
{
	req_check(r, xmlTextWriterStartElement(r->w, BAD_CAST name));
	req_check(r, xmlTextWriterWriteAttribute(r->w, BAD_CAST "type", BAD_CAST(m->type ? m->type : "")));
	req_check(r, xmlTextWriterWriteString(r->w, BAD_CAST(m->value ? m->value : "")));
	req_check(r, xmlTextWriterEndElement(r->w));
}

void soap_request_open(struct soap_request *r, const char *name, const char *xsi_type)
{
	req_check(r, xmlTextWriterStartElement(r->w, BAD_CAST name));
	if (xsi_type)
		req_check(r, xmlTextWriterWriteAttribute(r->w, BAD_CAST "xsi:type", BAD_CAST xsi_type));
}

void soap_request_close(struct soap_request *r)
{
	req_check(r, xmlTextWriterEndElement(r->w));
}

void soap_request_declare_ns(struct soap_request *r, xmlNodePtr scope)
{
	xmlNsPtr *list = xmlGetNsList(scope->doc, scope);
	for (size_t i = 0; list && list[i]; i++) {
		if (!list[i]->prefix)
			continue;
		_cleanup_free_ char *attr = NULL;
		if (asprintf(&attr, "xmlns:%s", (const char *)list[i]->prefix) < 0) {
			r->err = -ENOMEM;
			break;
		}
		req_check(r, xmlTextWriterWriteAttribute(r->w, BAD_CAST attr, list[i]->href));
	}
	xmlFree(list);
}

void soap_request_raw(struct soap_request *r, const char *xml)
{
	/* Close a pending start tag first: WriteRaw does not. */
	req_check(r, xmlTextWriterWriteString(r->w, BAD_CAST ""));
	req_check(r, xmlTextWriterWriteRaw(r->w, BAD_CAST xml));
}

int soap_request_finish(struct soap_request *r, char **xml, size_t *len)
{
	req_check(r, xmlTextWriterEndDocument(r->w));
	xmlFreeTextWriter(r->w);
	r->w = NULL;
	if (r->err)
		return r->err;
	size_t n = (size_t)xmlBufferLength(r->buf);
	char *s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, xmlBufferContent(r->buf), n);
	s[n] = '\0';
	*xml = s;
	if (len)
		*len = n;
	return 0;
}

void soap_request_free(struct soap_request *r)
{
	if (r->w)
		xmlFreeTextWriter(r->w);
	if (r->buf) {
		/* Bodies may hold the password. */
		if (xmlBufferLength(r->buf) > 0)
			explicit_bzero((void *)xmlBufferContent(r->buf), (size_t)xmlBufferLength(r->buf));
		xmlBufferFree(r->buf);
	}
	r->w = NULL;
	r->buf = NULL;
}

/* ---- responses ---- */

void soap_response_free(struct soap_response *resp)
{
	if (resp->xp)
		xmlXPathFreeContext(resp->xp);
	if (resp->doc)
		xmlFreeDoc(resp->doc);
	memset(resp, 0, sizeof(*resp));
}

void soap_fault_free(struct soap_fault *f)
{
	if (!f)
		return;
	free(f->message);
	free(f->type);
	f->message = f->type = NULL;
}

static xmlNodePtr first_element(xmlNodePtr n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static bool is_ns(xmlNodePtr n, const char *ns, const char *name)
{
	return n && n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns) &&
	       !strcmp((const char *)n->name, name);
}

static char *node_text(xmlNodePtr n)
{
	if (!n)
		return NULL;
	xmlChar *c = xmlNodeGetContent(n);
	if (!c)
		return NULL;
	char *s = xstrdup((const char *)c);
	xmlFree(c);
	return s;
}

char *soap_node_xsi_type(xmlNodePtr node)
{
	xmlChar *t = xmlGetNsProp(node, BAD_CAST "type", BAD_CAST SOAP_XSI_NS);
	if (!t)
		return NULL;
	/* Drop a prefix ("vim25:HttpNfcLeaseState"). */
	const char *colon = strchr((const char *)t, ':');
	char *s = xstrdup(colon ? colon + 1 : (const char *)t);
	xmlFree(t);
	return s;
}

static void parse_fault(xmlNodePtr fault_el, struct soap_fault *fault)
{
	for (xmlNodePtr c = first_element(fault_el->children); c; c = first_element(c->next)) {
		if (!strcmp((const char *)c->name, "faultstring")) {
			free(fault->message); /* a second one (found by fuzz_soap): the last wins */
			fault->message = node_text(c);
		}
		else if (!strcmp((const char *)c->name, "detail")) {
			xmlNodePtr d = first_element(c->children);
			if (!d)
				continue;
			free(fault->type);
			fault->type = soap_node_xsi_type(d);
			if (!fault->type) {
				const char *name = (const char *)d->name;
				size_t n = strlen(name);
				if (n > 5 && !strcmp(name + n - 5, "Fault"))
					n -= 5;
				fault->type = strndup(name, n);
			}
		}
	}
	if (!fault->message || !*fault->message)
		str_set(&fault->message, fault->type ? fault->type : "unspecified fault");
	/* A fault text is shown in one error line: a hostile server's megabytes
	 * are cut. */
	if (strlen(fault->message) > SOAP_FAULT_TEXT_MAX)
		strcpy(fault->message + SOAP_FAULT_TEXT_MAX - 4, " ...");
}

int soap_response_parse(const char *xml, size_t len, struct soap_response *resp, struct soap_fault *fault)
{
	memset(resp, 0, sizeof(*resp));
	if (fault)
		memset(fault, 0, sizeof(*fault));
	if (len > SOAP_MAX_RESPONSE)
		return -EPROTO;
	/* SOAP messages carry no DTD (SOAP 1.1, section 3): a response with one
	 * is refused before libxml2 sees it, so no entity is ever declared or
	 * expanded. libxml2's own limits stay on (no XML_PARSE_HUGE). */
	if (memmem(xml, len, "<!DOCTYPE", 9) || memmem(xml, len, "<!ENTITY", 8))
		return -EPROTO;
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "response.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return -EPROTO;
	if (doc->intSubset || doc->extSubset) {
		xmlFreeDoc(doc);
		return -EPROTO;
	}
	xmlNodePtr env = xmlDocGetRootElement(doc);
	xmlNodePtr body = NULL;
	if (is_ns(env, SOAP_ENV_NS, "Envelope"))
		for (xmlNodePtr c = first_element(env->children); c; c = first_element(c->next))
			if (is_ns(c, SOAP_ENV_NS, "Body"))
				body = c;
	xmlNodePtr result = body ? first_element(body->children) : NULL;
	if (!result) {
		xmlFreeDoc(doc);
		return -EPROTO;
	}
	if (is_ns(result, SOAP_ENV_NS, "Fault")) {
		if (fault)
			parse_fault(result, fault);
		xmlFreeDoc(doc);
		return -EREMOTEIO;
	}
	resp->doc = doc;
	resp->result = result;
	resp->xp = xmlXPathNewContext(doc);
	if (!resp->xp) {
		soap_response_free(resp);
		return -ENOMEM;
	}
	xmlXPathRegisterNs(resp->xp, BAD_CAST "v", BAD_CAST SOAP_VIM_NS);
	xmlXPathRegisterNs(resp->xp, BAD_CAST "xsi", BAD_CAST SOAP_XSI_NS);
	return 0;
}

static xmlXPathObjectPtr eval(struct soap_response *resp, xmlNodePtr node, const char *expr)
{
	if (!resp->xp)
		return NULL;
	resp->xp->node = node ? node : resp->result;
	return xmlXPathEvalExpression(BAD_CAST expr, resp->xp);
}

char *soap_xpath_string(struct soap_response *resp, xmlNodePtr node, const char *expr)
{
	xmlXPathObjectPtr o = eval(resp, node, expr);
	if (!o)
		return NULL;
	char *s = NULL;
	xmlChar *v = xmlXPathCastToString(o);
	if (v && *v)
		s = xstrdup((const char *)v);
	xmlFree(v);
	xmlXPathFreeObject(o);
	return s;
}

int soap_xpath_nodes(struct soap_response *resp, xmlNodePtr node, const char *expr, xmlNodePtr **nodes,
		     size_t *n)
{
	*nodes = NULL;
	*n = 0;
	xmlXPathObjectPtr o = eval(resp, node, expr);
	if (!o)
		return -EINVAL;
	if (o->type == XPATH_NODESET && o->nodesetval && o->nodesetval->nodeNr > 0) {
		size_t cnt = (size_t)o->nodesetval->nodeNr;
		*nodes = xcalloc(cnt, sizeof(xmlNodePtr));
		memcpy(*nodes, o->nodesetval->nodeTab, cnt * sizeof(xmlNodePtr));
		*n = cnt;
	}
	xmlXPathFreeObject(o);
	return 0;
}

int soap_xpath_moref(struct soap_response *resp, xmlNodePtr node, const char *expr, struct soap_moref *out)
{
	_cleanup_free_ xmlNodePtr *nodes = NULL;
	size_t n;
	int r = soap_xpath_nodes(resp, node, expr, &nodes, &n);
	if (r < 0)
		return r;
	if (n == 0 || nodes[0]->type != XML_ELEMENT_NODE)
		return -ENOENT;
	xmlChar *type = xmlGetProp(nodes[0], BAD_CAST "type");
	_cleanup_free_ char *value = node_text(nodes[0]);
	if (!type || !value || !*value) {
		xmlFree(type);
		return -ENOENT;
	}
	soap_moref_set(out, (const char *)type, value);
	xmlFree(type);
	return 0;
}

char *soap_node_inner_xml(xmlNodePtr node)
{
	xmlBufferPtr buf = xmlBufferCreate();
	if (!buf)
		return NULL;
	for (xmlNodePtr c = node->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE || c->type == XML_TEXT_NODE)
			xmlNodeDump(buf, node->doc, c, 0, 0);
	char *s = xstrdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return s;
}

/* ---- the HTTPS session ---- */

struct soap_client {
	CURL *curl;
	CURLSH *share;
	char *url;
	char *ca_file;
	bool insecure;
	long timeout;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void setup_tls(struct soap_client *c, CURL *h)
{
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hnbuild/" HNBUILD_VERSION);
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	/* The cookie engine keeps vmware_soap_session. */
	curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");
}

int soap_client_new(const struct soap_client_options *o, struct soap_client **out)
{
	pthread_once(&curl_once, curl_init_once);
	struct soap_client *c = xcalloc(1, sizeof(*c));
	c->url = xstrdup(o->url);
	c->ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL;
	c->insecure = o->insecure;
	c->timeout = o->timeout > 0 ? o->timeout : 300;
	c->share = curl_share_init();
	c->curl = curl_easy_init();
	if (!c->share || !c->curl) {
		soap_client_free(c);
		return err_fail(-ENOMEM, "Failed to set up a connection to %s", o->url);
	}
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	setup_tls(c, c->curl);
	c->headers = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8");
	c->headers = curl_slist_append(c->headers, "SOAPAction: \"urn:vim25/" SOAP_VIM_VERSION "\"");
	c->headers = curl_slist_append(c->headers, "Expect:");
	curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
	fetch_apply_host_proxy(c->curl, c->url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, c->timeout);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	*out = c;
	return 0;
}

void soap_client_free(struct soap_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	if (c->share)
		curl_share_cleanup(c->share);
	curl_slist_free_all(c->headers);
	free(c->url);
	free(c->ca_file);
	free(c);
}

CURL *soap_client_new_handle(struct soap_client *c)
{
	CURL *h = curl_easy_init();
	if (h)
		setup_tls(c, h);
	return h;
}

int soap_transport_error(CURLcode rc, const char *errbuf, const char *url)
{
	const char *why = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return err_fail(-EACCES,
				"TLS verification of %s failed: %s (trust its CA with --ca-file, or "
				"--vsphere-ca-file for "
				"build; --insecure skips verification)",
				url, why);
	case CURLE_SSL_CONNECT_ERROR:
		return err_fail(-ECONNREFUSED, "TLS connection to %s failed: %s", url, why);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return err_fail(-ECONNREFUSED, "Cannot connect to vCenter at %s: %s", url, why);
	case CURLE_OPERATION_TIMEDOUT:
		return err_fail(-ETIMEDOUT, "vCenter at %s did not answer in time: %s", url, why);
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	default:
		return err_fail(-EIO, "Transfer to %s failed: %s", url, why);
	}
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct strbuf *sb = userdata;
	size_t n = size * nmemb;
	if (sb->len + n > SOAP_MAX_RESPONSE)
		return 0;
	sb_add(sb, data, n);
	return n;
}

int soap_call(struct soap_client *c, const char *what, const char *body, size_t len,
	      struct soap_response *resp, struct soap_fault *fault)
{
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	sb_init(&out);
	memset(resp, 0, sizeof(*resp));
	memset(fault, 0, sizeof(*fault));
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &out);
	log_debug("vSphere: %s", what);
	CURLcode rc = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
	if (rc != CURLE_OK)
		return soap_transport_error(rc, c->errbuf, c->url);
	long status = 0;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	int r = soap_response_parse(out.buf, out.len, resp, fault);
	if (r == -EREMOTEIO)
		return err_fail(r, "%s failed: %s (%s)", what, fault->message,
				fault->type ? fault->type : "fault");
	if (r == -EPROTO) {
		if (status != 200)
			return err_fail(-EPROTO, "%s failed: HTTP %ld from %s (is this a vCenter SDK URL?)",
					what, status, c->url);
		return err_fail(-EPROTO, "%s failed: %s answered something that is not a SOAP response", what,
				c->url);
	}
	if (r < 0)
		return err_fail_errno(r, "%s failed", what);
	return 0;
}
