/* cmd_publish.c — `hnbuild publish OVA`: import an OVA into vCenter as a
 * template in a folder (vsphere.h), with its own flags falling back to the
 * AWS templates' VSPHERE_* environment variables. The password comes only
 * from VSPHERE_PASSWORD or a file: never from the command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "err.h"
#include "fetch.h"
#include "log.h"
#include "signals.h"
#include "spec.h"
#include "strbuf.h"
#include "util.h"
#include "vsphere.h"

static const char help[] =
    "Usage: hnbuild publish OVA [FLAGS]\n"
    "\n"
    "Imports an OVA (as `hnbuild build --format ova` writes it) into vCenter through the\n"
    "vSphere API and marks it a template: the same result as the Packer vsphere-iso builds,\n"
    "without a vCenter in the build loop. Each flag falls back to the environment variable\n"
    "named beside it. A failed import is rolled back (lease aborted, partial VM removed).\n"
    "\n"
    "  --vcenter URL          vCenter host or https URL (VSPHERE_SERVER)\n"
    "  --user USER            vCenter user (VSPHERE_USER)\n"
    "  --password-file FILE   read the password from FILE (else VSPHERE_PASSWORD);\n"
    "                         there is no --password: argv is visible to every user\n"
    "  --datacenter DC        datacenter (VSPHERE_DATACENTER)\n"
    "  --cluster CLUSTER      cluster whose root resource pool receives the VM (VSPHERE_CLUSTER)\n"
    "  --resource-pool POOL   resource pool, relative to the cluster's Resources or an\n"
    "                         absolute inventory path (VSPHERE_RESOURCE_POOL)\n"
    "  --datastore DS         datastore (VSPHERE_DATASTORE)\n"
    "  --network NET          network the OVA's NIC is mapped to (VSPHERE_NETWORK)\n"
    "  --folder FOLDER        VM folder, relative to the datacenter's vm folder or an\n"
    "                         absolute inventory path (VSPHERE_OUTPUT_FOLDER)\n"
    "  --name NAME            template name (default: the OVA file name without .ova)\n"
    "  --template             mark the import a template (default)\n"
    "  --no-template          keep it a powered-off VM\n"
    "  --force                replace an existing VM/template of that name (the new one is\n"
    "                         imported first; the old one is removed only after success)\n"
    "  --content-library LIB  import into a content library (not supported yet)\n"
    "  --ca-file FILE         CA bundle that signs vCenter's certificate (VSPHERE_CA_FILE)\n"
    "  --insecure             do not verify vCenter's TLS certificate (VSPHERE_INSECURE=1)\n"
    "  --json                 print the result as JSON on stdout\n"
    "  -v, --verbose / -q, --quiet / --log-format text|json\n"
    "\n"
    "Exit codes: 0 published; 1 failed (login refused, TLS, lease or upload errors);\n"
    "2 bad flags, or a datacenter/cluster/pool/datastore/network/folder vCenter does not\n"
    "know, or an existing VM/template of that name without --force; 3 the OVA is not\n"
    "readable or a disk does not match its manifest; 130 interrupted.\n";

enum {
	OPT_VCENTER = 256,
	OPT_USER,
	OPT_PASSWORD,
	OPT_PASSWORD_FILE,
	OPT_DATACENTER,
	OPT_CLUSTER,
	OPT_RESOURCE_POOL,
	OPT_DATASTORE,
	OPT_NETWORK,
	OPT_FOLDER,
	OPT_NAME,
	OPT_TEMPLATE,
	OPT_NO_TEMPLATE,
	OPT_CONTENT_LIBRARY,
	OPT_FORCE,
	OPT_INSECURE,
	OPT_CA_FILE,
	OPT_JSON,
	OPT_LOG_FORMAT,
};

static const struct option options[] = {
    {"vcenter", required_argument, NULL, OPT_VCENTER},
    {"user", required_argument, NULL, OPT_USER},
    {"password", optional_argument, NULL, OPT_PASSWORD},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"datacenter", required_argument, NULL, OPT_DATACENTER},
    {"cluster", required_argument, NULL, OPT_CLUSTER},
    {"resource-pool", required_argument, NULL, OPT_RESOURCE_POOL},
    {"datastore", required_argument, NULL, OPT_DATASTORE},
    {"network", required_argument, NULL, OPT_NETWORK},
    {"folder", required_argument, NULL, OPT_FOLDER},
    {"name", required_argument, NULL, OPT_NAME},
    {"template", no_argument, NULL, OPT_TEMPLATE},
    {"no-template", no_argument, NULL, OPT_NO_TEMPLATE},
    {"content-library", required_argument, NULL, OPT_CONTENT_LIBRARY},
    {"force", no_argument, NULL, OPT_FORCE},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"json", no_argument, NULL, OPT_JSON},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void settings_free(struct vsphere_settings *vs)
{
	if (vs->password) {
		explicit_bzero(vs->password, strlen(vs->password));
		free(vs->password);
	}
	char **strs[] = {&vs->server,  &vs->user,   &vs->datacenter,	&vs->cluster,	      &vs->datastore,
			 &vs->network, &vs->folder, &vs->resource_pool, &vs->content_library, &vs->ca_file};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	vs->password = NULL;
}

static void from_env(char **dst, const char *var)
{
	const char *v = getenv(var);
	if (!*dst && !str_empty(v))
		*dst = xstrdup(v);
}

static bool env_true(const char *var)
{
	const char *v = getenv(var);
	return v && (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"));
}

static int read_password_file(const char *path, char **out)
{
	char *data = NULL;
	size_t len = 0;
	int r = read_file_max(path, SECRET_FILE_MAX, &data, &len);
	if (r < 0)
		return err_usage("--password-file %s: cannot read it: %s", path, strerror(-r));
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	if (len == 0 || memchr(data, '\n', len)) {
		explicit_bzero(data, len);
		free(data);
		return err_usage("--password-file %s: expected the password on one line", path);
	}
	*out = data;
	return 0;
}

static void json_field(struct strbuf *sb, const char *key, const char *value, bool last)
{
	sb_addf(sb, "  \"%s\": ", key);
	sb_add_json_str(sb, value);
	sb_adds(sb, last ? "\n" : ",\n");
}

int cmd_publish(int argc, char **argv)
{
	struct vsphere_settings vs = {.template_ = true};
	_cleanup_free_ char *password_file = NULL, *name = NULL;
	bool json = false;
	int verbosity = 0;
	enum log_format log_format = LOG_FORMAT_TEXT;
	int rc = EXIT_USAGE;

	optind = 0;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":vqh", options, NULL)) != -1) {
		switch (c) {
		case OPT_VCENTER:
			str_set(&vs.server, optarg);
			break;
		case OPT_USER:
			str_set(&vs.user, optarg);
			break;
		case OPT_PASSWORD:
			err_usage(
			    "--password is not accepted: the command line is visible to every user; set "
			    "VSPHERE_PASSWORD or use --password-file");
			goto out;
		case OPT_PASSWORD_FILE:
			str_set(&password_file, optarg);
			break;
		case OPT_DATACENTER:
			str_set(&vs.datacenter, optarg);
			break;
		case OPT_CLUSTER:
			str_set(&vs.cluster, optarg);
			break;
		case OPT_RESOURCE_POOL:
			str_set(&vs.resource_pool, optarg);
			break;
		case OPT_DATASTORE:
			str_set(&vs.datastore, optarg);
			break;
		case OPT_NETWORK:
			str_set(&vs.network, optarg);
			break;
		case OPT_FOLDER:
			str_set(&vs.folder, optarg);
			break;
		case OPT_NAME:
			str_set(&name, optarg);
			break;
		case OPT_TEMPLATE:
			vs.template_ = true;
			break;
		case OPT_NO_TEMPLATE:
			vs.template_ = false;
			break;
		case OPT_CONTENT_LIBRARY:
			str_set(&vs.content_library, optarg);
			break;
		case OPT_FORCE:
			vs.force = true;
			break;
		case OPT_INSECURE:
			vs.insecure = true;
			break;
		case OPT_CA_FILE:
			str_set(&vs.ca_file, optarg);
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_LOG_FORMAT:
			if (!strcmp(optarg, "json"))
				log_format = LOG_FORMAT_JSON;
			else if (strcmp(optarg, "text")) {
				err_usage("--log-format: expected text or json, not '%s'", optarg);
				goto out;
			}
			break;
		case 'v':
			verbosity++;
			break;
		case 'q':
			verbosity = -1;
			break;
		case 'h':
			fputs(help, stdout);
			rc = EXIT_OK;
			goto out;
		case ':':
			err_usage("%s needs a value", argv[optind - 1]);
			goto out;
		default:
			err_usage("unknown flag %s (see hnbuild publish --help)", argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		err_usage("publish needs the OVA to upload (hnbuild publish OVA --vcenter URL ...)");
		goto out;
	}
	if (argc - optind > 1) {
		err_usage("publish takes one OVA, not '%s' as well", argv[optind + 1]);
		goto out;
	}
	const char *ova = argv[optind];

	from_env(&vs.server, "VSPHERE_SERVER");
	from_env(&vs.user, "VSPHERE_USER");
	from_env(&vs.datacenter, "VSPHERE_DATACENTER");
	from_env(&vs.cluster, "VSPHERE_CLUSTER");
	from_env(&vs.datastore, "VSPHERE_DATASTORE");
	from_env(&vs.network, "VSPHERE_NETWORK");
	from_env(&vs.folder, "VSPHERE_OUTPUT_FOLDER");
	from_env(&vs.resource_pool, "VSPHERE_RESOURCE_POOL");
	from_env(&vs.ca_file, "VSPHERE_CA_FILE");
	if (env_true("VSPHERE_INSECURE"))
		vs.insecure = true;
	if (password_file) {
		if (read_password_file(password_file, &vs.password) < 0)
			goto out;
	} else {
		from_env(&vs.password, "VSPHERE_PASSWORD");
	}
	if (vs.password)
		log_add_secret(vs.password);
	unsetenv("VSPHERE_PASSWORD"); /* read: no child inherits it */
	fetch_take_host_proxy();
	if (vs.ca_file && access(vs.ca_file, R_OK) < 0) {
		err_usage("--ca-file %s: cannot read it: %s", vs.ca_file, strerror(errno));
		goto out;
	}
	if (access(ova, R_OK) < 0) {
		err_usage("OVA %s: cannot read it: %s", ova, strerror(errno));
		goto out;
	}

	log_setup(log_format, verbosity);
	signals_install();
	if (vs.insecure)
		log_warn("--insecure: vCenter's TLS certificate is not verified");

	struct vsphere_publish_result res;
	int r = vsphere_publish(&vs, ova, name, &res);
	if (r < 0) {
		rc = err_exit_code();
		goto out;
	}
	if (json) {
		struct strbuf sb = STRBUF_INIT;
		sb_init(&sb);
		sb_adds(&sb, "{\n");
		json_field(&sb, "name", res.name, false);
		json_field(&sb, "inventory_path", res.inventory_path, false);
		json_field(&sb, "moref", res.moref, false);
		json_field(&sb, "vcenter", res.vcenter, false);
		sb_addf(
		    &sb,
		    "  \"template\": %s,\n  \"replaced\": %s,\n  \"bytes\": %llu,\n  \"seconds\": %.1f\n}\n",
		    res.template_ ? "true" : "false", res.replaced ? "true" : "false",
		    (unsigned long long)res.bytes, res.seconds);
		fputs(sb_str(&sb), stdout);
		sb_release(&sb);
	} else {
		printf("%s %s (%s)\n", res.template_ ? "template" : "vm", res.inventory_path, res.moref);
	}
	fflush(stdout);
	vsphere_publish_result_free(&res);
	rc = EXIT_OK;
out:
	settings_free(&vs);
	return rc;
}
