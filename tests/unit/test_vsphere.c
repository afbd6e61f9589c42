/* test_vsphere.c — the publish stage's pieces: vCenter URL and inventory
 * path rules, SOAP request builders (escaping, element order, passing an
 * import spec on with the server's own namespace prefixes), response and
 * fault parsing, reading an OVA that export_all wrote; and vsphere_publish
 * in-process against vcsim (tests/vcsim/build.sh builds it when missing):
 * success, a missing datastore, an existing name, a cut upload rolled back,
 * a wrong password. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "cleanup.h"
#include "err.h"
#include "export.h"
#include "formats_util.h"
#include "log.h"
#include "soap.h"
#include "strbuf.h"
#include "util.h"
#include "vsphere.h"
#include "unit_run.h"

/* ---- XML helpers ---- */

static xmlDocPtr parse(const char *xml, size_t len)
{
	xmlDocPtr d = xmlReadMemory(xml, (int)len, "t.xml", NULL, XML_PARSE_NONET);
	ck_assert_msg(d != NULL, "not well-formed XML:\n%s", xml);
	return d;
}

/* string(expr) with prefixes s (soapenv), v (vim25), xsi. Caller frees. */
static char *xpath_str(xmlDocPtr d, const char *expr)
{
	xmlXPathContextPtr xp = xmlXPathNewContext(d);
	xmlXPathRegisterNs(xp, BAD_CAST "s", BAD_CAST SOAP_ENV_NS);
	xmlXPathRegisterNs(xp, BAD_CAST "v", BAD_CAST SOAP_VIM_NS);
	xmlXPathRegisterNs(xp, BAD_CAST "xsi", BAD_CAST SOAP_XSI_NS);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, xp);
	ck_assert_ptr_nonnull(o);
	xmlChar *v = xmlXPathCastToString(o);
	char *s = strdup((const char *)v);
	xmlFree(v);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(xp);
	return s;
}

#define ck_xpath(doc, expr, want)                                                                            \
	do {                                                                                                 \
		char *got_ = xpath_str(doc, expr);                                                           \
		ck_assert_msg(!strcmp(got_, want), "%s: got '%s', want '%s'", expr, got_, want);             \
		free(got_);                                                                                  \
	} while (0)

/* ---- URLs and paths ---- */

START_TEST(sdk_url_forms)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"vc.example.com", "https://vc.example.com/sdk"},
	    {"vc.example.com:8443", "https://vc.example.com:8443/sdk"},
	    {"https://vc.example.com", "https://vc.example.com/sdk"},
	    {"https://vc.example.com/", "https://vc.example.com/sdk"},
	    {"https://127.0.0.1:41000/sdk", "https://127.0.0.1:41000/sdk"},
	    {"HTTPS://vc.example.com/custom/sdk", "https://vc.example.com/custom/sdk"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char *u = NULL;
		ck_assert_msg(vsphere_sdk_url(ok[i].in, &u) == 0, "%s: %s", ok[i].in, err_message());
		ck_assert_str_eq(u, ok[i].out);
		free(u);
	}
	static const struct {
		const char *in, *msg;
	} bad[] = {
	    {"http://vc.example.com/sdk", "must use https"},
	    {"https://admin:secret@vc.example.com/sdk", "must not carry a password"},
	    {"https://admin@vc.example.com/sdk", "must not carry a user"},
	    {"", "no vCenter"},
	    {"ftp://vc/sdk", "must use https"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *u = NULL;
		err_clear();
		ck_assert_int_eq(vsphere_sdk_url(bad[i].in, &u), -EINVAL);
		ck_assert_ptr_null(u);
		ck_assert_int_eq(err_exit_code(), EXIT_USAGE);
		ck_assert_msg(strstr(err_message(), bad[i].msg), "%s: %s", bad[i].in, err_message());
		ck_assert_ptr_null(strstr(err_message(), "secret"));
	}
}
END_TEST

START_TEST(inventory_paths)
{
	struct {
		char *got;
		const char *want;
	} t[] = {
	    {vsphere_inventory_path("DC0", "vm", "Templates"), "DC0/vm/Templates"},
	    {vsphere_inventory_path("DC0", "vm", "/Templates/"), "Templates"},
	    {vsphere_inventory_path("DC0", "vm", "eks/golden/"), "DC0/vm/eks/golden"},
	    {vsphere_inventory_path("DC0", "vm", NULL), "DC0/vm"},
	    {vsphere_inventory_path("DC0", "vm", ""), "DC0/vm"},
	    {vsphere_inventory_path("Site A/DC0", "datastore", "ds 1"), "Site A/DC0/datastore/ds 1"},
	    {vsphere_inventory_path("DC0", "network", "/DC0/network/net"), "DC0/network/net"},
	    {vsphere_pool_path("DC0", "C0", NULL), "DC0/host/C0/Resources"},
	    {vsphere_pool_path("DC0", "C0", "builds"), "DC0/host/C0/Resources/builds"},
	    {vsphere_pool_path("DC0", "C0", "/DC0/host/C1/Resources/x"), "DC0/host/C1/Resources/x"},
	    {vsphere_pool_path("DC0", NULL, "host1/Resources"), "DC0/host/host1/Resources"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		ck_assert_str_eq(t[i].got, t[i].want);
		free(t[i].got);
	}
	ck_assert_ptr_null(vsphere_pool_path("DC0", NULL, NULL));
	ck_assert_ptr_null(vsphere_pool_path("DC0", "", ""));
}
END_TEST

/* ---- request builders ---- */

START_TEST(login_escapes_and_keeps_values)
{
	const char *pw = "p<a>ss&w\"o'rd]]>";
	char *xml = NULL;
	size_t len = 0;
	ck_assert_int_eq(vsphere_build_login("admin@vsphere.local", pw, &xml, &len), 0);
	ck_assert_uint_eq(len, strlen(xml));
	/* the raw password never appears unescaped */
	ck_assert_ptr_null(strstr(xml, "p<a>"));
	ck_assert_ptr_null(strstr(xml, "]]>"));
	xmlDocPtr d = parse(xml, len);
	ck_xpath(d, "name(/*)", "soapenv:Envelope");
	ck_xpath(d, "string(/s:Envelope/s:Body/v:Login/v:_this/@type)", "SessionManager");
	ck_xpath(d, "string(/s:Envelope/s:Body/v:Login/v:userName)", "admin@vsphere.local");
	ck_xpath(d, "string(/s:Envelope/s:Body/v:Login/v:password)", pw);
	ck_xpath(d, "count(/s:Envelope/s:Body/*)", "1");
	xmlFreeDoc(d);
	free(xml);
}
END_TEST

START_TEST(find_by_path_request)
{
	struct soap_moref si = {"SearchIndex", "SearchIndex"};
	char *xml = NULL;
	size_t len;
	ck_assert_int_eq(vsphere_build_find_by_path(&si, "DC&1/vm/<x>", &xml, &len), 0);
	xmlDocPtr d = parse(xml, len);
	ck_xpath(d, "string(//v:FindByInventoryPath/v:_this)", "SearchIndex");
	ck_xpath(d, "string(//v:FindByInventoryPath/v:inventoryPath)", "DC&1/vm/<x>");
	xmlFreeDoc(d);
	free(xml);
}
END_TEST

START_TEST(create_import_spec_request)
{
	struct soap_moref om = {"OvfManager", "OvfManager"}, pool = {"ResourcePool", "resgroup-8"},
			  ds = {"Datastore", "datastore-1"},
			  net = {"DistributedVirtualPortgroup", "dvportgroup-13"};
	char *nets[] = {"VM Network", "Storage & <Backup>", NULL};
	struct vsphere_import_params p = {.ovf_manager = &om,
					  .pool = &pool,
					  .datastore = &ds,
					  .network = &net,
					  .ovf = "<?xml version=\"1.0\"?><Envelope>&</Envelope>",
					  .entity_name = "eks-node",
					  .ovf_networks = nets};
	char *xml = NULL;
	size_t len;
	ck_assert_int_eq(vsphere_build_create_import_spec(&p, &xml, &len), 0);
	xmlDocPtr d = parse(xml, len);
	ck_xpath(d, "string(//v:CreateImportSpec/v:ovfDescriptor)", p.ovf);
	ck_xpath(d, "string(//v:CreateImportSpec/v:resourcePool/@type)", "ResourcePool");
	ck_xpath(d, "string(//v:CreateImportSpec/v:resourcePool)", "resgroup-8");
	ck_xpath(d, "string(//v:CreateImportSpec/v:datastore)", "datastore-1");
	/* the order the vim25 schema prescribes */
	ck_xpath(d, "name(//v:CreateImportSpec/*[1])", "_this");
	ck_xpath(d, "name(//v:CreateImportSpec/*[2])", "ovfDescriptor");
	ck_xpath(d, "name(//v:CreateImportSpec/*[5])", "cisp");
	ck_xpath(d, "name(//v:cisp/*[1])", "locale");
	ck_xpath(d, "name(//v:cisp/*[2])", "deploymentOption");
	ck_xpath(d, "name(//v:cisp/*[3])", "entityName");
	ck_xpath(d, "name(//v:cisp/*[4])", "networkMapping");
	ck_xpath(d, "name(//v:cisp/*[6])", "diskProvisioning");
	ck_xpath(d, "string(//v:cisp/v:entityName)", "eks-node");
	ck_xpath(d, "count(//v:cisp/v:networkMapping)", "2");
	ck_xpath(d, "string(//v:cisp/v:networkMapping[2]/v:name)", "Storage & <Backup>");
	ck_xpath(d, "string(//v:cisp/v:networkMapping[2]/v:network/@type)", "DistributedVirtualPortgroup");
	ck_xpath(d, "string(//v:cisp/v:networkMapping[1]/v:network)", "dvportgroup-13");
	ck_xpath(d, "string(//v:cisp/v:diskProvisioning)", "thin");
	xmlFreeDoc(d);
	free(xml);

	/* no network given: no mapping at all */
	p.network = NULL;
	ck_assert_int_eq(vsphere_build_create_import_spec(&p, &xml, &len), 0);
	d = parse(xml, len);
	ck_xpath(d, "count(//v:networkMapping)", "0");
	xmlFreeDoc(d);
	free(xml);
}
END_TEST

/* A CreateImportSpec answer as govmomi's simulator writes it: its own
 * prefix for XMLSchema-instance, declared on the importSpec element. */
static const char import_spec_response[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>"
    "<CreateImportSpecResponse xmlns=\"urn:vim25\"><returnval>"
    "<importSpec xmlns:XMLSchema-instance=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "XMLSchema-instance:type=\"VirtualMachineImportSpec\"><configSpec><name>a&amp;b</name>"
    "<deviceChange XMLSchema-instance:type=\"VirtualDeviceConfigSpec\"><operation>add</operation>"
    "<device XMLSchema-instance:type=\"VirtualDisk\"><key>1</key></device></deviceChange></configSpec>"
    "<resPoolEntity type=\"ResourcePool\">resgroup-26</resPoolEntity></importSpec>"
    "<fileItem><deviceId>/a&amp;b/disk:0</deviceId><path>x-disk1.vmdk</path><size>101888</size>"
    "<create>false</create></fileItem>"
    "<warning><localizedMessage>old hardware</localizedMessage></warning>"
    "</returnval></CreateImportSpecResponse></soapenv:Body></soapenv:Envelope>";

START_TEST(import_vapp_passes_spec_on)
{
	struct soap_response resp;
	struct soap_fault f;
	ck_assert_int_eq(soap_response_parse(import_spec_response, strlen(import_spec_response), &resp, &f),
			 0);
	ck_assert_ptr_null(vsphere_import_spec_errors(&resp));
	char *path = soap_xpath_string(&resp, NULL, "string(v:returnval/v:fileItem/v:path)");
	ck_assert_str_eq(path, "x-disk1.vmdk");
	free(path);

	struct soap_moref pool = {"ResourcePool", "resgroup-26"}, folder = {"Folder", "group-v3"};
	char *xml = NULL;
	size_t len;
	ck_assert_int_eq(vsphere_build_import_vapp(&pool, &resp, &folder, &xml, &len), 0);
	xmlDocPtr d = parse(xml, len);
	ck_xpath(d, "string(//v:ImportVApp/v:spec/@xsi:type)", "VirtualMachineImportSpec");
	/* the children keep their meaning: types resolve to XMLSchema-instance */
	ck_xpath(d, "string(//v:ImportVApp/v:spec/v:configSpec/v:deviceChange/@xsi:type)",
		 "VirtualDeviceConfigSpec");
	ck_xpath(d, "string(//v:ImportVApp/v:spec/v:configSpec/v:deviceChange/v:device/@xsi:type)",
		 "VirtualDisk");
	ck_xpath(d, "string(//v:ImportVApp/v:spec/v:configSpec/v:name)", "a&b");
	ck_xpath(d, "string(//v:ImportVApp/v:spec/v:resPoolEntity)", "resgroup-26");
	ck_xpath(d, "name(//v:ImportVApp/*[3])", "folder");
	ck_xpath(d, "string(//v:ImportVApp/v:folder)", "group-v3");
	xmlFreeDoc(d);
	free(xml);
	soap_response_free(&resp);
}
END_TEST

START_TEST(import_spec_errors_joined)
{
	static const char xml[] =
	    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>"
	    "<CreateImportSpecResponse xmlns=\"urn:vim25\"><returnval>"
	    "<error><fault xsi:type=\"OvfUnsupportedType\"/><localizedMessage>unsupported type "
	    "42</localizedMessage></error>"
	    "<error><fault xsi:type=\"OvfNetworkMappingNotSupported\"/></error>"
	    "</returnval></CreateImportSpecResponse></soapenv:Body></soapenv:Envelope>";
	struct soap_response resp;
	struct soap_fault f;
	ck_assert_int_eq(soap_response_parse(xml, strlen(xml), &resp, &f), 0);
	char *e = vsphere_import_spec_errors(&resp);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, "unsupported type 42 (OvfUnsupportedType); OvfNetworkMappingNotSupported");
	free(e);
	soap_response_free(&resp);
}
END_TEST

/* ---- responses and faults ---- */

START_TEST(faults_parsed)
{
	static const char invalid_login[] =
	    "<?xml version=\"1.0\"?><soapenv:Envelope "
	    "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body><soapenv:Fault>"
	    "<faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login due to an incorrect "
	    "user name "
	    "or password.</faultstring><detail><InvalidLoginFault xmlns=\"urn:vim25\" "
	    "xsi:type=\"InvalidLogin\"/>"
	    "</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>";
	struct soap_response resp;
	struct soap_fault f;
	ck_assert_int_eq(soap_response_parse(invalid_login, strlen(invalid_login), &resp, &f), -EREMOTEIO);
	ck_assert_ptr_null(resp.doc);
	ck_assert_str_eq(f.type, "InvalidLogin");
	ck_assert_str_eq(f.message, "Cannot complete login due to an incorrect user name or password.");
	soap_fault_free(&f);

	/* no xsi:type: the element name without "Fault"; no faultstring: the type */
	static const char by_name[] =
	    "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Body><e:Fault>"
	    "<faultcode>ServerFaultCode</faultcode><detail><ManagedObjectNotFoundFault "
	    "xmlns=\"urn:vim25\"/></detail>"
	    "</e:Fault></e:Body></e:Envelope>";
	ck_assert_int_eq(soap_response_parse(by_name, strlen(by_name), &resp, &f), -EREMOTEIO);
	ck_assert_str_eq(f.type, "ManagedObjectNotFound");
	ck_assert_str_eq(f.message, "ManagedObjectNotFound");
	soap_fault_free(&f);

	/* not SOAP, not XML, empty body, truncated */
	const char *junk[] = {
	    "<html><body>502 Bad Gateway</body></html>", "not xml at all", "",
	    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>"};
	for (size_t i = 0; i < ARRAY_SIZE(junk); i++) {
		ck_assert_int_eq(soap_response_parse(junk[i], strlen(junk[i]), &resp, &f), -EPROTO);
		ck_assert_ptr_null(resp.doc);
		ck_assert_ptr_null(f.message);
	}
}
END_TEST

/* Issue 20.5: a hostile vCenter's entity expansion and endless fault text. */
START_TEST(hostile_responses)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_adds(&sb, "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY a \"aaaaaaaaaa\">");
	for (char c = 'b'; c <= 'j'; c++) {
		sb_addf(&sb, "<!ENTITY %c \"", c);
		for (int i = 0; i < 10; i++)
			sb_addf(&sb, "&%c;", c - 1);
		sb_adds(&sb, "\">");
	}
	sb_adds(&sb, "]><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>"
		     "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>&j;</faultstring>"
		     "</soapenv:Fault></soapenv:Body></soapenv:Envelope>");
	struct soap_response resp;
	struct soap_fault f;
	alarm(10); /* with XML_PARSE_HUGE this took 21 s and 3 GB */
	ck_assert_int_eq(soap_response_parse(sb.buf, sb.len, &resp, &f), -EPROTO);
	alarm(0);
	ck_assert_ptr_null(f.message);
	sb_release(&sb);

	/* two faultstrings and two details (fuzz_soap found the first one's leak) */
	static const char twice[] =
	    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>"
	    "<soapenv:Fault><faultstring>first</faultstring><faultstring>second</faultstring>"
	    "<detail><AFault/></detail><detail><BFault/></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>";
	ck_assert_int_eq(soap_response_parse(twice, strlen(twice), &resp, &f), -EREMOTEIO);
	ck_assert_str_eq(f.message, "second");
	ck_assert_str_eq(f.type, "B");
	soap_fault_free(&f);

	/* a 4 MB fault text: cut to one readable line */
	sb_init(&sb);
	sb_adds(&sb, "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>"
		     "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>");
	for (int i = 0; i < (4 << 20) / 8; i++)
		sb_adds(&sb, "AAAAAAAA");
	sb_adds(&sb, "</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>");
	ck_assert_int_eq(soap_response_parse(sb.buf, sb.len, &resp, &f), -EREMOTEIO);
	ck_assert_uint_le(strlen(f.message), 1024);
	ck_assert_str_eq(f.message + strlen(f.message) - 4, " ...");
	soap_fault_free(&f);
	sb_release(&sb);
}
END_TEST

START_TEST(property_values_and_morefs)
{
	static const char xml[] =
	    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>"
	    "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval><objects>"
	    "<obj type=\"HttpNfcLease\">session[a]b</obj>"
	    "<propSet><name>state</name><val xmlns:X=\"http://www.w3.org/2001/XMLSchema-instance\" "
	    "X:type=\"HttpNfcLeaseState\">ready</val></propSet>"
	    "<propSet><name>info</name><val><entity type=\"VirtualMachine\">vm-74</entity>"
	    "<deviceUrl><importKey>/t1/disk:0</importKey><url>https://*/nfc/x/disk-0.vmdk</url></deviceUrl>"
	    "</val></propSet></objects></returnval></RetrievePropertiesExResponse></soapenv:Body></"
	    "soapenv:Envelope>";
	struct soap_response resp;
	struct soap_fault f;
	ck_assert_int_eq(soap_response_parse(xml, strlen(xml), &resp, &f), 0);
	char *state =
	    soap_xpath_string(&resp, NULL, "string(v:returnval/v:objects/v:propSet[v:name='state']/v:val)");
	ck_assert_str_eq(state, "ready");
	free(state);
	xmlNodePtr *nodes;
	size_t n;
	ck_assert_int_eq(soap_xpath_nodes(&resp, NULL,
					  "v:returnval/v:objects/v:propSet[v:name='state']/v:val", &nodes,
					  &n),
			 0);
	ck_assert_uint_eq(n, 1);
	char *t = soap_node_xsi_type(nodes[0]);
	ck_assert_str_eq(t, "HttpNfcLeaseState");
	free(t);
	free(nodes);
	struct soap_moref m = {0};
	ck_assert_int_eq(soap_xpath_moref(&resp, NULL,
					  "v:returnval/v:objects/v:propSet[v:name='info']/v:val/v:entity",
					  &m),
			 0);
	ck_assert_str_eq(m.type, "VirtualMachine");
	ck_assert_str_eq(m.value, "vm-74");
	soap_moref_free(&m);
	ck_assert_int_eq(soap_xpath_moref(&resp, NULL, "v:returnval/v:nothing", &m), -ENOENT);
	ck_assert_ptr_null(m.value);
	ck_assert_ptr_null(soap_xpath_string(&resp, NULL, "string(v:returnval/v:nothing)"));
	soap_response_free(&resp);
}
END_TEST

/* ---- the OVA ---- */

static char *make_ova(const char *dir)
{
	char *disk = fu_path(dir, "disk.raw");
	fu_sparse(disk, 8 << 20);
	fu_pattern(disk, 1 << 20, 256 << 10, 7);
	char *out = fu_path(dir, "out");
	struct export_request req = {
	    .source_path = disk,
	    .formats = FORMAT_OVA,
	    .output_dir = out,
	    .base_name = "pub-ubuntu24-amd64-k8s1.31",
	    .os = OS_UBUNTU24,
	    .arch = ARCH_AMD64,
	    .firmware = FIRMWARE_UEFI,
	    .k8s_version = "1.31",
	    .network_name = "Build & Test",
	};
	struct export_result res;
	ck_assert_msg(export_all(&req, &res) == 0, "export: %s", err_message());
	char *ova = strdup(res.files[0].path);
	export_result_free(&res);
	free(disk);
	free(out);
	return ova;
}

START_TEST(ova_read)
{
	char *dir = fu_mkdtemp();
	char *ova_path = make_ova(dir);
	struct vsphere_ova ova;
	ck_assert_msg(vsphere_ova_read(ova_path, &ova) == 0, "%s", err_message());
	ck_assert_str_eq(ova.ovf_name, "pub-ubuntu24-amd64-k8s1.31.ovf");
	ck_assert_uint_eq(ova.ovf_len, strlen(ova.ovf));
	ck_assert_ptr_nonnull(strstr(ova.ovf, "<Envelope") ? ova.ovf : strstr(ova.ovf, "Envelope"));
	ck_assert_uint_eq(strv_len(ova.networks), 1);
	ck_assert_str_eq(ova.networks[0], "Build & Test");
	ck_assert_uint_eq(strv_len(ova.mf_names), 2);
	ck_assert_str_eq(ova.mf_names[0], "pub-ubuntu24-amd64-k8s1.31.ovf");
	ck_assert_str_eq(ova.mf_names[1], "pub-ubuntu24-amd64-k8s1.31-disk1.vmdk");
	ck_assert_uint_eq(strlen(ova.mf_sha256[1]), 64);
	vsphere_ova_free(&ova);

	/* not a tar: exit 3 */
	char *junk = fu_path(dir, "junk.ova");
	ck_assert_int_eq(write_file_atomic(junk, "junk", 4, 0644), 0);
	err_clear();
	ck_assert_int_eq(vsphere_ova_read(junk, &ova), -EBADMSG);
	ck_assert_int_eq(err_exit_code(), EXIT_VERIFY);
	ck_assert_ptr_nonnull(strstr(err_message(), "is not an OVA"));
	/* missing file: exit 1, names it */
	char *missing = fu_path(dir, "missing.ova");
	err_clear();
	ck_assert_int_lt(vsphere_ova_read(missing, &ova), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), missing));
	/* a tar whose first member is the disk: no descriptor */
	char *notova = fu_path(dir, "disk-first.ova");
	char *argv[] = {"tar", "--format=ustar", "-cf", notova, "-C", dir, "out", NULL};
	ck_assert_int_eq(fu_run(argv, NULL, 0), 0);
	err_clear();
	ck_assert_int_eq(vsphere_ova_read(notova, &ova), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err_message(), "no .ovf descriptor"));
	free(notova);
	free(missing);
	free(junk);
	free(ova_path);
	fu_rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(settings_checked_before_connecting)
{
	struct vsphere_settings vs = {.server = "https://127.0.0.1:9/sdk",
				      .user = "u",
				      .password = "pw",
				      .datacenter = "DC0",
				      .datastore = "LocalDS_0",
				      .cluster = "C0"};
	struct vsphere_publish_result res;
	struct vsphere_settings t = vs;
	t.password = NULL;
	err_clear();
	ck_assert_int_eq(vsphere_publish(&t, "/nonexistent.ova", NULL, &res), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "needs a password"));
	t = vs;
	t.cluster = NULL;
	ck_assert_int_eq(vsphere_publish(&t, "/nonexistent.ova", NULL, &res), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "cluster or resource pool"));
	t = vs;
	t.content_library = "golden";
	ck_assert_int_eq(vsphere_publish(&t, "/nonexistent.ova", NULL, &res), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "not supported yet"));
	ck_assert_int_eq(err_exit_code(), EXIT_USAGE);
}
END_TEST

/* ---- against vcsim, in-process ---- */

struct sim {
	pid_t pid;
	int stdin_fd;
	char *dir, *url, *ca;
};

static bool sim_start(struct sim *s, const char *password)
{
	char *build[] = {"sh", "tests/vcsim/build.sh", NULL};
	if (fu_run(build, NULL, 0) != 0 || access("build/vcsim", X_OK) < 0)
		return false;
	s->dir = fu_mkdtemp();
	setenv("VCSIM_USER", "publisher", 1);
	setenv("VCSIM_PASSWORD", password, 1);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	char *argv[] = {"build/vcsim", "serve", "-dir", s->dir, NULL};
	ck_assert_int_eq(posix_spawn(&s->pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	s->stdin_fd = fds[1];
	char *urlfile = fu_path(s->dir, "url");
	for (int i = 0; i < 200 && !s->url; i++) {
		char *data = NULL;
		size_t len;
		if (read_file(urlfile, &data, &len) == 0 && len > 1 && data[len - 1] == '\n') {
			data[len - 1] = '\0';
			s->url = data;
		} else {
			free(data);
			usleep(50000);
		}
	}
	free(urlfile);
	ck_assert_msg(s->url != NULL, "vcsim did not start");
	s->ca = fu_path(s->dir, "ca.pem");
	return true;
}

static void sim_stop(struct sim *s)
{
	close(s->stdin_fd); /* vcsim exits when its stdin closes */
	int st;
	waitpid(s->pid, &st, 0);
	fu_rm_rf(s->dir);
	free(s->dir);
	free(s->url);
	free(s->ca);
}

START_TEST(publish_to_vcsim)
{
	struct sim sim = {0};
	const char *pw = "in-process&<pw>";
	if (!sim_start(&sim, pw)) {
		fprintf(stderr, "test_vsphere: cannot build build/vcsim (go and govmomi needed): "
				"publish_to_vcsim skipped\n");
		return;
	}
	char *dir = fu_mkdtemp();
	char *ova = make_ova(dir);
	struct vsphere_settings vs = {.server = sim.url,
				      .user = "publisher",
				      .password = (char *)pw,
				      .datacenter = "DC0",
				      .cluster = "DC0_C0",
				      .datastore = "LocalDS_0",
				      .network = "VM Network",
				      .folder = "Templates",
				      .ca_file = sim.ca,
				      .template_ = true};
	struct vsphere_publish_result res;
	ck_assert_msg(vsphere_publish(&vs, ova, NULL, &res) == 0, "%s", err_message());
	ck_assert_str_eq(res.name, "pub-ubuntu24-amd64-k8s1.31");
	ck_assert_str_eq(res.inventory_path, "/DC0/vm/Templates/pub-ubuntu24-amd64-k8s1.31");
	ck_assert(res.template_);
	ck_assert(!res.replaced);
	ck_assert_uint_gt(res.bytes, 0);
	vsphere_publish_result_free(&res);

	/* a datastore vCenter does not know: exit 2, named */
	struct vsphere_settings bad = vs;
	bad.datastore = "NoSuchDS";
	err_clear();
	ck_assert_int_eq(vsphere_publish(&bad, ova, "other", &res), -EINVAL);
	ck_assert_int_eq(err_exit_code(), EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err_message(), "datastore 'NoSuchDS' not found"));

	/* the same name again: refused without force */
	err_clear();
	ck_assert_int_eq(vsphere_publish(&vs, ova, NULL, &res), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_message(), "already exists"));

	/* an upload cut off: exit 1, rolled back, then the name is free */
	char *fault = NULL;
	ck_assert_int_ge(
	    asprintf(&fault, "%.*s/hnbuild-test/fault?upload-fail=1000", (int)(strlen(sim.url) - 4), sim.url),
	    0);
	char *argv[] = {"curl", "-sS", "--cacert", sim.ca, fault, NULL};
	ck_assert_int_eq(fu_run(argv, NULL, 0), 0);
	err_clear();
	ck_assert_int_lt(vsphere_publish(&vs, ova, "cut", &res), 0);
	ck_assert_int_eq(err_exit_code(), EXIT_BUILD_FAILED);
	ck_assert_msg(strstr(err_message(), "interrupted"), "%s", err_message());
	ck_assert_ptr_null(strstr(err_message(), pw));
	ck_assert_msg(vsphere_publish(&vs, ova, "cut", &res) == 0, "%s", err_message());
	vsphere_publish_result_free(&res);

	/* wrong password */
	bad = vs;
	bad.password = "wrong";
	err_clear();
	ck_assert_int_lt(vsphere_publish(&bad, ova, "x", &res), 0);
	ck_assert_int_eq(err_exit_code(), EXIT_BUILD_FAILED);
	ck_assert_ptr_nonnull(strstr(err_message(), "refused the login"));

	free(fault);
	free(ova);
	fu_rm_rf(dir);
	free(dir);
	sim_stop(&sim);
}
END_TEST

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, -1);
	Suite *s = suite_create("vsphere");
	TCase *tc = tcase_create("vsphere");
	tcase_set_timeout(tc, 300); /* the first vcsim build takes up to a minute */
	tcase_add_test(tc, sdk_url_forms);
	tcase_add_test(tc, inventory_paths);
	tcase_add_test(tc, login_escapes_and_keeps_values);
	tcase_add_test(tc, find_by_path_request);
	tcase_add_test(tc, create_import_spec_request);
	tcase_add_test(tc, import_vapp_passes_spec_on);
	tcase_add_test(tc, import_spec_errors_joined);
	tcase_add_test(tc, faults_parsed);
	tcase_add_test(tc, property_values_and_morefs);
	tcase_add_test(tc, hostile_responses);
	tcase_add_test(tc, ova_read);
	tcase_add_test(tc, settings_checked_before_connecting);
	tcase_add_test(tc, publish_to_vcsim);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
