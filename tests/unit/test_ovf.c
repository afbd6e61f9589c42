/* test_ovf.c — the OVF descriptor: golden files, DMTF schema validation
 * (xmllint, offline), escaping of every value, and rejected settings. */
#include <check.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "golden_test.h"
#include "formats_util.h"
#include "err.h"
#include "log.h"
#include "ovf.h"
#include "util.h"
#include "unit_run.h"

#define SCHEMA "tests/schemas/ovf/dsp8023_1.1.1.xsd"

static struct ovf_params base_params(void)
{
	struct ovf_params p = {
		.vm_name = "eks-hybrid-ubuntu24-amd64-k8s1.31",
		.disk_href = "eks-hybrid-ubuntu24-amd64-k8s1.31-disk1.vmdk",
		.disk_file_size = 1234567,
		.capacity = 20ull << 30,
		.os = OS_UBUNTU24,
		.arch = ARCH_AMD64,
		.cpus = 2,
		.memory_mib = 4096,
		.uefi = true,
		.version = "1.31",
		.full_version = "Kubernetes 1.31, nodeadm v1.0.6",
		.annotation = "EKS Hybrid Nodes image: Ubuntu 24.04 LTS amd64, built by hnbuild",
	};
	return p;
}

static void check_golden(const char *xml, size_t len, const char *golden)
{
	if (golden_update())
		ck_assert_int_eq(write_file_atomic(golden, xml, len, 0644), 0);
	char *want = NULL;
	size_t wlen = 0;
	ck_assert_msg(read_file(golden, &want, &wlen) == 0, "missing golden file %s", golden);
	ck_assert_msg(wlen == len && memcmp(want, xml, len) == 0, "OVF differs from %s", golden);
	free(want);
}

static void validate(const char *xml, size_t len)
{
	char *d = fu_mkdtemp(), *f = fu_path(d, "x.ovf");
	ck_assert_int_eq(write_file_atomic(f, xml, len, 0644), 0);
	char out[8192];
	char *argv[] = {"xmllint", "--noout", "--nonet", "--schema", SCHEMA, f, NULL};
	ck_assert_msg(fu_run(argv, out, sizeof(out)) == 0, "xmllint: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "validates"));
	fu_rm_rf(d);
	free(d), free(f);
}

/* The value of an XPath over the OVF, as a string (caller frees). */
static char *xpath(const char *xml, size_t len, const char *expr)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "x.ovf", NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "o", BAD_CAST "http://schemas.dmtf.org/ovf/envelope/1");
	xmlXPathRegisterNs(ctx, BAD_CAST "rasd",
			   BAD_CAST "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData");
	xmlXPathRegisterNs(ctx, BAD_CAST "vssd",
			   BAD_CAST "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData");
	xmlXPathRegisterNs(ctx, BAD_CAST "vmw", BAD_CAST "http://www.vmware.com/schema/ovf");
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	ck_assert_ptr_nonnull(o);
	xmlChar *s = xmlXPathCastToString(o);
	char *r = strdup((const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return r;
}

#define ck_xpath(xml, len, expr, want)                                                                             \
	do {                                                                                                       \
		char *_v = xpath(xml, len, expr);                                                                  \
		ck_assert_msg(strcmp(_v, want) == 0, "%s = \"%s\", want \"%s\"", expr, _v, want);                 \
		free(_v);                                                                                          \
	} while (0)

START_TEST(golden_ubuntu_uefi)
{
	struct ovf_params p = base_params();
	char *xml;
	size_t len;
	ck_assert_int_eq(ovf_render(&p, &xml, &len), 0);
	check_golden(xml, len, "tests/golden/ovf-ubuntu24-amd64-uefi.ovf");
	validate(xml, len);
	/* section order and the values vSphere reads */
	ck_xpath(xml, len, "name(/o:Envelope/*[1])", "References");
	ck_xpath(xml, len, "name(/o:Envelope/*[2])", "DiskSection");
	ck_xpath(xml, len, "name(/o:Envelope/*[3])", "NetworkSection");
	ck_xpath(xml, len, "name(/o:Envelope/*[4])", "VirtualSystem");
	ck_xpath(xml, len, "/o:Envelope/o:References/o:File/@o:size", "1234567");
	ck_xpath(xml, len, "/o:Envelope/o:DiskSection/o:Disk/@o:capacity", "21474836480");
	ck_xpath(xml, len, "//o:OperatingSystemSection/@vmw:osType", "ubuntu64Guest");
	ck_xpath(xml, len, "//o:OperatingSystemSection/@o:id", "94");
	ck_xpath(xml, len, "//vssd:VirtualSystemType", "vmx-17");
	ck_xpath(xml, len, "//o:Item[rasd:ResourceType=3]/rasd:VirtualQuantity", "2");
	ck_xpath(xml, len, "//o:Item[rasd:ResourceType=4]/rasd:VirtualQuantity", "4096");
	ck_xpath(xml, len, "//o:Item[rasd:ResourceType=6]/rasd:ResourceSubType", "VirtualSCSI");
	ck_xpath(xml, len, "//o:Item[rasd:ResourceType=17]/rasd:Parent", "3");
	ck_xpath(xml, len, "//o:Item[rasd:ResourceType=10]/rasd:ResourceSubType", "VmxNet3");
	ck_xpath(xml, len, "//o:Item[rasd:ResourceType=10]/rasd:Connection", "VM Network");
	ck_xpath(xml, len, "//vmw:Config[@vmw:key='firmware']/@vmw:value", "efi");
	ck_xpath(xml, len, "//o:VirtualHardwareSection/@o:transport", "com.vmware.guestInfo");
	ck_xpath(xml, len, "count(//o:ProductSection/o:Property[@o:userConfigurable='true'])", "4");
	ck_xpath(xml, len, "//o:Property[@o:key='guestinfo.userdata.encoding']/@o:type", "string");
	ck_xpath(xml, len, "count(//o:Property[@o:key='guestinfo.metadata'])", "1");
	ck_assert_ptr_null(strstr(xml, "hnbuild:template"));
	ck_assert_ptr_null(strstr(xml, "${"));
	free(xml);
}
END_TEST

START_TEST(golden_rhel_bios_options)
{
	struct ovf_params p = base_params();
	p.os = OS_RHEL9;
	p.vm_name = "rhel9-node";
	p.uefi = false;
	p.vmx_version = "19";
	p.controller = OVF_CTRL_LSILOGIC;
	p.network = "Workload Net";
	p.cpus = 4;
	p.memory_mib = 16384;
	p.annotation = NULL;
	p.full_version = NULL;
	char *xml;
	size_t len;
	ck_assert_int_eq(ovf_render(&p, &xml, &len), 0);
	check_golden(xml, len, "tests/golden/ovf-rhel9-amd64-bios.ovf");
	validate(xml, len);
	ck_xpath(xml, len, "count(//vmw:Config)", "0");
	ck_xpath(xml, len, "//o:OperatingSystemSection/@vmw:osType", "rhel9_64Guest");
	ck_xpath(xml, len, "//o:OperatingSystemSection/@o:id", "80");
	ck_xpath(xml, len, "//vssd:VirtualSystemType", "vmx-19");
	ck_xpath(xml, len, "//o:Item[rasd:ResourceType=6]/rasd:ResourceSubType", "lsilogic");
	ck_xpath(xml, len, "//o:Network/@o:name", "Workload Net");
	free(xml);

	p.os = OS_RHEL8;
	ck_assert_int_eq(ovf_render(&p, &xml, &len), 0);
	ck_xpath(xml, len, "//o:OperatingSystemSection/@vmw:osType", "rhel8_64Guest");
	free(xml);
	/* arm64: the (unofficial, configurable) ESXi-Arm ids and CIM 101 */
	p.os = OS_UBUNTU22, p.arch = ARCH_ARM64, p.controller = OVF_CTRL_NVME;
	ck_assert_int_eq(ovf_render(&p, &xml, &len), 0);
	ck_xpath(xml, len, "//o:OperatingSystemSection/@vmw:osType", "arm-ubuntu-64");
	ck_xpath(xml, len, "//o:OperatingSystemSection/@o:id", "101");
	ck_xpath(xml, len, "//o:Item[rasd:ResourceType=20]/rasd:ResourceSubType", "vmware.nvme.controller");
	validate(xml, len);
	free(xml);
	p.os_type = "other5xLinux64Guest";
	ck_assert_int_eq(ovf_render(&p, &xml, &len), 0);
	ck_xpath(xml, len, "//o:OperatingSystemSection/@vmw:osType", "other5xLinux64Guest");
	free(xml);
}
END_TEST

START_TEST(values_are_escaped)
{
	struct ovf_params p = base_params();
	const char *nasty = "a<b>&\"c' ]]> ${x} \xc3\xa9";
	p.vm_name = nasty;
	p.network = nasty;
	p.annotation = nasty;
	char *xml;
	size_t len;
	ck_assert_int_eq(ovf_render(&p, &xml, &len), 0);
	validate(xml, len);
	ck_xpath(xml, len, "//o:VirtualSystem/@o:id", nasty);
	ck_xpath(xml, len, "//o:VirtualSystem/o:Name", nasty);
	ck_xpath(xml, len, "//o:Network/@o:name", nasty);
	ck_xpath(xml, len, "//o:Item[rasd:ResourceType=10]/rasd:Connection", nasty);
	ck_xpath(xml, len, "//o:AnnotationSection/o:Annotation", nasty);
	ck_assert_ptr_null(strstr(xml, "a<b>"));
	free(xml);
}
END_TEST

START_TEST(bad_settings)
{
	struct ovf_params p = base_params();
	char *xml = NULL;
	size_t len;
	const char *bad_vmx[] = {"vmx-3", "vmx-", "esx7", "vmx-17a", "100"};
	for (unsigned i = 0; i < 5; i++) {
		p.vmx_version = bad_vmx[i];
		ck_assert_int_eq(ovf_render(&p, &xml, &len), -EINVAL);
		ck_assert_ptr_nonnull(strstr(err_message(), "--vmx-version"));
		ck_assert_int_eq(err_exit_code(), EXIT_USAGE);
	}
	p = base_params();
	p.cpus = 0;
	ck_assert_int_lt(ovf_render(&p, &xml, &len), 0);
	p = base_params();
	p.disk_href = "dir/disk.vmdk";
	ck_assert_int_lt(ovf_render(&p, &xml, &len), 0);
	ck_assert_ptr_nonnull(strstr(err_message(), "flat name"));
	p = base_params();
	p.os = (enum os_id)42;
	ck_assert_int_lt(ovf_render(&p, &xml, &len), 0);
	ck_assert_ptr_null(xml);
	char buf[16];
	ck_assert_int_eq(ovf_normalize_vmx("vmx-21", buf), 0);
	ck_assert_str_eq(buf, "vmx-21");
	ck_assert_int_eq(ovf_normalize_vmx(NULL, buf), 0);
	ck_assert_str_eq(buf, OVF_DEFAULT_VMX);
	enum ovf_controller c;
	ck_assert_int_eq(ovf_controller_lookup("nvme", &c), 0);
	ck_assert_int_eq(c, OVF_CTRL_NVME);
	ck_assert_int_eq(ovf_controller_lookup("ide", &c), -EINVAL);
}
END_TEST

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, -1);
	Suite *s = suite_create("ovf");
	TCase *tc = tcase_create("ovf");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, golden_ubuntu_uefi);
	tcase_add_test(tc, golden_rhel_bios_options);
	tcase_add_test(tc, values_are_escaped);
	tcase_add_test(tc, bad_settings);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
