/* vsphere.h — the publish stage: import an OVA into vCenter through the
 * vSphere API (OvfManager.CreateImportSpec, ResourcePool.ImportVApp, disk
 * upload through the HttpNfcLease, lease complete) and mark it a template.
 * Any failure after the import started aborts the lease and destroys the
 * half-imported VM, so nothing is left behind. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "spec.h"
#include "soap.h"

struct vsphere_publish_result {
	char *name;	      /* the VM/template name in vCenter */
	char *inventory_path; /* /<dc>/vm/<folder>/<name> */
	char *moref;	      /* e.g. "vm-42" */
	char *vcenter;	      /* the SDK URL used */
	bool template_;	      /* marked as template */
	bool replaced;	      /* an existing VM/template of that name was replaced (--force) */
	uint64_t bytes;	      /* disk bytes uploaded */
	double seconds;
};

/* Publish ova_path as name (NULL = the OVA file name without .ova) with
 * the settings in vs (server, user, password, datacenter, cluster or
 * resource_pool, datastore, network, folder, ca_file, insecure, force,
 * template_). Returns 0, or a negative errno with err_message() set:
 * exit 2 for settings vCenter does not know (datacenter, cluster, pool,
 * datastore, network, folder) and for an existing VM/template of that name
 * without force; exit 3 when a disk does not match the OVA's manifest;
 * exit 130 when interrupted; exit 1 for everything else (login refused,
 * TLS, lease and upload failures). */
int vsphere_publish(const struct vsphere_settings *vs, const char *ova_path, const char *name,
		    struct vsphere_publish_result *res);
void vsphere_publish_result_free(struct vsphere_publish_result *res);

/* "vc.example.com", "vc:8443", "https://vc/sdk" -> "https://vc[:port]/sdk"
 * (caller frees). Refuses http://, user info and passwords in the URL
 * (a password on the command line is visible to every user). */
int vsphere_sdk_url(const char *server, char **url);

/* Inventory paths for SearchIndex.FindByInventoryPath: a value starting
 * with '/' is taken as a full path, else it is relative to the
 * datacenter's folder of that kind ("vm", "host", "datastore", "network").
 * NULL value = the folder itself. Caller frees. */
char *vsphere_inventory_path(const char *datacenter, const char *kind, const char *value);
/* The resource pool path: pool (absolute, or relative to the cluster's
 * Resources), else "<dc>/host/<cluster>/Resources". NULL if neither given. */
char *vsphere_pool_path(const char *datacenter, const char *cluster, const char *pool);

/* The parts of an OVA publish needs: the .ovf text, the .mf digests and the
 * names of the OVF's networks. */
struct vsphere_ova {
	char *ovf_name;
	char *ovf; /* descriptor text */
	size_t ovf_len;
	char **mf_names; /* from the .mf: file name and lowercase SHA-256 */
	char **mf_sha256;
	char **networks; /* NetworkSection ovf:name values */
};
int vsphere_ova_read(const char *ova_path, struct vsphere_ova *ova);
void vsphere_ova_free(struct vsphere_ova *ova);

/* Request builders and response readers, exposed for tests. */
int vsphere_build_login(const char *user, const char *password, char **xml, size_t *len);
int vsphere_build_find_by_path(const struct soap_moref *search_index, const char *path, char **xml,
			       size_t *len);
struct vsphere_import_params {
	const struct soap_moref *ovf_manager, *pool, *datastore, *network; /* network may be NULL */
	const char *ovf;
	const char *entity_name;
	char *const *ovf_networks; /* each mapped to network */
};
int vsphere_build_create_import_spec(const struct vsphere_import_params *p, char **xml, size_t *len);
/* ImportVApp from a CreateImportSpec response (its importSpec passed on
 * as returned). */
int vsphere_build_import_vapp(const struct soap_moref *pool, struct soap_response *import_spec,
			      const struct soap_moref *folder, char **xml, size_t *len);
/* importSpec errors (each localizedMessage, joined by "; "), NULL if none. */
char *vsphere_import_spec_errors(struct soap_response *resp);
