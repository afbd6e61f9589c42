/* aicheck.c — checks a user's autoinstall document with the rules of the
 * subiquity on each Ubuntu target's media: its schema, what its controllers
 * and storage model refuse, and (24.04) cloud-init's schema for user-data.
 * The rules are our own tables; each names where in subiquity it comes from. */
#include "aicheck.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cleanup.h"
#include "config.h"
#include "strbuf.h"
#include "util.h"

enum { R20 = 1u << 0, R22 = 1u << 1, R24 = 1u << 2, RALL = R20 | R22 | R24 };

/* The subiquity (tag of canonical/subiquity) whose rules apply to a target. */
struct release {
	enum os_id os;
	unsigned bit;
	const char *subiquity;
	const char *media;
};

static const struct release releases[] = {
    {OS_UBUNTU20, R20, "21.08.2", "20.04"}, /* 20.04.3 media */
    {OS_UBUNTU22, R22, "22.04.2", "22.04"}, /* 22.04 (GA) media */
    {OS_UBUNTU24, R24, "24.04.3", "24.04"}, /* 24.04.3 media */
};

/* Time zones subiquity 21.08.2 accepts besides "" and "geoip": the
 * `timedatectl list-timezones` of 20.04 (zone1970.tab and UTC, no Etc/ or
 * backward names), as its autoinstall-schema.json at 21.08.2 lists them
 * (subiquity/server/controllers/timezone.py generate_possible_tzs). Sorted. */
/* clang-format off */
static const char *const focal_time_zones[] = {
	"Africa/Abidjan", "Africa/Accra", "Africa/Algiers", "Africa/Bissau", "Africa/Cairo",
	"Africa/Casablanca", "Africa/Ceuta", "Africa/El_Aaiun", "Africa/Johannesburg", "Africa/Juba",
	"Africa/Khartoum", "Africa/Lagos", "Africa/Maputo", "Africa/Monrovia", "Africa/Nairobi",
	"Africa/Ndjamena", "Africa/Sao_Tome", "Africa/Tripoli", "Africa/Tunis", "Africa/Windhoek",
	"America/Adak", "America/Anchorage", "America/Araguaina", "America/Argentina/Buenos_Aires",
	"America/Argentina/Catamarca", "America/Argentina/Cordoba", "America/Argentina/Jujuy",
	"America/Argentina/La_Rioja", "America/Argentina/Mendoza", "America/Argentina/Rio_Gallegos",
	"America/Argentina/Salta", "America/Argentina/San_Juan", "America/Argentina/San_Luis",
	"America/Argentina/Tucuman", "America/Argentina/Ushuaia", "America/Asuncion", "America/Atikokan",
	"America/Bahia", "America/Bahia_Banderas", "America/Barbados", "America/Belem", "America/Belize",
	"America/Blanc-Sablon", "America/Boa_Vista", "America/Bogota", "America/Boise",
	"America/Cambridge_Bay", "America/Campo_Grande", "America/Cancun", "America/Caracas",
	"America/Cayenne", "America/Chicago", "America/Chihuahua", "America/Costa_Rica", "America/Creston",
	"America/Cuiaba", "America/Curacao", "America/Danmarkshavn", "America/Dawson",
	"America/Dawson_Creek", "America/Denver", "America/Detroit", "America/Edmonton",
	"America/Eirunepe", "America/El_Salvador", "America/Fort_Nelson", "America/Fortaleza",
	"America/Glace_Bay", "America/Goose_Bay", "America/Grand_Turk", "America/Guatemala",
	"America/Guayaquil", "America/Guyana", "America/Halifax", "America/Havana", "America/Hermosillo",
	"America/Indiana/Indianapolis", "America/Indiana/Knox", "America/Indiana/Marengo",
	"America/Indiana/Petersburg", "America/Indiana/Tell_City", "America/Indiana/Vevay",
	"America/Indiana/Vincennes", "America/Indiana/Winamac", "America/Inuvik", "America/Iqaluit",
	"America/Jamaica", "America/Juneau", "America/Kentucky/Louisville", "America/Kentucky/Monticello",
	"America/La_Paz", "America/Lima", "America/Los_Angeles", "America/Maceio", "America/Managua",
	"America/Manaus", "America/Martinique", "America/Matamoros", "America/Mazatlan",
	"America/Menominee", "America/Merida", "America/Metlakatla", "America/Mexico_City",
	"America/Miquelon", "America/Moncton", "America/Monterrey", "America/Montevideo", "America/Nassau",
	"America/New_York", "America/Nipigon", "America/Nome", "America/Noronha",
	"America/North_Dakota/Beulah", "America/North_Dakota/Center", "America/North_Dakota/New_Salem",
	"America/Nuuk", "America/Ojinaga", "America/Panama", "America/Pangnirtung", "America/Paramaribo",
	"America/Phoenix", "America/Port-au-Prince", "America/Port_of_Spain", "America/Porto_Velho",
	"America/Puerto_Rico", "America/Punta_Arenas", "America/Rainy_River", "America/Rankin_Inlet",
	"America/Recife", "America/Regina", "America/Resolute", "America/Rio_Branco", "America/Santarem",
	"America/Santiago", "America/Santo_Domingo", "America/Sao_Paulo", "America/Scoresbysund",
	"America/Sitka", "America/St_Johns", "America/Swift_Current", "America/Tegucigalpa",
	"America/Thule", "America/Thunder_Bay", "America/Tijuana", "America/Toronto", "America/Vancouver",
	"America/Whitehorse", "America/Winnipeg", "America/Yakutat", "America/Yellowknife",
	"Antarctica/Casey", "Antarctica/Davis", "Antarctica/DumontDUrville", "Antarctica/Macquarie",
	"Antarctica/Mawson", "Antarctica/Palmer", "Antarctica/Rothera", "Antarctica/Syowa",
	"Antarctica/Troll", "Antarctica/Vostok", "Asia/Almaty", "Asia/Amman", "Asia/Anadyr", "Asia/Aqtau",
	"Asia/Aqtobe", "Asia/Ashgabat", "Asia/Atyrau", "Asia/Baghdad", "Asia/Baku", "Asia/Bangkok",
	"Asia/Barnaul", "Asia/Beirut", "Asia/Bishkek", "Asia/Brunei", "Asia/Chita", "Asia/Choibalsan",
	"Asia/Colombo", "Asia/Damascus", "Asia/Dhaka", "Asia/Dili", "Asia/Dubai", "Asia/Dushanbe",
	"Asia/Famagusta", "Asia/Gaza", "Asia/Hebron", "Asia/Ho_Chi_Minh", "Asia/Hong_Kong", "Asia/Hovd",
	"Asia/Irkutsk", "Asia/Jakarta", "Asia/Jayapura", "Asia/Jerusalem", "Asia/Kabul", "Asia/Kamchatka",
	"Asia/Karachi", "Asia/Kathmandu", "Asia/Khandyga", "Asia/Kolkata", "Asia/Krasnoyarsk",
	"Asia/Kuala_Lumpur", "Asia/Kuching", "Asia/Macau", "Asia/Magadan", "Asia/Makassar", "Asia/Manila",
	"Asia/Nicosia", "Asia/Novokuznetsk", "Asia/Novosibirsk", "Asia/Omsk", "Asia/Oral",
	"Asia/Pontianak", "Asia/Pyongyang", "Asia/Qatar", "Asia/Qostanay", "Asia/Qyzylorda", "Asia/Riyadh",
	"Asia/Sakhalin", "Asia/Samarkand", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore",
	"Asia/Srednekolymsk", "Asia/Taipei", "Asia/Tashkent", "Asia/Tbilisi", "Asia/Tehran",
	"Asia/Thimphu", "Asia/Tokyo", "Asia/Tomsk", "Asia/Ulaanbaatar", "Asia/Urumqi", "Asia/Ust-Nera",
	"Asia/Vladivostok", "Asia/Yakutsk", "Asia/Yangon", "Asia/Yekaterinburg", "Asia/Yerevan",
	"Atlantic/Azores", "Atlantic/Bermuda", "Atlantic/Canary", "Atlantic/Cape_Verde", "Atlantic/Faroe",
	"Atlantic/Madeira", "Atlantic/Reykjavik", "Atlantic/South_Georgia", "Atlantic/Stanley",
	"Australia/Adelaide", "Australia/Brisbane", "Australia/Broken_Hill", "Australia/Darwin",
	"Australia/Eucla", "Australia/Hobart", "Australia/Lindeman", "Australia/Lord_Howe",
	"Australia/Melbourne", "Australia/Perth", "Australia/Sydney", "Europe/Amsterdam", "Europe/Andorra",
	"Europe/Astrakhan", "Europe/Athens", "Europe/Belgrade", "Europe/Berlin", "Europe/Brussels",
	"Europe/Bucharest", "Europe/Budapest", "Europe/Chisinau", "Europe/Copenhagen", "Europe/Dublin",
	"Europe/Gibraltar", "Europe/Helsinki", "Europe/Istanbul", "Europe/Kaliningrad", "Europe/Kiev",
	"Europe/Kirov", "Europe/Lisbon", "Europe/London", "Europe/Luxembourg", "Europe/Madrid",
	"Europe/Malta", "Europe/Minsk", "Europe/Monaco", "Europe/Moscow", "Europe/Oslo", "Europe/Paris",
	"Europe/Prague", "Europe/Riga", "Europe/Rome", "Europe/Samara", "Europe/Saratov",
	"Europe/Simferopol", "Europe/Sofia", "Europe/Stockholm", "Europe/Tallinn", "Europe/Tirane",
	"Europe/Ulyanovsk", "Europe/Uzhgorod", "Europe/Vienna", "Europe/Vilnius", "Europe/Volgograd",
	"Europe/Warsaw", "Europe/Zaporozhye", "Europe/Zurich", "Indian/Chagos", "Indian/Christmas",
	"Indian/Cocos", "Indian/Kerguelen", "Indian/Mahe", "Indian/Maldives", "Indian/Mauritius",
	"Indian/Reunion", "Pacific/Apia", "Pacific/Auckland", "Pacific/Bougainville", "Pacific/Chatham",
	"Pacific/Chuuk", "Pacific/Easter", "Pacific/Efate", "Pacific/Enderbury", "Pacific/Fakaofo",
	"Pacific/Fiji", "Pacific/Funafuti", "Pacific/Galapagos", "Pacific/Gambier", "Pacific/Guadalcanal",
	"Pacific/Guam", "Pacific/Honolulu", "Pacific/Kiritimati", "Pacific/Kosrae", "Pacific/Kwajalein",
	"Pacific/Majuro", "Pacific/Marquesas", "Pacific/Nauru", "Pacific/Niue", "Pacific/Norfolk",
	"Pacific/Noumea", "Pacific/Pago_Pago", "Pacific/Palau", "Pacific/Pitcairn", "Pacific/Pohnpei",
	"Pacific/Port_Moresby", "Pacific/Rarotonga", "Pacific/Tahiti", "Pacific/Tarawa",
	"Pacific/Tongatapu", "Pacific/Wake", "Pacific/Wallis", "UTC",
};
/* clang-format on */

/* The top-level keys of cloud-init's cloud-config schema
 * (cloudinit/config/schemas/schema-cloud-config-v1.json, additionalProperties
 * false) at ubuntu/25.1.4-0ubuntu0_22.04.1 (45feb9f7), the cloud-init the
 * 24.04.3 subiquity snap (core22) carries. Sorted. */
/* clang-format off */
static const char *const cloud_config_keys[] = {
	"allow_public_ssh_keys", "ansible", "apk_repos", "apt", "apt_pipelining", "apt_reboot_if_required",
	"apt_update", "apt_upgrade", "authkey_hash", "autoinstall", "bootcmd", "byobu_by_default",
	"ca-certs", "ca_certs", "chef", "chpasswd", "cloud_config_modules", "cloud_final_modules",
	"cloud_init_modules", "create_hostname_file", "device_aliases", "disable_ec2_metadata",
	"disable_root", "disable_root_opts", "disk_setup", "drivers", "fan", "final_message", "fqdn",
	"fs_setup", "groups", "growpart", "grub-dpkg", "grub_dpkg", "hostname", "keyboard", "landscape",
	"launch-index", "locale", "locale_configfile", "lxd", "manage_etc_hosts", "manage_resolv_conf",
	"mcollective", "merge_how", "merge_type", "migrate", "mount_default_fields", "mounts",
	"no_ssh_fingerprints", "ntp", "output", "package_reboot_if_required", "package_update",
	"package_upgrade", "packages", "password", "phone_home", "power_state",
	"prefer_fqdn_over_hostname", "preserve_hostname", "puppet", "random_seed", "reporting",
	"resize_rootfs", "resolv_conf", "rh_subscription", "rsyslog", "runcmd", "salt_minion", "snap",
	"spacewalk", "ssh", "ssh_authorized_keys", "ssh_deletekeys", "ssh_fp_console_blacklist",
	"ssh_genkeytypes", "ssh_import_id", "ssh_key_console_blacklist", "ssh_keys",
	"ssh_publish_hostkeys", "ssh_pwauth", "ssh_quiet_keygen", "swap", "system_info", "timezone",
	"ubuntu_advantage", "ubuntu_pro", "updates", "user", "users", "vendor_data", "version",
	"wireguard", "write_files", "yum_repo_dir", "yum_repos", "zypper",
};
/* clang-format on */

/* Storage action types the filesystem model knows (the @fsobj classes of
 * subiquity/models/filesystem.py); it drops actions of other types. */
static const struct {
	const char *type;
	unsigned releases;
} storage_types[] = {
    {"dasd", RALL},	    {"disk", RALL},	      {"partition", RALL}, {"raid", RALL},
    {"lvm_volgroup", RALL}, {"lvm_partition", RALL},  {"dm_crypt", RALL},  {"format", RALL},
    {"mount", RALL},	    {"nvme_controller", R24}, {"device", R24},	   {"zpool", R24},
    {"zfs", R24},
};

/* The installation sources of the server ISO's catalog (24.04;
 * examples/sources/install.yaml mirrors casper/install-sources.yaml). */
static const char *const server_sources[] = {"ubuntu-server", "ubuntu-server-minimal", NULL};

/* ---- YAML values as PyYAML's safe_load types them ---- */

enum kind { K_NULL, K_BOOL, K_INT, K_FLOAT, K_STR, K_DATE, K_SEQ, K_MAP };
#define TY(k) (1u << (k))

enum { RE_NULL, RE_BOOL, RE_INT, RE_FLOAT, RE_DATE, RE__COUNT };

/* PyYAML's implicit resolvers (YAML 1.1) for plain scalars. */
/* clang-format off */
static const char *const resolver_patterns[RE__COUNT] = {
	[RE_NULL] = "^(~|null|Null|NULL)?$",
	[RE_BOOL] = "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
	[RE_INT] = "^([-+]?0b[01_]+"
		   "|[-+]?0[0-7_]+"
		   "|[-+]?(0|[1-9][0-9_]*)"
		   "|[-+]?0x[0-9a-fA-F_]+"
		   "|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
	[RE_FLOAT] = "^([-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+][0-9]+)?"
		     "|\\.[0-9][0-9_]*([eE][-+][0-9]+)?"
		     "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
		     "|[-+]?\\.(inf|Inf|INF)"
		     "|\\.(nan|NaN|NAN))$",
	[RE_DATE] = "^([0-9]{4}-[0-9]{2}-[0-9]{2}"
		    "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?"
		    "([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)$",
};
/* clang-format on */

struct ctx {
	const char *file;
	yaml_document_t *doc;
	const struct release *rel;
	enum firmware_kind fw;
	struct doc_check *out;
	yaml_node_t *ai; /* the autoinstall mapping */
	char *who;	 /* "subiquity 24.04.3 (Ubuntu 24.04 media)" */
	regex_t re[RE__COUNT];
};

static const char *scalar_text(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static enum kind kind_of(const struct ctx *c, const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return K_SEQ;
	if (n->type == YAML_MAPPING_NODE)
		return K_MAP;
	const char *tag = (const char *)n->tag;
	/* libyaml gives untagged scalars the str tag; other tags are explicit */
	if (tag && strcmp(tag, YAML_STR_TAG) != 0) {
		static const struct {
			const char *tag;
			enum kind kind;
		} tags[] = {{YAML_NULL_TAG, K_NULL},
			    {YAML_BOOL_TAG, K_BOOL},
			    {YAML_INT_TAG, K_INT},
			    {YAML_FLOAT_TAG, K_FLOAT},
			    {YAML_TIMESTAMP_TAG, K_DATE}};
		for (size_t i = 0; i < ARRAY_SIZE(tags); i++)
			if (!strcmp(tag, tags[i].tag))
				return tags[i].kind;
		return K_STR;
	}
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return K_STR;
	const char *s = scalar_text(n);
	static const enum kind by_re[RE__COUNT] = {[RE_NULL] = K_NULL,
						   [RE_BOOL] = K_BOOL,
						   [RE_INT] = K_INT,
						   [RE_FLOAT] = K_FLOAT,
						   [RE_DATE] = K_DATE};
	for (unsigned i = 0; i < RE__COUNT; i++)
		if (regexec(&c->re[i], s, 0, NULL, 0) == 0)
			return by_re[i];
	return K_STR;
}

static bool is_str(const struct ctx *c, const yaml_node_t *n)
{
	return n && kind_of(c, n) == K_STR;
}

/* The number a plain int or float scalar stands for (YAML 1.1: 0b, 0x,
 * leading-0 octal, base 60 with ':', '_' ignored). */
static double number_of(const yaml_node_t *n, enum kind k)
{
	const char *s = scalar_text(n);
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (; *s; s++)
		if (*s != '_')
			sb_addc(&sb, *s);
	const char *t = sb_str(&sb);
	double sign = 1, v = 0;
	if (*t == '-' || *t == '+')
		sign = *t++ == '-' ? -1 : 1;
	if (k == K_FLOAT && strchr(t, ':') == NULL) {
		if (!strcasecmp(t, ".inf"))
			v = INFINITY;
		else if (!strcasecmp(t, ".nan"))
			v = NAN;
		else
			v = strtod(t, NULL);
	} else if (strchr(t, ':')) {
		for (const char *p = t; *p;) {
			char *end;
			double part = strtod(p, &end);
			v = v * 60 + part;
			p = *end == ':' ? end + 1 : end + strlen(end);
		}
	} else if (!strncmp(t, "0b", 2)) {
		v = (double)strtoull(t + 2, NULL, 2);
	} else if (!strncmp(t, "0x", 2)) {
		v = (double)strtoull(t + 2, NULL, 16);
	} else if (t[0] == '0' && t[1]) {
		v = (double)strtoull(t + 1, NULL, 8);
	} else {
		v = strtod(t, NULL);
	}
	sb_release(&sb);
	return sign * v;
}

/* Python's truth value of a loaded YAML value. */
static bool truthy(const struct ctx *c, const yaml_node_t *n)
{
	switch (kind_of(c, n)) {
	case K_NULL:
		return false;
	case K_BOOL: {
		const char *s = scalar_text(n);
		return strchr("yYtToO", s[0]) && strcasecmp(s, "off") != 0;
	}
	case K_INT:
	case K_FLOAT:
		return number_of(n, kind_of(c, n)) != 0;
	case K_STR:
	case K_DATE:
		return scalar_text(n)[0] != '\0';
	case K_SEQ:
		return n->data.sequence.items.top > n->data.sequence.items.start;
	case K_MAP:
		return n->data.mapping.pairs.top > n->data.mapping.pairs.start;
	}
	return false;
}

/* YAML true, or 1 (Python compares True == 1), as grub_device is matched. */
static bool is_true(const struct ctx *c, const yaml_node_t *n)
{
	enum kind k = n ? kind_of(c, n) : K_NULL;
	if (k == K_BOOL)
		return truthy(c, n);
	return k == K_INT && number_of(n, k) == 1;
}

static size_t map_size(const yaml_node_t *map)
{
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

static yaml_node_t *pair_key(const struct ctx *c, const yaml_node_t *map, size_t i)
{
	return yaml_document_get_node(c->doc, map->data.mapping.pairs.start[i].key);
}

static yaml_node_t *pair_value(const struct ctx *c, const yaml_node_t *map, size_t i)
{
	return yaml_document_get_node(c->doc, map->data.mapping.pairs.start[i].value);
}

/* The value YAML keeps for key (the last of equal keys), and its key node. */
static yaml_node_t *map_get(const struct ctx *c, const yaml_node_t *map, const char *key,
			    yaml_node_t **key_node)
{
	yaml_node_t *found = NULL;
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (size_t i = 0; i < map_size(map); i++) {
		const char *k = scalar_text(pair_key(c, map, i));
		if (k && !strcmp(k, key)) {
			found = pair_value(c, map, i);
			if (key_node)
				*key_node = pair_key(c, map, i);
		}
	}
	return found;
}

static bool map_has(const struct ctx *c, const yaml_node_t *map, const char *key)
{
	return map_get(c, map, key, NULL) != NULL;
}

static size_t seq_size(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

static yaml_node_t *seq_item(const struct ctx *c, const yaml_node_t *seq, size_t i)
{
	return yaml_document_get_node(c->doc, seq->data.sequence.items.start[i]);
}

static bool in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool in_sorted(const char *const *table, size_t n, const char *s)
{
	return bsearch(&s, table, n, sizeof(*table), cmp_str) != NULL;
}

static bool storage_type_known(const struct ctx *c, const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(storage_types); i++)
		if (!strcmp(storage_types[i].type, type))
			return storage_types[i].releases & c->rel->bit;
	return false;
}

/* ---- messages ---- */

static void note(struct ctx *c, bool warning, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(struct ctx *c, bool warning, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	doc_check_vadd(c->out, warning, c->file, (unsigned)m.line + 1, (unsigned)m.column + 1, fmt, ap);
	va_end(ap);
}

/* A user's value for a message: quoted, printable, cut at 60 bytes. */
static char *shown(const struct ctx *c, const yaml_node_t *n)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	enum kind k = kind_of(c, n);
	if (k == K_SEQ) {
		sb_adds(&sb, "a list");
	} else if (k == K_MAP) {
		sb_adds(&sb, "a mapping");
	} else {
		const char *s = scalar_text(n);
		size_t len = strlen(s);
		_cleanup_free_ char *cut = strndup(s, len > 60 ? 60 : len);
		if (!cut)
			abort();
		sb_addc(&sb, '\'');
		sb_add_printable(&sb, cut, false);
		sb_adds(&sb, len > 60 ? "...'" : "'");
	}
	return sb_detach(&sb, NULL);
}

static const char *kind_name(enum kind k)
{
	static const char *const names[] = {
	    [K_NULL] = "null (empty)", [K_BOOL] = "true/false", [K_INT] = "an integer",
	    [K_FLOAT] = "a number",    [K_STR] = "a string",	[K_DATE] = "a date",
	    [K_SEQ] = "a list",	       [K_MAP] = "a mapping"};
	return names[k];
}

/* Where a value is: its key (or list item) for the message's position, its
 * path, and the top-level section subiquity names when it refuses it. */
struct at {
	yaml_node_t *node;
	yaml_mark_t mark;
	const char *path;
	const char *section;
};

static char *path_key(const char *path, const char *key)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "%s.", path);
	sb_add_printable(&sb, key, false);
	return sb_detach(&sb, NULL);
}

static char *path_index(const char *path, size_t i)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "%s[%zu]", path, i);
	return sb_detach(&sb, NULL);
}

/* The schema check of a section failed (jsonschema.validate in
 * SubiquityController.setup_autoinstall, subiquity/server/controller.py;
 * 24.04 wraps it in AutoinstallValidationError, server/autoinstall.py). */
static void refuse(struct ctx *c, const struct at *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(struct ctx *c, const struct at *at, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (c->rel->bit == R24)
		note(c, false, at->mark, "%s: %s; %s stops with \"Malformed autoinstall in '%s' section\"",
		     at->path, sb_str(&sb), c->who, at->section);
	else
		note(c, false, at->mark, "%s: %s; %s refuses it (schema of the '%s' section)", at->path,
		     sb_str(&sb), c->who, at->section);
}

/* A controller or the storage model fails on the value: said is what the
 * installer reports (an exception's text), or NULL. */
static void fail(struct ctx *c, yaml_mark_t m, const char *path, const char *said, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void fail(struct ctx *c, yaml_mark_t m, const char *path, const char *said, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (said)
		note(c, false, m, "%s: %s; %s stops with \"%s\"", path, sb_str(&sb), c->who, said);
	else
		note(c, false, m, "%s: %s; %s fails on it", path, sb_str(&sb), c->who);
}

/* Which pairs of map YAML keeps: of equal keys only the last (PyYAML),
 * the others are warned about. The caller frees. */
static bool *kept_pairs(struct ctx *c, const yaml_node_t *map, const char *path)
{
	size_t n = map_size(map);
	bool *kept = xcalloc(n ? n : 1, sizeof(*kept));
	_cleanup_free_ size_t *first = config_mapping_firsts(c->doc, (yaml_node_t *)map);
	_cleanup_free_ size_t *last = xcalloc(n ? n : 1, sizeof(*last));
	for (size_t i = 0; i < n; i++)
		last[first[i]] = i;
	for (size_t i = 0; i < n; i++) {
		kept[i] = last[first[i]] == i;
		if (first[i] != i) {
			yaml_node_t *k = pair_key(c, map, i);
			_cleanup_free_ char *p = path_key(path, scalar_text(k));
			note(c, true, k->start_mark,
			     "%s: given again (also at line %zu): YAML keeps only the last", p,
			     pair_key(c, map, first[i])->start_mark.line + 1);
		}
	}
	return kept;
}

/* Damerau-Levenshtein distance up to 63 bytes (for "did you mean"). */
static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99;
	unsigned d[64][64];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* ---- the autoinstall schema, as subiquity's controllers declare it ---- */

struct schema;

/* A key of a mapping, in the releases whose schema has it. */
struct prop {
	const char *name;
	unsigned releases;
	const struct schema *schema;
};

/* The part of JSON Schema subiquity uses. Restrictions apply to values of
 * their kind only (choices to strings, props to mappings, items to lists),
 * as JSON Schema's keywords do; an integral float is an integer (draft 7). */
struct schema {
	unsigned types;		     /* TY(K_...) allowed */
	const char *const *choices;  /* strings allowed (enum / const) */
	const struct prop *props;    /* known keys */
	const char *const *required; /* keys that must be there */
	bool closed;		     /* no other keys (additionalProperties: false) */
	const struct schema *items;  /* each item of a list */
	const struct schema *values; /* each value of a key not in props */
	bool ranged;		     /* numbers within [min, max] */
	long long min, max;
	unsigned min_len, max_len;			   /* string length in code points */
	const char *token_chars;			   /* 'C' then these (a Pro token's pattern) */
	void (*check)(struct ctx *c, const struct at *at); /* what the schema cannot say */
};

static void validate(struct ctx *c, const struct schema *s, const struct at *at);

#define STR_LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct schema str_s = {.types = TY(K_STR)};
static const struct schema bool_s = {.types = TY(K_BOOL)};
static const struct schema int_s = {.types = TY(K_INT)};
static const struct schema map_s = {.types = TY(K_MAP)};
static const struct schema list_s = {.types = TY(K_SEQ)};
static const struct schema str_list_s = {.types = TY(K_SEQ), .items = &str_s};
/* early-commands, late-commands, error-commands (server/controllers/cmdlist.py) */
static const struct schema commands_s = {
    .types = TY(K_SEQ), .items = &(const struct schema){.types = TY(K_STR) | TY(K_SEQ), .items = &str_s}};
/* ubuntu-advantage / ubuntu-pro token: ^C[base58]+$, 24 to 30 long */
static const struct schema token_s = {.types = TY(K_STR),
				      .min_len = 24,
				      .max_len = 30,
				      .token_chars =
					  "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"};
static const struct schema pro_s = {.types = TY(K_MAP),
				    .props = (const struct prop[]){{"token", RALL, &token_s}, {0}}};
static const struct schema install_flag_s = {.types = TY(K_MAP),
					     .props = (const struct prop[]){{"install", RALL, &bool_s}, {0}}};
/* network: ethernets and wifis have a key literally named "match" in the
 * schema (server/controllers/network.py) */
static const struct schema netdevs_s = {
    .types = TY(K_MAP),
    .props = (const struct prop[]){
	{"match", RALL,
	 &(const struct schema){.types = TY(K_MAP),
				.closed = true,
				.props = (const struct prop[]){{"name", RALL, &str_s},
							       {"macaddress", RALL, &str_s},
							       {"driver", RALL, &str_s},
							       {0}}}},
	{0}}};
static const struct schema netplan_s = {
    .types = TY(K_MAP),
    .required = STR_LIST("version"),
    .props = (const struct prop[]){
	{"version", RALL, &(const struct schema){.types = TY(K_INT), .ranged = true, .min = 2, .max = 2}},
	{"ethernets", RALL, &netdevs_s},
	{"wifis", RALL, &netdevs_s},
	{"bridges", RALL, &map_s},
	{"bonds", RALL, &map_s},
	{"tunnels", RALL, &map_s},
	{"vlans", RALL, &map_s},
	{0}}};

static void check_timezone_focal(struct ctx *c, const struct at *at);
static void check_kernel(struct ctx *c, const struct at *at);
static void check_network(struct ctx *c, const struct at *at);
static void check_apt(struct ctx *c, const struct at *at);
static void check_source(struct ctx *c, const struct at *at);
static void check_user_data(struct ctx *c, const struct at *at);
static void check_storage(struct ctx *c, const struct at *at);

/* apt.mirror-selection.primary (24.04): "country-mirror" or {uri, arches} */
static const struct schema mirror_candidates_s = {
    .types = TY(K_SEQ),
    .items = &(const struct schema){
	.types = TY(K_STR) | TY(K_MAP),
	.choices = STR_LIST("country-mirror"),
	.required = STR_LIST("uri"),
	.props = (const struct prop[]){{"uri", R24, &str_s}, {"arches", R24, &str_list_s}, {0}}}};

/* apt (server/controllers/mirror.py; 24.04 also models/mirror.py) */
static const struct schema apt_s = {
    .types = TY(K_MAP),
    .check = check_apt,
    .props = (const struct prop[]){
	{"preserve_sources_list", RALL, &bool_s},
	{"primary", RALL, &list_s},
	{"geoip", RALL, &bool_s},
	{"sources", RALL, &map_s},
	{"disable_components", R22 | R24,
	 &(const struct schema){
	     .types = TY(K_SEQ),
	     .items = &(const struct schema){.types = TY(K_STR),
					     .choices = STR_LIST("universe", "multiverse", "restricted",
								 "contrib", "non-free")}}},
	{"preferences", R22 | R24,
	 &(const struct schema){
	     .types = TY(K_SEQ),
	     .items = &(const struct schema){.types = TY(K_MAP),
					     .required = STR_LIST("package", "pin", "pin-priority"),
					     .props = (const struct prop[]){{"package", RALL, &str_s},
									    {"pin", RALL, &str_s},
									    {"pin-priority", RALL, &int_s},
									    {0}}}}},
	{"mirror-selection", R24,
	 &(const struct schema){.types = TY(K_MAP),
				.props = (const struct prop[]){{"primary", R24, &mirror_candidates_s}, {0}}}},
	{"fallback", R24,
	 &(const struct schema){.types = TY(K_STR),
				.choices = STR_LIST("abort", "continue-anyway", "offline-install")}},
	{0}}};

/* A top-level key of the autoinstall mapping: a controller's autoinstall_key
 * (the controllers in subiquity/server/controllers/) or the server's base_schema
 * (server/server.py), in the releases that have it. */
struct section {
	const char *key;
	unsigned releases;
	const struct schema *schema; /* NULL: no schema (any value) */
	unsigned null_fails;	     /* releases whose controller fails on a null value */
	const char *null_needs;	     /* what to give instead */
	bool base;		     /* in the server's base_schema: checked even when null */
};

static const struct section sections[] = {
    {"version", RALL, &(const struct schema){.types = TY(K_INT), .ranged = true, .min = 1, .max = 1}, RALL,
     "1", true},
    /* read by SubiquityController.interactive(); in base_schema from 24.04 on */
    {"interactive-sections", R20 | R22, NULL, R20 | R22, "a list", false},
    {"interactive-sections", R24, &str_list_s, R24, "a list", true},
    {"early-commands", RALL, &commands_s, RALL, "a list", false},
    {"late-commands", RALL, &commands_s, RALL, "a list", false},
    {"error-commands", RALL, &commands_s, RALL, "a list", false},
    {"reporting", RALL,
     &(const struct schema){
	 .types = TY(K_MAP),
	 .values = &(const struct schema){.types = TY(K_MAP),
					  .required = STR_LIST("type"),
					  .props = (const struct prop[]){{"type", RALL, &str_s}, {0}}}},
     0, NULL, false},
    {"user-data", RALL, &(const struct schema){.types = TY(K_MAP), .check = check_user_data}, R20 | R22,
     "a mapping", false},
    {"packages", RALL, &str_list_s, RALL, "a list", false},
    {"debconf-selections", RALL, &str_s, 0, NULL, false},
    {"locale", RALL, &str_s, RALL, "a string", false},
    {"refresh-installer", RALL,
     &(const struct schema){
	 .types = TY(K_MAP),
	 .closed = true,
	 .props = (const struct prop[]){{"update", RALL, &bool_s}, {"channel", RALL, &str_s}, {0}}},
     0, NULL, false},
    {"kernel", RALL,
     &(const struct schema){
	 .types = TY(K_MAP),
	 .check = check_kernel,
	 .props = (const struct prop[]){{"package", RALL, &str_s}, {"flavor", RALL, &str_s}, {0}}},
     0, NULL, false},
    {"keyboard", RALL,
     &(const struct schema){
	 .types = TY(K_MAP),
	 .closed = true,
	 .required = STR_LIST("layout"),
	 .props =
	     (const struct prop[]){{"layout", RALL, &str_s},
				   {"variant", RALL, &str_s},
				   {"toggle", RALL, &(const struct schema){.types = TY(K_STR) | TY(K_NULL)}},
				   {0}}},
     0, NULL, false},
    {"network", RALL, &(const struct schema){.types = TY(K_MAP), .check = check_network}, 0, NULL, false},
    {"proxy", RALL, &(const struct schema){.types = TY(K_STR) | TY(K_NULL)}, 0, NULL, false},
    {"apt", RALL, &apt_s, 0, NULL, false},
    {"storage", RALL, &(const struct schema){.types = TY(K_MAP), .check = check_storage}, 0, NULL, false},
    {"identity", RALL,
     &(const struct schema){.types = TY(K_MAP),
			    .closed = true,
			    .required = STR_LIST("username", "hostname", "password"),
			    .props = (const struct prop[]){{"realname", RALL, &str_s},
							   {"username", RALL, &str_s},
							   {"hostname", RALL, &str_s},
							   {"password", RALL, &str_s},
							   {0}}},
     0, NULL, false},
    {"ssh", RALL,
     &(const struct schema){.types = TY(K_MAP),
			    .props = (const struct prop[]){{"install-server", RALL, &bool_s},
							   {"authorized-keys", RALL, &str_list_s},
							   {"allow-pw", RALL, &bool_s},
							   {0}}},
     0, NULL, false},
    {"snaps", RALL,
     &(const struct schema){
	 .types = TY(K_SEQ),
	 .items = &(const struct schema){.types = TY(K_MAP),
					 .closed = true,
					 .required = STR_LIST("name"),
					 .props = (const struct prop[]){{"name", RALL, &str_s},
									{"channel", RALL, &str_s},
									{"classic", RALL, &bool_s},
									{0}}}},
     RALL, "a list", false},
    {"timezone", R20, &(const struct schema){.types = TY(K_STR), .check = check_timezone_focal}, 0, NULL,
     false},
    {"timezone", R22 | R24, &str_s, 0, NULL, false},
    {"updates", RALL, &(const struct schema){.types = TY(K_STR), .choices = STR_LIST("security", "all")},
     RALL, "security or all", false},
    {"shutdown", R22 | R24,
     &(const struct schema){.types = TY(K_STR), .choices = STR_LIST("reboot", "poweroff")}, 0, NULL, false},
    {"drivers", R22 | R24, &install_flag_s, 0, NULL, false},
    {"ubuntu-advantage", R22 | R24, &pro_s, 0, NULL, false},
    {"ubuntu-pro", R24, &pro_s, 0, NULL, false},
    {"active-directory", R24,
     &(const struct schema){
	 .types = TY(K_MAP),
	 .closed = true,
	 .props = (const struct prop[]){{"admin-name", R24, &str_s}, {"domain-name", R24, &str_s}, {0}}},
     0, NULL, false},
    {"codecs", R24, &install_flag_s, 0, NULL, false},
    {"oem", R24,
     &(const struct schema){.types = TY(K_MAP),
			    .required = STR_LIST("install"),
			    .props =
				(const struct prop[]){{"install", R24,
						       &(const struct schema){.types = TY(K_BOOL) | TY(K_STR),
									      .choices = STR_LIST("auto")}},
						      {0}}},
     0, NULL, false},
    {"source", R24,
     &(const struct schema){
	 .types = TY(K_MAP),
	 .check = check_source,
	 .props = (const struct prop[]){{"search_drivers", R24, &bool_s}, {"id", R24, &str_s}, {0}}},
     0, NULL, false},
};

static const struct section *section_find(unsigned release, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if ((sections[i].releases & release) && !strcmp(sections[i].key, key))
			return &sections[i];
	return NULL;
}

static const struct prop *prop_find(const struct schema *s, unsigned release, const char *key)
{
	for (const struct prop *p = s->props; p && p->name; p++)
		if ((p->releases & release) && !strcmp(p->name, key))
			return p;
	return NULL;
}

static char *types_text(unsigned types)
{
	static const enum kind order[] = {K_STR, K_INT, K_FLOAT, K_BOOL, K_SEQ, K_MAP, K_NULL};
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (types & TY(order[i])) {
			if (sb.len)
				sb_adds(&sb, " or ");
			sb_adds(&sb, kind_name(order[i]));
		}
	return sb_detach(&sb, NULL);
}

static char *choices_text(const char *const *choices)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (; *choices; choices++)
		sb_addf(&sb, "%s%s", sb.len ? ", " : "", *choices);
	return sb_detach(&sb, NULL);
}

static size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void validate_map(struct ctx *c, const struct schema *s, const struct at *at)
{
	if (!s->props && !s->required && !s->values)
		return; /* the check function reads the mapping */
	for (const char *const *r = s->required; r && *r; r++)
		if (!map_has(c, at->node, *r))
			refuse(c, at, "'%s' is required", *r);
	_cleanup_free_ bool *kept = kept_pairs(c, at->node, at->path);
	for (size_t i = 0; i < map_size(at->node); i++) {
		yaml_node_t *k = pair_key(c, at->node, i);
		const char *key = scalar_text(k);
		if (!kept[i] || !key)
			continue;
		_cleanup_free_ char *path = path_key(at->path, key);
		struct at sub = {pair_value(c, at->node, i), k->start_mark, path, at->section};
		const struct prop *p = prop_find(s, c->rel->bit, key);
		if (p) {
			validate(c, p->schema, &sub);
		} else if (s->closed) {
			struct strbuf allowed = STRBUF_INIT;
			sb_init(&allowed);
			for (const struct prop *q = s->props; q && q->name; q++)
				if (q->releases & c->rel->bit)
					sb_addf(&allowed, "%s%s", allowed.len ? ", " : "", q->name);
			refuse(c, &sub, "not a key here (there are: %s)", sb_str(&allowed));
			sb_release(&allowed);
		} else if (s->values) {
			validate(c, s->values, &sub);
		}
	}
}

static void validate(struct ctx *c, const struct schema *s, const struct at *at)
{
	enum kind k = kind_of(c, at->node);
	unsigned have = TY(k);
	if (k == K_FLOAT && (s->types & TY(K_INT))) {
		double v = number_of(at->node, k);
		if (isfinite(v) && v == floor(v))
			have |= TY(K_INT);
	}
	if (!(s->types & have)) {
		_cleanup_free_ char *want = types_text(s->types);
		_cleanup_free_ char *got = shown(c, at->node);
		if (k == K_SEQ || k == K_MAP)
			refuse(c, at, "must be %s, not %s", want, got);
		else
			refuse(c, at, "must be %s, not %s (%s)", want, kind_name(k), got);
		return;
	}
	if (k == K_STR) {
		const char *v = scalar_text(at->node);
		if (s->choices && !in_list(s->choices, v)) {
			_cleanup_free_ char *got = shown(c, at->node);
			_cleanup_free_ char *list = choices_text(s->choices);
			refuse(c, at, "%s is not one of: %s", got, list);
		}
		size_t len = utf8_length(v);
		if ((s->min_len && len < s->min_len) || (s->max_len && len > s->max_len))
			refuse(c, at, "is %zu characters long, not %u to %u", len, s->min_len, s->max_len);
		if (s->token_chars &&
		    (v[0] != 'C' || !v[1] || strspn(v + 1, s->token_chars) != strlen(v + 1)))
			refuse(c, at, "a token is C followed by Base58 characters (no 0, O, I or l)");
	}
	if ((k == K_INT || k == K_FLOAT) && s->ranged) {
		double v = number_of(at->node, k);
		_cleanup_free_ char *got = shown(c, at->node);
		if (!(v >= (double)s->min && v <= (double)s->max)) {
			if (s->min == s->max)
				refuse(c, at, "must be %lld, not %s", s->min, got);
			else
				refuse(c, at, "must be from %lld to %lld, not %s", s->min, s->max, got);
		}
	}
	if (k == K_MAP)
		validate_map(c, s, at);
	if (k == K_SEQ && s->items)
		for (size_t i = 0; i < seq_size(at->node); i++) {
			yaml_node_t *item = seq_item(c, at->node, i);
			_cleanup_free_ char *path = path_index(at->path, i);
			struct at sub = {item, item->start_mark, path, at->section};
			validate(c, s->items, &sub);
		}
	if (s->check)
		s->check(c, at);
}

/* ---- what the controllers check beyond the schema ---- */

static void warn_duplicates(struct ctx *c, const yaml_node_t *map, const char *path)
{
	free(kept_pairs(c, map, path));
}

/* SubiquityController.interactive(): a section listed in
 * interactive-sections (or "*") is asked, not applied. */
static bool interactive(const struct ctx *c, const char *section)
{
	yaml_node_t *list = map_get(c, c->ai, "interactive-sections", NULL);
	if (!list || list->type != YAML_SEQUENCE_NODE)
		return false;
	for (size_t i = 0; i < seq_size(list); i++) {
		const char *s = scalar_text(seq_item(c, list, i));
		if (s && (!strcmp(s, "*") || !strcmp(s, section)))
			return true;
	}
	return false;
}

/* 21.08.2: the zone must be one of timedatectl's list (schema enum, and
 * TimeZoneController.deserialize). */
static void check_timezone_focal(struct ctx *c, const struct at *at)
{
	static const char *const utc_names[] = {
	    "Etc/UTC",	 "Etc/UCT",   "Etc/Universal", "Etc/Zulu",  "Etc/GMT", "Etc/GMT0",
	    "Etc/GMT+0", "Etc/GMT-0", "Etc/Greenwich", "GMT",	    "GMT0",    "GMT+0",
	    "GMT-0",	 "Greenwich", "UCT",	       "Universal", "Zulu",    NULL};
	const char *tz = scalar_text(at->node);
	if (!*tz || !strcmp(tz, "geoip") || in_sorted(focal_time_zones, ARRAY_SIZE(focal_time_zones), tz))
		return;
	_cleanup_free_ char *got = shown(c, at->node);
	if (in_list(utc_names, tz)) {
		note(c, false, at->mark, "%s: %s is not a time zone %s accepts (use UTC)", at->path, got,
		     c->who);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(focal_time_zones); i++)
		if (!strcasecmp(focal_time_zones[i], tz)) {
			note(c, false, at->mark, "%s: %s is not a time zone %s accepts (did you mean '%s'?)",
			     at->path, got, c->who, focal_time_zones[i]);
			return;
		}
	note(c, false, at->mark,
	     "%s: %s is not a time zone %s accepts (it takes the Area/City names that timedatectl "
	     "list-timezones prints on 20.04, UTC, geoip or an empty string)",
	     at->path, got, c->who);
}

/* kernel: oneOf [required package] [required flavor] */
static void check_kernel(struct ctx *c, const struct at *at)
{
	bool package = map_has(c, at->node, "package"), flavor = map_has(c, at->node, "flavor");
	if (package && flavor)
		refuse(c, at, "give 'package' or 'flavor', not both");
	else if (!package && !flavor)
		refuse(c, at, "needs 'package' or 'flavor'");
}

/* network: oneOf [netplan with version: 2] [{network: netplan}] (the second
 * for 20.04's first subiquity, which wanted network: network:). */
static void check_network(struct ctx *c, const struct at *at)
{
	yaml_node_t *key = NULL;
	yaml_node_t *inner = map_get(c, at->node, "network", &key);
	if (inner && !map_has(c, at->node, "version")) {
		_cleanup_free_ char *path = path_key(at->path, "network");
		struct at sub = {inner, key->start_mark, path, at->section};
		validate(c, &netplan_s, &sub);
		return;
	}
	validate(c, &netplan_s, at);
}

/* 24.04: MirrorModel.load_autoinstall_data (models/mirror.py) */
static void check_apt(struct ctx *c, const struct at *at)
{
	if (c->rel->bit == R24 && map_has(c, at->node, "primary") && map_has(c, at->node, "mirror-selection"))
		fail(c, at->mark, at->path, "apt->primary and apt->mirror-selection are mutually exclusive.",
		     "'primary' and 'mirror-selection' exclude each other");
}

/* 24.04: SourceController.load_autoinstall_data looks the id up in the
 * ISO's catalog (KeyError when it is not there). */
static void check_source(struct ctx *c, const struct at *at)
{
	yaml_node_t *key = NULL;
	yaml_node_t *id = map_get(c, at->node, "id", &key);
	if (!is_str(c, id) || !*scalar_text(id) || in_list(server_sources, scalar_text(id)))
		return;
	_cleanup_free_ char *path = path_key(at->path, "id");
	_cleanup_free_ char *got = shown(c, id);
	fail(c, key->start_mark, path, NULL,
	     "%s is not a source of the server ISO (ubuntu-server, ubuntu-server-minimal)", got);
}

/* 24.04: UserdataController validates user-data with cloud-init's schema,
 * strict (models/subiquity.py validate_cloudconfig_schema); an unknown
 * top-level key is a schema error there. Before, it is passed on as is. */
static void check_user_data(struct ctx *c, const struct at *at)
{
	_cleanup_free_ bool *kept = kept_pairs(c, at->node, at->path);
	for (size_t i = 0; i < map_size(at->node); i++) {
		yaml_node_t *k = pair_key(c, at->node, i);
		const char *key = scalar_text(k);
		if (!kept[i] || !key || in_sorted(cloud_config_keys, ARRAY_SIZE(cloud_config_keys), key))
			continue;
		_cleanup_free_ char *path = path_key(at->path, key);
		if (c->rel->bit == R24)
			note(c, false, k->start_mark,
			     "%s: not a cloud-config key (cloud-init 25.1 schema); %s validates user-data "
			     "with cloud-init's schema and stops with \"Cloud config schema errors: %s: "
			     "Additional properties are not allowed ('%s' was unexpected)\"",
			     path, c->who, path, key);
		else
			note(c, true, k->start_mark,
			     "%s: not a cloud-config key (cloud-init 25.1 schema): %s passes user-data on "
			     "unchecked and cloud-init on the installed system ignores it",
			     path, c->who);
	}
}

/* ---- storage (server/controllers/filesystem.py, models/filesystem.py) ---- */

struct action {
	yaml_node_t *node;
	const char *type; /* NULL: not an action subiquity models */
	const char *id;
};

static const char *action_text(const struct ctx *c, const struct action *a, const char *field)
{
	yaml_node_t *v = map_get(c, a->node, field, NULL);
	return v && v->type == YAML_SCALAR_NODE && kind_of(c, v) != K_NULL ? scalar_text(v) : NULL;
}

static bool action_is(const struct action *a, const char *type)
{
	return a->type && !strcmp(a->type, type);
}

static bool action_field_is(const struct ctx *c, const struct action *a, const char *field, const char *value)
{
	const char *v = action_text(c, a, field);
	return v && !strcmp(v, value);
}

/* get_canmount(properties, False): on/True mount, off/noauto/absent not */
static bool can_mount(const struct ctx *c, const yaml_node_t *props)
{
	yaml_node_t *v = map_get(c, props, "canmount", NULL);
	if (!v)
		return false;
	enum kind k = kind_of(c, v);
	return (k == K_BOOL && truthy(c, v)) || (k == K_STR && !strcmp(scalar_text(v), "on"));
}

/* FilesystemModel.is_root_mounted: a mount-like action at / (24.04: also
 * a zpool or zfs dataset that mounts there). */
static bool mounts_root(const struct ctx *c, const struct action *a)
{
	if (action_is(a, "mount"))
		return action_field_is(c, a, "path", "/");
	if (c->rel->bit != R24)
		return false;
	if (action_is(a, "zpool"))
		return can_mount(c, map_get(c, a->node, "fs_properties", NULL)) &&
		       action_field_is(c, a, "mountpoint", "/");
	if (action_is(a, "zfs")) {
		yaml_node_t *props = map_get(c, a->node, "properties", NULL);
		if (!can_mount(c, props))
			return false;
		yaml_node_t *mp = map_get(c, props, "mountpoint", NULL);
		const char *path = mp ? scalar_text(mp) : action_text(c, a, "volume");
		return path && !strcmp(path, "/");
	}
	return false;
}

/* Is partition p formatted and mounted at path (p.fs().mount().path)? */
static bool mounted_at(const struct ctx *c, const struct action *acts, size_t n, const struct action *p,
		       const char *path)
{
	for (size_t f = 0; f < n; f++) {
		if (!action_is(&acts[f], "format") || !acts[f].id ||
		    !action_field_is(c, &acts[f], "volume", p->id))
			continue;
		for (size_t m = 0; m < n; m++)
			if (action_is(&acts[m], "mount") &&
			    action_field_is(c, &acts[m], "device", acts[f].id) &&
			    action_field_is(c, &acts[m], "path", path))
				return true;
	}
	return false;
}

/* FilesystemModel.needs_bootloader_partition: BIOS needs a disk with
 * grub_device: true; UEFI a partition with grub_device: true whose format
 * is mounted at /boot/efi. */
static void check_bootloader(struct ctx *c, const struct at *at, const struct action *acts, size_t n)
{
	static const char said[] = "autoinstall config did not create needed bootloader partition";
	if (c->fw == FIRMWARE_BIOS) {
		bool found = false;
		for (size_t i = 0; i < n; i++) {
			if (!action_is(&acts[i], "disk") ||
			    !is_true(c, map_get(c, acts[i].node, "grub_device", NULL)))
				continue;
			found = true;
			if (!action_field_is(c, &acts[i], "ptable", "gpt") || !acts[i].id)
				continue;
			bool bios_grub = false;
			for (size_t j = 0; j < n; j++)
				bios_grub |= action_is(&acts[j], "partition") &&
					     action_field_is(c, &acts[j], "device", acts[i].id) &&
					     action_field_is(c, &acts[j], "flag", "bios_grub");
			if (!bios_grub) {
				_cleanup_free_ char *path = path_index(at->path, (size_t)(&acts[i] - acts));
				note(c, true, acts[i].node->start_mark,
				     "%s: GPT disk '%s' has no bios_grub partition: on BIOS firmware "
				     "grub-install cannot embed its core image there and the install fails "
				     "(add a 1M partition with flag: bios_grub)",
				     path, acts[i].id);
			}
		}
		if (!found)
			fail(c, at->mark, at->path, said,
			     "no disk has grub_device: true, which BIOS firmware needs (a bios_grub "
			     "partition does not count)");
		return;
	}
	const struct action *esp_without_flag = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!action_is(&acts[i], "partition") || !acts[i].id ||
		    !mounted_at(c, acts, n, &acts[i], "/boot/efi"))
			continue;
		if (is_true(c, map_get(c, acts[i].node, "grub_device", NULL)))
			return;
		esp_without_flag = &acts[i];
	}
	if (esp_without_flag)
		fail(c, at->mark, at->path, said,
		     "partition '%s' is mounted at /boot/efi but lacks grub_device: true, which UEFI "
		     "firmware needs on the ESP",
		     esp_without_flag->id);
	else
		fail(c, at->mark, at->path, said,
		     "no partition with grub_device: true is mounted at /boot/efi, which UEFI firmware needs "
		     "(an ESP)");
}

/* An action refers to others by id; subiquity builds them in order
 * (byid in _actions_from_config), so the referred one must come first. */
static void check_reference(struct ctx *c, const struct at *at, const struct action *acts, size_t i,
			    const yaml_node_t *ref, yaml_mark_t mark, const char *path)
{
	const char *id = scalar_text(ref);
	if (!id) {
		fail(c, mark, path, NULL, "must be the id of an action");
		return;
	}
	for (size_t j = 0; j < i; j++)
		if (acts[j].type && acts[j].id && !strcmp(acts[j].id, id))
			return;
	for (size_t j = i + 1; j < seq_size(at->node); j++) {
		const char *later = scalar_text(map_get(c, seq_item(c, at->node, j), "id", NULL));
		if (later && !strcmp(later, id)) {
			fail(c, mark, path, NULL,
			     "'%s' is defined later (line %zu): an action must come after those it uses", id,
			     seq_item(c, at->node, j)->start_mark.line + 1);
			return;
		}
	}
	fail(c, mark, path, NULL, "'%s' is not the id of an action subiquity builds before this one", id);
}

static void check_references(struct ctx *c, const struct at *at, const struct action *acts, size_t i,
			     const char *item_path)
{
	static const struct {
		const char *type, *field;
		bool list, required;
	} refs[] = {
	    {"partition", "device", false, true},
	    {"format", "volume", false, true},
	    {"mount", "device", false, false},
	    {"lvm_volgroup", "devices", true, true},
	    {"lvm_partition", "volgroup", false, true},
	    {"dm_crypt", "volume", false, true},
	    {"raid", "devices", true, true},
	    {"raid", "spare_devices", true, false},
	    {"zpool", "vdevs", true, true},
	    {"zfs", "pool", false, true},
	};
	for (size_t r = 0; r < ARRAY_SIZE(refs); r++) {
		if (!action_is(&acts[i], refs[r].type))
			continue;
		yaml_node_t *key = NULL;
		yaml_node_t *v = map_get(c, acts[i].node, refs[r].field, &key);
		_cleanup_free_ char *path = path_key(item_path, refs[r].field);
		if (!v || kind_of(c, v) == K_NULL) {
			if (refs[r].required)
				fail(c, acts[i].node->start_mark, path, NULL, "a %s action needs '%s'",
				     refs[r].type, refs[r].field);
			continue;
		}
		if (!refs[r].list) {
			check_reference(c, at, acts, i, v, key->start_mark, path);
			continue;
		}
		if (v->type != YAML_SEQUENCE_NODE) {
			fail(c, key->start_mark, path, NULL, "must be a list of action ids");
			continue;
		}
		for (size_t k = 0; k < seq_size(v); k++) {
			yaml_node_t *item = seq_item(c, v, k);
			_cleanup_free_ char *ipath = path_index(path, k);
			check_reference(c, at, acts, i, item, item->start_mark, ipath);
		}
	}
}

/* FilesystemModel.apply_autoinstall_config: a negative size (the rest)
 * only for the last partition of its device (24.04: an extended partition
 * may be followed by its logical ones). */
static void check_negative_sizes(struct ctx *c, const struct at *at, const struct action *acts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *parent_field = action_is(&acts[i], "partition")	  ? "device"
					   : action_is(&acts[i], "lvm_partition") ? "volgroup"
										  : NULL;
		yaml_node_t *size = parent_field ? map_get(c, acts[i].node, "size", NULL) : NULL;
		if (!size || kind_of(c, size) != K_INT || number_of(size, K_INT) >= 0)
			continue;
		const char *parent = action_text(c, &acts[i], parent_field);
		if (!parent)
			continue;
		bool extended = c->rel->bit == R24 && action_field_is(c, &acts[i], "flag", "extended");
		for (size_t j = i + 1; j < n; j++) {
			if (!action_is(&acts[j], acts[i].type) ||
			    !action_field_is(c, &acts[j], parent_field, parent))
				continue;
			if (extended && action_field_is(c, &acts[j], "flag", "logical"))
				continue;
			_cleanup_free_ char *path = path_index(at->path, i);
			fail(c, acts[i].node->start_mark, path,
			     "... has negative size but is not final partition of ...",
			     "'%s' has a negative size (the rest of '%s') but '%s' comes after it there",
			     acts[i].id ? acts[i].id : "?", parent, acts[j].id ? acts[j].id : "?");
			break;
		}
	}
}

static void check_storage_config(struct ctx *c, const struct at *at)
{
	if (at->node->type != YAML_SEQUENCE_NODE) {
		fail(c, at->mark, at->path, NULL, "must be a list of curtin storage actions");
		return;
	}
	size_t n = seq_size(at->node);
	_cleanup_free_ struct action *acts = xcalloc(n ? n : 1, sizeof(*acts));
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = seq_item(c, at->node, i);
		_cleanup_free_ char *path = path_index(at->path, i);
		acts[i].node = item;
		if (item->type != YAML_MAPPING_NODE) {
			fail(c, item->start_mark, path, NULL, "must be a mapping (a curtin storage action)");
			continue;
		}
		warn_duplicates(c, item, path);
		yaml_node_t *type = map_get(c, item, "type", NULL);
		if (!is_str(c, type)) {
			fail(c, item->start_mark, path, NULL,
			     type ? "'type' must be a string" : "has no 'type'");
			continue;
		}
		if (!storage_type_known(c, scalar_text(type))) {
			note(c, true, item->start_mark,
			     "%s: %s drops actions of type '%s' (it models disk, partition, format, mount, "
			     "raid, lvm_volgroup, lvm_partition, dm_crypt, dasd%s)",
			     path, c->who, scalar_text(type),
			     c->rel->bit == R24 ? ", zpool, zfs, device, nvme_controller" : "");
			continue;
		}
		yaml_node_t *id = map_get(c, item, "id", NULL);
		if (!id || id->type != YAML_SCALAR_NODE || kind_of(c, id) == K_NULL) {
			fail(c, item->start_mark, path, NULL, "a %s action needs an 'id'", scalar_text(type));
			continue;
		}
		acts[i].type = scalar_text(type);
		acts[i].id = scalar_text(id);
		for (size_t j = 0; j < i; j++)
			if (acts[j].id && !strcmp(acts[j].id, acts[i].id)) {
				note(c, true, item->start_mark,
				     "%s: id '%s' is given again (also at line %zu)", path, acts[i].id,
				     acts[j].node->start_mark.line + 1);
				break;
			}
		check_references(c, at, acts, i, path);
	}
	bool root = false;
	for (size_t i = 0; i < n; i++)
		root |= acts[i].type && mounts_root(c, &acts[i]);
	if (!root)
		fail(c, at->mark, at->path, "autoinstall config did not mount root", "no action mounts /");
	check_bootloader(c, at, acts, n);
	check_negative_sizes(c, at, acts, n);
}

static void check_layout(struct ctx *c, const struct at *at)
{
	if (at->node->type != YAML_MAPPING_NODE) {
		fail(c, at->mark, at->path, NULL, "must be a mapping with a 'name'");
		return;
	}
	warn_duplicates(c, at->node, at->path);
	yaml_node_t *name_key = NULL;
	yaml_node_t *name = map_get(c, at->node, "name", &name_key);
	bool noble = c->rel->bit == R24;
	if (!name) {
		fail(c, at->mark, at->path, NULL, "has no 'name' (%s)",
		     noble ? "lvm, direct, zfs" : "lvm or direct");
		return;
	}
	const char *n = is_str(c, name) ? scalar_text(name) : NULL;
	_cleanup_free_ char *name_path = path_key(at->path, "name");
	_cleanup_free_ char *got = shown(c, name);
	/* before 24.04: getattr(self, "guided_" + name) (guided_lvm, guided_direct) and the layout's match */
	static const char *const older_keys[] = {"name", "match", NULL};
	/* 24.04: run_autoinstall_guided */
	static const char *const noble_keys[] = {"name",
						 "match",
						 "mode",
						 "password",
						 "recovery-key",
						 "sizing-policy",
						 "ptable",
						 "reset-partition",
						 "reset-partition-only",
						 "encrypted",
						 NULL};
	const char *const *keys = noble ? noble_keys : older_keys;
	for (size_t i = 0; i < map_size(at->node); i++) {
		yaml_node_t *k = pair_key(c, at->node, i);
		const char *key = scalar_text(k);
		if (!key || in_list(keys, key))
			continue;
		_cleanup_free_ char *path = path_key(at->path, key);
		note(c, true, k->start_mark, "%s: ignored by %s%s", path, c->who,
		     !strcmp(key, "password") ? ": the disk is not encrypted" : "");
	}
	if (!noble) {
		if (!n || (strcmp(n, "lvm") && strcmp(n, "direct")))
			fail(c, name_key->start_mark, name_path, NULL,
			     "%s is not a layout of this release (lvm, direct)", got);
		return;
	}
	if (n && !strcmp(n, "hybrid")) {
		fail(c, name_key->start_mark, name_path,
		     "can only use name: hybrid when installing core boot classic",
		     "the server ISO has no core boot classic system");
		return;
	}
	if (!n || !in_list(STR_LIST("lvm", "direct", "zfs", "dd"), n))
		note(
		    c, true, name_key->start_mark,
		    "%s: %s is not a layout name of %s, which installs it as 'direct' (lvm, direct, zfs, dd)",
		    name_path, got, c->who);
	yaml_node_t *mode_key = NULL;
	yaml_node_t *mode = map_get(c, at->node, "mode", &mode_key);
	if (mode) {
		const char *m = is_str(c, mode) ? scalar_text(mode) : NULL;
		_cleanup_free_ char *path = path_key(at->path, "mode");
		_cleanup_free_ char *mode_shown = shown(c, mode);
		if (!m || !in_list(STR_LIST("reformat_disk", "use_gap"), m))
			fail(c, mode_key->start_mark, path, NULL, "%s is not a mode (reformat_disk, use_gap)",
			     mode_shown);
		else if (n && !strcmp(n, "dd") && !strcmp(m, "use_gap"))
			fail(c, mode_key->start_mark, path, NULL,
			     "a dd layout only takes mode: reformat_disk");
	}
	if (!n || strcmp(n, "lvm"))
		return;
	yaml_node_t *policy_key = NULL;
	yaml_node_t *policy = map_get(c, at->node, "sizing-policy", &policy_key);
	if (policy && kind_of(c, policy) != K_NULL &&
	    !(is_str(c, policy) && in_list(STR_LIST("scaled", "all"), scalar_text(policy)))) {
		_cleanup_free_ char *path = path_key(at->path, "sizing-policy");
		_cleanup_free_ char *policy_shown = shown(c, policy);
		fail(c, policy_key->start_mark, path, NULL, "%s is not a sizing policy (scaled, all)",
		     policy_shown);
	}
	yaml_node_t *key_key = NULL;
	yaml_node_t *recovery = map_get(c, at->node, "recovery-key", &key_key);
	yaml_node_t *password = map_get(c, at->node, "password", NULL);
	if (recovery && truthy(c, recovery) && (!password || kind_of(c, password) == K_NULL)) {
		_cleanup_free_ char *path = path_key(at->path, "recovery-key");
		fail(c, key_key->start_mark, path, "recovery_key can only be used if password is specified",
		     "a recovery key needs a password");
	}
}

/* FilesystemController.convert_autoinstall_config: layout wins over config;
 * with neither nothing is mounted. */
static void check_storage(struct ctx *c, const struct at *at)
{
	warn_duplicates(c, at->node, at->path);
	if (interactive(c, "storage"))
		return;
	yaml_node_t *layout_key = NULL, *config_key = NULL;
	yaml_node_t *layout = map_get(c, at->node, "layout", &layout_key);
	yaml_node_t *config = map_get(c, at->node, "config", &config_key);
	if (layout) {
		if (config)
			note(c, true, config_key->start_mark,
			     "%s.config: ignored: with a 'layout' %s uses the layout", at->path, c->who);
		_cleanup_free_ char *path = path_key(at->path, "layout");
		struct at sub = {layout, layout_key->start_mark, path, at->section};
		check_layout(c, &sub);
	} else if (config) {
		_cleanup_free_ char *path = path_key(at->path, "config");
		struct at sub = {config, config_key->start_mark, path, at->section};
		check_storage_config(c, &sub);
	} else {
		fail(c, at->mark, at->path, "autoinstall config did not mount root",
		     "has neither 'layout' nor 'config', so nothing is mounted at /");
	}
}

/* ---- the document ---- */

/* IdentityController: without identity (and not asked interactively) the
 * install needs user-data; 21.08.2 and 22.04.2 check it in
 * apply_autoinstall_config, 24.04.3 in load_autoinstall_data, which also
 * spares a reset-partition-only storage layout. */
static void check_identity_rule(struct ctx *c, yaml_mark_t where)
{
	yaml_node_t *identity = map_get(c, c->ai, "identity", NULL);
	if ((identity && kind_of(c, identity) != K_NULL) || map_has(c, c->ai, "user-data") ||
	    interactive(c, "identity"))
		return;
	if (c->rel->bit != R24) {
		fail(c, where, "autoinstall", "no identity data provided",
		     "has neither 'identity' nor 'user-data', so no user could log in");
		return;
	}
	yaml_node_t *layout = map_get(c, map_get(c, c->ai, "storage", NULL), "layout", NULL);
	yaml_node_t *reset_only = map_get(c, layout, "reset-partition-only", NULL);
	if (reset_only && truthy(c, reset_only))
		return;
	fail(c, where, "autoinstall", "neither identity nor user-data provided",
	     "has neither 'identity' nor 'user-data', so no user could log in");
}

static void warn_unknown_key(struct ctx *c, yaml_node_t *key_node, const char *key, const char *path)
{
	_cleanup_strbuf_ struct strbuf hint = STRBUF_INIT;
	sb_init(&hint);
	for (size_t i = 0; i < ARRAY_SIZE(releases); i++)
		if (releases[i].bit != c->rel->bit && section_find(releases[i].bit, key))
			sb_addf(&hint, "%s%s", hint.len ? " and " : " (Ubuntu ", releases[i].media);
	if (hint.len)
		sb_adds(&hint, " media know it)");
	if (!hint.len) {
		const char *best = NULL;
		unsigned best_distance = strlen(key) > 4 ? 3 : 2;
		for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
			unsigned d = edit_distance(key, sections[i].key);
			if ((sections[i].releases & c->rel->bit) && d < best_distance) {
				best = sections[i].key;
				best_distance = d;
			}
		}
		if (best)
			sb_addf(&hint, " (did you mean '%s'?)", best);
	}
	if (c->rel->bit == R20 && !strcmp(key, "shutdown"))
		sb_adds(&hint, ": it reboots when the install is done");
	if (c->rel->bit == R24)
		note(c, true, key_node->start_mark,
		     "%s: not a key of %s, which logs \"Unrecognized top-level key '%s'\" and ignores it%s",
		     path, c->who, key, sb_str(&hint));
	else
		note(c, true, key_node->start_mark, "%s: not a key of %s, which ignores it%s", path, c->who,
		     sb_str(&hint));
}

/* Every top-level key: the server's base_schema (version), the section
 * schemas, the controllers' own checks; unknown keys are ignored (24.04:
 * _enforce_top_level_keys warns about them for version 1). */
static void check_sections(struct ctx *c, yaml_mark_t where)
{
	const char *base_section = c->rel->bit == R24 ? "version or interactive-sections" : "version";
	if (!map_has(c, c->ai, "version")) {
		struct at at = {c->ai, where, "autoinstall", base_section};
		refuse(c, &at, "'version' is required (version: 1)");
	}
	_cleanup_free_ bool *kept = kept_pairs(c, c->ai, "autoinstall");
	for (size_t i = 0; i < map_size(c->ai); i++) {
		yaml_node_t *k = pair_key(c, c->ai, i);
		const char *key = scalar_text(k);
		if (!kept[i] || !key)
			continue;
		_cleanup_free_ char *path = path_key("autoinstall", key);
		const struct section *sec = section_find(c->rel->bit, key);
		if (!sec) {
			warn_unknown_key(c, k, key, path);
			continue;
		}
		struct at at = {pair_value(c, c->ai, i), k->start_mark, path, sec->base ? base_section : key};
		if (kind_of(c, at.node) == K_NULL && !sec->base) {
			/* setup_autoinstall skips the schema for None; the controller gets None */
			if (sec->null_fails & c->rel->bit)
				fail(c, k->start_mark, path, NULL,
				     "is empty (null): give %s, or leave the key out", sec->null_needs);
			continue;
		}
		if (sec->schema)
			validate(c, sec->schema, &at);
	}
	yaml_node_t *ua_key = NULL;
	if (c->rel->bit == R24 && map_get(c, c->ai, "ubuntu-advantage", &ua_key))
		note(c, true, ua_key->start_mark, "autoinstall.ubuntu-advantage: %s",
		     map_has(c, c->ai, "ubuntu-pro") ? "ignored: ubuntu-pro is given and wins"
						     : "deprecated, the key is ubuntu-pro now");
	yaml_node_t *is_key = NULL;
	yaml_node_t *asked = map_get(c, c->ai, "interactive-sections", &is_key);
	if (asked && asked->type == YAML_SEQUENCE_NODE && seq_size(asked))
		note(c, true, is_key->start_mark,
		     "autoinstall.interactive-sections: the installer stops and waits for answers to these "
		     "sections: an unattended build waits until it times out");
	check_identity_rule(c, where);
}

/* The #cloud-config around 'autoinstall:' configures the installer's live
 * session. 24.04 runs cloud-init's schema check on it (server.py
 * _extract_autoinstall_from_cloud_config): keys cloud-init does not know
 * that are autoinstall keys stop the install; other unknown keys are
 * logged. Before, subiquity only takes the 'autoinstall' key. */
static void check_cloud_config(struct ctx *c, yaml_node_t *root)
{
	_cleanup_free_ bool *kept = kept_pairs(c, root, "cloud-config");
	for (size_t i = 0; i < map_size(root); i++) {
		yaml_node_t *k = pair_key(c, root, i);
		const char *key = scalar_text(k);
		if (!kept[i] || !key || !strcmp(key, "autoinstall") || !strcmp(key, "version"))
			continue;
		bool cloud_init = in_sorted(cloud_config_keys, ARRAY_SIZE(cloud_config_keys), key);
		bool autoinstall = section_find(c->rel->bit, key) != NULL;
		if (cloud_init && autoinstall)
			note(c, true, k->start_mark,
			     "%s: outside 'autoinstall:' this is cloud-config for the installer's live "
			     "session, not for the installed system",
			     key);
		else if (autoinstall && c->rel->bit == R24)
			fail(c, k->start_mark, key,
			     "Misplaced autoinstall directives resulted in a cloud-init schema validation "
			     "failure.",
			     "an autoinstall key outside 'autoinstall:' (cloud-init's schema check of the "
			     "live session does not know it)");
		else if (autoinstall)
			note(c, true, k->start_mark,
			     "%s: an autoinstall key outside 'autoinstall:': %s reads only what is under "
			     "'autoinstall:' and cloud-init ignores it",
			     key, c->who);
		else if (!cloud_init)
			note(c, true, k->start_mark,
			     "%s: not a cloud-config key (cloud-init 25.1 schema): cloud-init of the "
			     "installer's live session ignores it",
			     key);
	}
}

static void check_document(struct ctx *c)
{
	yaml_node_t *root = yaml_document_get_root_node(c->doc);
	if (!root || kind_of(c, root) == K_NULL) {
		doc_check_add(c->out, 0, c->file, 1, 1,
			      "the document is empty: it needs 'autoinstall:' with version: 1");
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		note(c, false, root->start_mark,
		     "the document must be a mapping (a #cloud-config with 'autoinstall:', or the "
		     "autoinstall mapping itself), not %s",
		     kind_name(kind_of(c, root)));
		return;
	}
	yaml_node_t *ai_key = NULL;
	yaml_node_t *ai = map_get(c, root, "autoinstall", &ai_key);
	yaml_mark_t where = root->start_mark;
	if (ai) {
		check_cloud_config(c, root);
		where = ai_key->start_mark;
		if (ai->type != YAML_MAPPING_NODE) {
			fail(c, where, "autoinstall", NULL, "must be a mapping with version: 1, not %s",
			     kind_name(kind_of(c, ai)));
			return;
		}
	} else {
		bool any = false;
		for (size_t i = 0; i < map_size(root); i++) {
			const char *key = scalar_text(pair_key(c, root, i));
			any |= key && section_find(c->rel->bit, key);
		}
		if (!any) {
			note(c, false, where,
			     "not an autoinstall document: no 'autoinstall:' key and no autoinstall keys "
			     "(version, storage, ...): %s would find no autoinstall config and start the "
			     "interactive installer",
			     c->who);
			return;
		}
		ai = root;
	}
	c->ai = ai;
	check_sections(c, where);
}

int autoinstall_check(const char *file, const char *text, size_t len, enum os_id os, enum firmware_kind fw,
		      struct doc_check *out)
{
	const struct release *rel = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(releases); i++)
		if (releases[i].os == os)
			rel = &releases[i];
	if (!rel || (fw != FIRMWARE_BIOS && fw != FIRMWARE_UEFI))
		return -EINVAL;
	yaml_document_t doc;
	char *problem = NULL;
	if (config_yaml_load(file, text, len, &doc, &problem) < 0) {
		strv_push(&out->errors, problem);
		free(problem);
		return 0;
	}
	struct strbuf who = STRBUF_INIT;
	sb_init(&who);
	sb_addf(&who, "subiquity %s (Ubuntu %s media)", rel->subiquity, rel->media);
	struct ctx c = {
	    .file = file, .doc = &doc, .rel = rel, .fw = fw, .out = out, .who = sb_detach(&who, NULL)};
	for (unsigned i = 0; i < RE__COUNT; i++)
		if (regcomp(&c.re[i], resolver_patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
			abort(); /* the patterns are ours */
	check_document(&c);
	for (unsigned i = 0; i < RE__COUNT; i++)
		regfree(&c.re[i]);
	free(c.who);
	yaml_document_delete(&doc);
	return 0;
}
