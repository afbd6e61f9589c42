/* fuzz_soap.c — the SOAP response parser, as fed by a hostile vCenter. */
#include "err.h"
#include "fuzz.h"
#include "soap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	struct soap_response resp;
	struct soap_fault fault;
	if (soap_response_parse((const char *)data, size, &resp, &fault) == 0) {
		free(soap_xpath_string(&resp, resp.result, "string(v:returnval)"));
		soap_response_free(&resp);
	}
	soap_fault_free(&fault);
	err_clear();
	return 0;
}
