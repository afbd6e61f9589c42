/* soap.h — a small client for the vSphere Web Services API (vim25 SOAP):
 * requests written with libxml2's text writer (every value escaped),
 * responses parsed with libxml2 and queried with XPath, one HTTPS session
 * whose vmware_soap_session cookie libcurl's cookie engine keeps. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <libxml/xpath.h>

#define SOAP_VIM_NS "urn:vim25"
#define SOAP_ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP_XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
/* The API release we speak; vCenter 6.5 and every later one accept it. */
#define SOAP_VIM_VERSION "6.5"

/* A managed object reference: <x type="TYPE">VALUE</x>. */
struct soap_moref {
	char *type;
	char *value;
};
void soap_moref_free(struct soap_moref *m);
void soap_moref_set(struct soap_moref *m, const char *type, const char *value);

/* One request envelope under construction. Writer errors are sticky and
 * reported by soap_request_finish. */
struct soap_request {
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	int err;
};

/* <Method xmlns="urn:vim25"><_this type="T">V</_this> */
int soap_request_begin(struct soap_request *r, const char *method, const struct soap_moref *this_);
/* <name>value</name>, value escaped. */
void soap_request_text(struct soap_request *r, const char *name, const char *value);
/* <name type="T">V</name> */
void soap_request_moref(struct soap_request *r, const char *name, const struct soap_moref *m);
/* <name> or <name xsi:type="T"> ... soap_request_close */
void soap_request_open(struct soap_request *r, const char *name, const char *xsi_type);
void soap_request_close(struct soap_request *r);
/* Declare on the open element every prefixed namespace in scope at node
 * (so its serialized children keep their meaning, e.g. a server's own
 * prefix for xsi:type). */
void soap_request_declare_ns(struct soap_request *r, xmlNodePtr scope);
/* Already-serialized XML (from soap_node_inner_xml) inside the open element. */
void soap_request_raw(struct soap_request *r, const char *xml);
/* End every open element and the document; *xml is the caller's. */
int soap_request_finish(struct soap_request *r, char **xml, size_t *len);
void soap_request_free(struct soap_request *r);

/* A parsed response: the document and the element inside soapenv:Body
 * (e.g. <LoginResponse>). XPath expressions use the prefix "v" for urn:vim25. */
struct soap_response {
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
	xmlNodePtr result;
};

/* A SOAP fault: faultstring, and the vSphere fault type from the detail
 * element (its xsi:type, else its name without "Fault"), e.g. "InvalidLogin". */
struct soap_fault {
	char *message;
	char *type;
};

/* Parse a response body. Returns 0 for a normal response, -EREMOTEIO for a
 * fault (fault filled, resp empty), -EPROTO when it is no SOAP envelope. */
int soap_response_parse(const char *xml, size_t len, struct soap_response *resp, struct soap_fault *fault);
void soap_response_free(struct soap_response *resp);
void soap_fault_free(struct soap_fault *f);

/* The string value of expr evaluated at node (NULL = the result element);
 * NULL when empty or absent. Caller frees. */
char *soap_xpath_string(struct soap_response *resp, xmlNodePtr node, const char *expr);
/* The nodes expr selects, in document order (caller frees the array only). */
int soap_xpath_nodes(struct soap_response *resp, xmlNodePtr node, const char *expr, xmlNodePtr **nodes,
		     size_t *n);
/* The managed object reference at expr: 0, or -ENOENT when absent. */
int soap_xpath_moref(struct soap_response *resp, xmlNodePtr node, const char *expr, struct soap_moref *out);
/* A node's xsi:type (caller frees), or NULL. */
char *soap_node_xsi_type(xmlNodePtr node);
/* The children of node serialized, to pass an object a call returned into
 * the next call (CreateImportSpec's importSpec into ImportVApp). */
char *soap_node_inner_xml(xmlNodePtr node);

/* The HTTPS session. */
struct soap_client_options {
	const char *url;     /* https://host[:port]/sdk */
	const char *ca_file; /* PEM bundle; NULL = system store */
	bool insecure;	     /* skip certificate and host name verification */
	long timeout;	     /* seconds per call; 0 = 300 */
};
struct soap_client;

int soap_client_new(const struct soap_client_options *o, struct soap_client **out);
void soap_client_free(struct soap_client *c);
/* A new easy handle with the client's TLS settings and its cookies (shared),
 * for transfers beside the SOAP calls (NFC uploads). */
CURL *soap_client_new_handle(struct soap_client *c);
/* Explain a libcurl failure on url in err_message() (TLS failures name the
 * --ca-file/--insecure remedy). Returns a negative errno. */
int soap_transport_error(CURLcode rc, const char *errbuf, const char *url);

/* POST one envelope. what names the call in errors ("Login"). Returns 0
 * with resp filled; on a fault -EREMOTEIO with fault filled and
 * "<what> failed: <message> (<type>)" recorded; other errors recorded. */
int soap_call(struct soap_client *c, const char *what, const char *body, size_t len,
	      struct soap_response *resp, struct soap_fault *fault);
