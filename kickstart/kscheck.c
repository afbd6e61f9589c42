/* kscheck.c — checks a user's RHEL kickstart as pykickstart's RHEL8 and
 * RHEL9 handlers parse it: the tables below are facts read from pykickstart
 * 3.74 (commit 435ebbefdb5a2290fdea0b4ce648c5aba7651711), the code models its
 * parser (parser.py), shlex.split and the argparse rules of KSOptionParser. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "kscheck.h"
#include "strbuf.h"
#include "util.h"

/* Releases a table row applies to. */
#define R8 (1u << 0)
#define R9 (1u << 1)
#define RB (R8 | R9)

/* How an option takes its value (argparse nargs). */
enum ks_arg {
	ARG_FLAG,     /* nargs=0: store_true/false/const */
	ARG_VALUE,    /* one value: "--opt=v" or "--opt v" */
	ARG_OPTIONAL, /* nargs='?': a value only when one follows */
};

/* What argparse's type= (or choices=) accepts. */
enum ks_type {
	T_STR,
	T_INT,	   /* int() */
	T_BOOL,	   /* options.ksboolean */
	T_LIST,	   /* options.commaSplit: empty when only commas */
	T_CHOICE,  /* choices=, exact */
	T_ICHOICE, /* a type callback that looks the value up case-insensitively */
};

#define REQUIRED (1u << 0)   /* required=True */
#define DEPRECATED (1u << 1) /* deprecated=: warned about and ignored */

struct ks_opt {
	const char *name; /* "--size"; each alias has its own row */
	unsigned rel;
	enum ks_arg arg;
	enum ks_type type;
	unsigned flags;
	const char *choices; /* space-separated, for T_CHOICE and T_ICHOICE */
};

#define FLAG(n, r, f)                                                                                        \
	{                                                                                                    \
		.name = (n), .rel = (r), .arg = ARG_FLAG, .type = T_STR, .flags = (f)                        \
	}
#define VAL(n, r, f)                                                                                         \
	{                                                                                                    \
		.name = (n), .rel = (r), .arg = ARG_VALUE, .type = T_STR, .flags = (f)                       \
	}
#define OPTVAL(n, r, f)                                                                                      \
	{                                                                                                    \
		.name = (n), .rel = (r), .arg = ARG_OPTIONAL, .type = T_STR, .flags = (f)                    \
	}
#define INT(n, r, f)                                                                                         \
	{                                                                                                    \
		.name = (n), .rel = (r), .arg = ARG_VALUE, .type = T_INT, .flags = (f)                       \
	}
#define BOOL(n, r, f)                                                                                        \
	{                                                                                                    \
		.name = (n), .rel = (r), .arg = ARG_VALUE, .type = T_BOOL, .flags = (f)                      \
	}
#define LIST(n, r, f)                                                                                        \
	{                                                                                                    \
		.name = (n), .rel = (r), .arg = ARG_VALUE, .type = T_LIST, .flags = (f)                      \
	}
#define CHOICE(n, r, f, c)                                                                                   \
	{                                                                                                    \
		.name = (n), .rel = (r), .arg = ARG_VALUE, .type = T_CHOICE, .flags = (f), .choices = (c)    \
	}
#define ICHOICE(n, r, f, c)                                                                                  \
	{                                                                                                    \
		.name = (n), .rel = (r), .arg = ARG_VALUE, .type = T_ICHOICE, .flags = (f), .choices = (c)   \
	}

/* Options of each command's _getParser(), per pykickstart class: one row per
 * option string and release (rel says where it exists). Read by
 * introspecting the parsers of handlers/rhel8.py and rhel9.py and checked
 * against commands/<file>.py. Commands without a table take no options. */
/* commands/autopart.py: RHEL8_AutoPart (RHEL 8) / RHEL9_AutoPart (RHEL 9) */
static const struct ks_opt opts_autopart[] = {
    FLAG("--encrypted", RB, 0),
    VAL("--passphrase", RB, 0),
    VAL("--escrowcert", RB, 0),
    FLAG("--backuppassphrase", RB, 0),
    FLAG("--nolvm", RB, 0),
    ICHOICE("--type", RB, 0, "lvm btrfs plain partition thinp"),
    VAL("--cipher", RB, 0),
    VAL("--fstype", RB, 0),
    FLAG("--nohome", RB, 0),
    FLAG("--noboot", RB, 0),
    FLAG("--noswap", RB, 0),
    VAL("--luks-version", RB, 0),
    VAL("--pbkdf", RB, 0),
    INT("--pbkdf-memory", RB, 0),
    INT("--pbkdf-time", RB, 0),
    INT("--pbkdf-iterations", RB, 0),
    {0},
};

/* commands/autostep.py: FC3_AutoStep (RHEL 8) / F34_AutoStep (RHEL 9) */
static const struct ks_opt opts_autostep[] = {
    FLAG("--autoscreenshot", R8, 0),
    {0},
};

/* commands/bootloader.py: RHEL8_Bootloader (RHEL 8) / RHEL9_Bootloader (RHEL 9) */
static const struct ks_opt opts_bootloader[] = {
    VAL("--append", RB, 0),
    CHOICE("--location", RB, 0, "mbr partition none boot"),
    VAL("--password", RB, 0),
    LIST("--driveorder", RB, 0),
    INT("--timeout", RB, 0),
    VAL("--default", RB, 0),
    FLAG("--iscrypted", RB, 0),
    VAL("--md5pass", RB, 0),
    VAL("--boot-drive", RB, 0),
    FLAG("--leavebootorder", RB, 0),
    FLAG("--extlinux", RB, 0),
    FLAG("--disabled", RB, 0),
    FLAG("--nombr", RB, 0),
    FLAG("--upgrade", R8, DEPRECATED),
    {0},
};

/* commands/clearpart.py: F28_ClearPart */
static const struct ks_opt opts_clearpart[] = {
    FLAG("--all", RB, 0),  FLAG("--initlabel", RB, 0), FLAG("--linux", RB, 0),
    FLAG("--none", RB, 0), VAL("--disklabel", RB, 0),  LIST("--drives", RB, 0),
    LIST("--list", RB, 0), FLAG("--cdl", RB, 0),       {0},
};

/* commands/displaymode.py: F26_DisplayMode */
static const struct ks_opt opts_displaymode[] = {
    FLAG("--non-interactive", RB, 0),
    {0},
};

/* commands/driverdisk.py: F14_DriverDisk */
static const struct ks_opt opts_driverdisk[] = {
    VAL("--source", RB, 0),
    VAL("--biospart", RB, 0),
    {0},
};

/* commands/eula.py: F20_Eula */
static const struct ks_opt opts_eula[] = {
    FLAG("--agreed", RB, 0), FLAG("--agree", RB, 0), FLAG("--accepted", RB, 0), FLAG("--accept", RB, 0), {0},
};

/* commands/fcoe.py: RHEL8_Fcoe (RHEL 8) / RHEL9_Fcoe (RHEL 9) */
static const struct ks_opt opts_fcoe[] = {
    VAL("--nic", RB, REQUIRED),
    FLAG("--dcb", RB, 0),
    FLAG("--autovlan", RB, 0),
    {0},
};

/* commands/firewall.py: F28_Firewall */
static const struct ks_opt opts_firewall[] = {
    FLAG("--disable", RB, 0),
    FLAG("--disabled", RB, 0),
    FLAG("--enable", RB, 0),
    FLAG("--enabled", RB, 0),
    VAL("--port", RB, 0),
    VAL("--trust", RB, 0),
    LIST("--service", RB, 0),
    FLAG("--ftp", RB, 0),
    FLAG("--http", RB, 0),
    FLAG("--smtp", RB, 0),
    FLAG("--ssh", RB, 0),
    LIST("--remove-service", RB, 0),
    FLAG("--use-system-defaults", RB, 0),
    {0},
};

/* commands/firstboot.py: FC3_Firstboot */
static const struct ks_opt opts_firstboot[] = {
    FLAG("--disable", RB, 0), FLAG("--disabled", RB, 0), FLAG("--enable", RB, 0),
    FLAG("--enabled", RB, 0), FLAG("--reconfig", RB, 0), {0},
};

/* commands/group.py: F12_Group */
static const struct ks_opt opts_group[] = {
    VAL("--name", RB, REQUIRED),
    INT("--gid", RB, 0),
    {0},
};

/* commands/reboot.py: F23_Reboot */
static const struct ks_opt opts_reboot[] = {
    FLAG("--eject", RB, 0),
    FLAG("--kexec", RB, 0),
    {0},
};

/* commands/harddrive.py: FC3_HardDrive (RHEL 8) / F33_HardDrive (RHEL 9) */
static const struct ks_opt opts_harddrive[] = {
    VAL("--biospart", R8, 0),
    VAL("--partition", R8, 0),
    VAL("--dir", RB, REQUIRED),
    VAL("--partition", R9, REQUIRED),
    {0},
};

/* commands/ignoredisk.py: F29_IgnoreDisk (RHEL 8) / F34_IgnoreDisk (RHEL 9) */
static const struct ks_opt opts_ignoredisk[] = {
    LIST("--drives", RB, 0),
    LIST("--only-use", RB, 0),
    FLAG("--interactive", R8, DEPRECATED),
    {0},
};

/* commands/iscsi.py: F17_Iscsi */
static const struct ks_opt opts_iscsi[] = {
    VAL("--target", RB, 0),
    VAL("--ipaddr", RB, REQUIRED),
    INT("--port", RB, 0),
    VAL("--user", RB, 0),
    VAL("--password", RB, 0),
    VAL("--reverse-user", RB, 0),
    VAL("--reverse-password", RB, 0),
    VAL("--iface", RB, 0),
    {0},
};

/* commands/keyboard.py: F18_Keyboard */
static const struct ks_opt opts_keyboard[] = {
    VAL("--vckeymap", RB, 0),
    LIST("--xlayouts", RB, 0),
    LIST("--switch", RB, 0),
    {0},
};

/* commands/lang.py: F19_Lang */
static const struct ks_opt opts_lang[] = {
    LIST("--addsupport", RB, 0),
    {0},
};

/* commands/liveimg.py: F19_Liveimg */
static const struct ks_opt opts_liveimg[] = {
    VAL("--url", RB, REQUIRED),
    VAL("--proxy", RB, 0),
    FLAG("--noverifyssl", RB, 0),
    VAL("--checksum", RB, 0),
    {0},
};

/* commands/logging.py: FC6_Logging (RHEL 8) / F34_Logging (RHEL 9) */
static const struct ks_opt opts_logging[] = {
    VAL("--host", RB, 0),
    VAL("--port", RB, 0),
    CHOICE("--level", R8, 0, "debug info warning error critical"),
    VAL("--level", R9, DEPRECATED),
    {0},
};

/* commands/logvol.py: RHEL8_LogVol (RHEL 8) / RHEL9_LogVol (RHEL 9) */
static const struct ks_opt opts_logvol[] = {
    VAL("--fstype", RB, 0),
    FLAG("--grow", RB, 0),
    INT("--maxsize", RB, 0),
    VAL("--name", RB, REQUIRED),
    FLAG("--noformat", RB, 0),
    INT("--percent", RB, 0),
    FLAG("--recommended", RB, 0),
    INT("--size", RB, 0),
    FLAG("--useexisting", RB, 0),
    VAL("--vgname", RB, REQUIRED),
    VAL("--fsoptions", RB, 0),
    VAL("--fsprofile", RB, 0),
    FLAG("--encrypted", RB, 0),
    VAL("--passphrase", RB, 0),
    VAL("--escrowcert", RB, 0),
    FLAG("--backuppassphrase", RB, 0),
    VAL("--label", RB, 0),
    FLAG("--resize", RB, 0),
    FLAG("--hibernation", RB, 0),
    VAL("--cipher", RB, 0),
    FLAG("--thinpool", RB, 0),
    FLAG("--thin", RB, 0),
    VAL("--poolname", RB, 0),
    INT("--chunksize", RB, 0),
    INT("--metadatasize", RB, 0),
    VAL("--profile", RB, 0),
    INT("--cachesize", RB, 0),
    VAL("--cachemode", RB, 0),
    LIST("--cachepvs", RB, 0),
    VAL("--mkfsoptions", RB, 0),
    VAL("--luks-version", RB, 0),
    VAL("--pbkdf", RB, 0),
    INT("--pbkdf-memory", RB, 0),
    INT("--pbkdf-time", RB, 0),
    INT("--pbkdf-iterations", RB, 0),
    {0},
};

/* commands/module.py: RHEL8_Module (RHEL 8) / F31_Module (RHEL 9) */
static const struct ks_opt opts_module[] = {
    VAL("--name", RB, REQUIRED),
    VAL("--stream", RB, 0),
    FLAG("--disable", RB, 0),
    {0},
};

/* commands/mount.py: F27_Mount */
static const struct ks_opt opts_mount[] = {
    OPTVAL("--reformat", RB, 0),
    VAL("--mkfsoptions", RB, 0),
    VAL("--mountoptions", RB, 0),
    {0},
};

/* commands/network.py: F27_Network (RHEL 8) / RHEL9_Network (RHEL 9) */
static const struct ks_opt opts_network[] = {
    CHOICE("--bootproto", RB, 0, "dhcp bootp static query ibft"),
    VAL("--dhcpclass", RB, 0),
    VAL("--device", RB, 0),
    VAL("--essid", RB, 0),
    VAL("--ethtool", RB, 0),
    VAL("--gateway", RB, 0),
    VAL("--hostname", RB, 0),
    VAL("--ip", RB, 0),
    VAL("--mtu", RB, 0),
    VAL("--nameserver", RB, 0),
    VAL("--netmask", RB, 0),
    FLAG("--nodns", RB, 0),
    BOOL("--onboot", RB, 0),
    VAL("--wepkey", RB, 0),
    FLAG("--notksdevice", RB, 0),
    FLAG("--noipv4", RB, 0),
    FLAG("--noipv6", RB, 0),
    VAL("--ipv6", RB, 0),
    FLAG("--activate", RB, 0),
    FLAG("--nodefroute", RB, 0),
    VAL("--wpakey", RB, 0),
    VAL("--bondslaves", RB, 0),
    VAL("--bondopts", RB, 0),
    VAL("--vlanid", RB, 0),
    VAL("--ipv6gateway", RB, 0),
    VAL("--teamslaves", RB, 0),
    VAL("--teamconfig", RB, 0),
    VAL("--interfacename", RB, 0),
    VAL("--bridgeslaves", RB, 0),
    VAL("--bridgeopts", RB, 0),
    FLAG("--no-activate", RB, 0),
    CHOICE("--bindto", RB, 0, "mac"),
    VAL("--ipv4-dns-search", R9, 0),
    VAL("--ipv6-dns-search", R9, 0),
    FLAG("--ipv4-ignore-auto-dns", R9, 0),
    FLAG("--ipv6-ignore-auto-dns", R9, 0),
    {0},
};

/* commands/nfs.py: FC6_NFS */
static const struct ks_opt opts_nfs[] = {
    VAL("--server", RB, REQUIRED),
    VAL("--dir", RB, REQUIRED),
    VAL("--opts", RB, 0),
    {0},
};

/* commands/nvdimm.py: F28_Nvdimm */
static const struct ks_opt opts_nvdimm[] = {
    VAL("--namespace", RB, 0),
    LIST("--blockdevs", RB, 0),
    CHOICE("--mode", RB, 0, "sector"),
    INT("--sectorsize", RB, 0),
    {0},
};

/* commands/ostreecontainer.py: RHEL9_OSTreeContainer (RHEL 9) */
static const struct ks_opt opts_ostreecontainer[] = {
    VAL("--stateroot", R9, 0),
    VAL("--url", R9, REQUIRED),
    VAL("--transport", R9, 0),
    VAL("--remote", R9, 0),
    FLAG("--no-signature-verification", R9, 0),
    {0},
};

/* commands/ostreesetup.py: RHEL8_OSTreeSetup (RHEL 8) / RHEL9_OSTreeSetup (RHEL 9) */
static const struct ks_opt opts_ostreesetup[] = {
    VAL("--osname", RB, REQUIRED), VAL("--remote", RB, 0), VAL("--url", RB, REQUIRED),
    VAL("--ref", RB, REQUIRED),	   FLAG("--nogpg", RB, 0), {0},
};

/* commands/partition.py: RHEL8_Partition (RHEL 8) / RHEL9_Partition (RHEL 9) */
static const struct ks_opt opts_partition[] = {
    FLAG("--asprimary", RB, 0),
    VAL("--fstype", RB, 0),
    VAL("--type", RB, 0),
    FLAG("--grow", RB, 0),
    INT("--maxsize", RB, 0),
    FLAG("--noformat", RB, 0),
    VAL("--onbiosdisk", RB, 0),
    VAL("--ondisk", RB, 0),
    VAL("--ondrive", RB, 0),
    VAL("--onpart", RB, 0),
    VAL("--usepart", RB, 0),
    FLAG("--recommended", RB, 0),
    INT("--size", RB, 0),
    VAL("--fsoptions", RB, 0),
    VAL("--label", RB, 0),
    VAL("--fsprofile", RB, 0),
    FLAG("--encrypted", RB, 0),
    VAL("--passphrase", RB, 0),
    VAL("--escrowcert", RB, 0),
    FLAG("--backuppassphrase", RB, 0),
    FLAG("--resize", RB, 0),
    FLAG("--hibernation", RB, 0),
    VAL("--cipher", RB, 0),
    VAL("--mkfsoptions", RB, 0),
    FLAG("--active", R8, DEPRECATED),
    VAL("--luks-version", RB, 0),
    VAL("--pbkdf", RB, 0),
    INT("--pbkdf-memory", RB, 0),
    INT("--pbkdf-time", RB, 0),
    INT("--pbkdf-iterations", RB, 0),
    {0},
};

/* commands/raid.py: RHEL8_Raid (RHEL 8) / RHEL9_Raid (RHEL 9) */
static const struct ks_opt opts_raid[] = {
    VAL("--device", RB, REQUIRED),
    VAL("--fstype", RB, 0),
    ICHOICE("--level", RB, 0, "RAID0 0 RAID1 1 RAID5 5 RAID6 6 RAID10 10 RAID4 4"),
    FLAG("--noformat", RB, 0),
    INT("--spares", RB, 0),
    FLAG("--useexisting", RB, 0),
    VAL("--fsoptions", RB, 0),
    VAL("--fsprofile", RB, 0),
    FLAG("--encrypted", RB, 0),
    VAL("--passphrase", RB, 0),
    VAL("--escrowcert", RB, 0),
    FLAG("--backuppassphrase", RB, 0),
    VAL("--label", RB, 0),
    VAL("--cipher", RB, 0),
    VAL("--mkfsoptions", RB, 0),
    INT("--chunksize", RB, 0),
    VAL("--luks-version", RB, 0),
    VAL("--pbkdf", RB, 0),
    INT("--pbkdf-memory", RB, 0),
    INT("--pbkdf-time", RB, 0),
    INT("--pbkdf-iterations", RB, 0),
    {0},
};

/* commands/repo.py: RHEL8_Repo (RHEL 8) / F33_Repo (RHEL 9) */
static const struct ks_opt opts_repo[] = {
    VAL("--name", RB, REQUIRED),
    VAL("--baseurl", RB, 0),
    VAL("--mirrorlist", RB, 0),
    INT("--cost", RB, 0),
    LIST("--excludepkgs", RB, 0),
    LIST("--includepkgs", RB, 0),
    BOOL("--ignoregroups", R8, 0),
    VAL("--proxy", RB, 0),
    FLAG("--noverifyssl", RB, 0),
    FLAG("--install", RB, 0),
    VAL("--metalink", RB, 0),
    VAL("--sslcacert", RB, 0),
    VAL("--sslclientcert", RB, 0),
    VAL("--sslclientkey", RB, 0),
    BOOL("--ignoregroups", R9, DEPRECATED),
    {0},
};

/* commands/reqpart.py: F23_ReqPart */
static const struct ks_opt opts_reqpart[] = {
    FLAG("--add-boot", RB, 0),
    {0},
};

/* commands/rescue.py: F10_Rescue */
static const struct ks_opt opts_rescue[] = {
    FLAG("--nomount", RB, 0),
    FLAG("--romount", RB, 0),
    {0},
};

/* commands/rhsm.py: RHEL8_RHSM */
static const struct ks_opt opts_rhsm[] = {
    VAL("--organization", RB, REQUIRED),
    VAL("--activation-key", RB, REQUIRED),
    FLAG("--connect-to-insights", RB, 0),
    VAL("--proxy", RB, 0),
    VAL("--server-hostname", RB, 0),
    VAL("--rhsm-baseurl", RB, 0),
    {0},
};

/* commands/rootpw.py: F18_RootPw (RHEL 8) / RHEL9_RootPw (RHEL 9) */
static const struct ks_opt opts_rootpw[] = {
    FLAG("--iscrypted", RB, 0),
    FLAG("--lock", RB, 0),
    FLAG("--plaintext", RB, 0),
    FLAG("--allow-ssh", R9, 0),
    {0},
};

/* commands/selinux.py: FC3_SELinux */
static const struct ks_opt opts_selinux[] = {
    FLAG("--disabled", RB, 0),
    FLAG("--enforcing", RB, 0),
    FLAG("--permissive", RB, 0),
    {0},
};

/* commands/services.py: FC6_Services */
static const struct ks_opt opts_services[] = {
    LIST("--disabled", RB, 0),
    LIST("--enabled", RB, 0),
    {0},
};

/* commands/snapshot.py: F26_Snapshot */
static const struct ks_opt opts_snapshot[] = {
    VAL("--name", RB, REQUIRED),
    ICHOICE("--when", RB, REQUIRED, "post-install pre-install"), /* _when_cb */
    {0},
};

/* commands/sshkey.py: F22_SshKey */
static const struct ks_opt opts_sshkey[] = {
    VAL("--username", RB, REQUIRED),
    {0},
};

/* commands/sshpw.py: F24_SshPw */
static const struct ks_opt opts_sshpw[] = {
    VAL("--username", RB, REQUIRED), FLAG("--iscrypted", RB, 0), FLAG("--plaintext", RB, 0),
    FLAG("--lock", RB, 0),	     FLAG("--sshkey", RB, 0),	 {0},
};

/* commands/syspurpose.py: RHEL8_Syspurpose */
static const struct ks_opt opts_syspurpose[] = {
    VAL("--role", RB, 0), VAL("--sla", RB, 0), VAL("--usage", RB, 0), VAL("--addon", RB, 0), {0},
};

/* commands/timesource.py: F33_Timesource (RHEL 9) */
static const struct ks_opt opts_timesource[] = {
    VAL("--ntp-server", R9, 0),
    VAL("--ntp-pool", R9, 0),
    FLAG("--ntp-disable", R9, 0),
    FLAG("--nts", R9, 0),
    {0},
};

/* commands/timezone.py: F25_Timezone (RHEL 8) / F33_Timezone (RHEL 9) */
static const struct ks_opt opts_timezone[] = {
    FLAG("--utc", RB, 0), FLAG("--isUtc", RB, 0), FLAG("--nontp", RB, 0), LIST("--ntpservers", RB, 0), {0},
};

/* commands/url.py: RHEL8_Url (RHEL 8) / F30_Url (RHEL 9) */
static const struct ks_opt opts_url[] = {
    VAL("--proxy", RB, 0),	   FLAG("--noverifyssl", RB, 0), VAL("--mirrorlist", RB, 0),
    VAL("--url", RB, 0),	   VAL("--metalink", RB, 0),	 VAL("--sslcacert", RB, 0),
    VAL("--sslclientcert", RB, 0), VAL("--sslclientkey", RB, 0), {0},
};

/* commands/user.py: F24_User */
static const struct ks_opt opts_user[] = {
    VAL("--homedir", RB, 0),  FLAG("--iscrypted", RB, 0), VAL("--name", RB, REQUIRED),
    VAL("--password", RB, 0), VAL("--shell", RB, 0),	  INT("--uid", RB, 0),
    FLAG("--lock", RB, 0),    FLAG("--plaintext", RB, 0), VAL("--gecos", RB, 0),
    INT("--gid", RB, 0),      LIST("--groups", RB, 0),	  {0},
};

/* commands/vnc.py: F9_Vnc */
static const struct ks_opt opts_vnc[] = {
    VAL("--password", RB, 0),
    VAL("--host", RB, 0),
    VAL("--port", RB, 0),
    {0},
};

/* commands/volgroup.py: RHEL8_VolGroup (RHEL 8) / RHEL9_VolGroup (RHEL 9) */
static const struct ks_opt opts_volgroup[] = {
    FLAG("--noformat", RB, 0),	      FLAG("--useexisting", RB, 0), INT("--reserved-space", RB, 0),
    INT("--reserved-percent", RB, 0), INT("--pesize", RB, 0),	    {0},
};

/* commands/xconfig.py: F14_XConfig */
static const struct ks_opt opts_xconfig[] = {
    VAL("--defaultdesktop", RB, 0),
    FLAG("--startxonboot", RB, 0),
    {0},
};

/* commands/zfcp.py: F14_ZFCP (RHEL 8) / RHEL9_ZFCP (RHEL 9) */
static const struct ks_opt opts_zfcp[] = {
    VAL("--devnum", RB, REQUIRED), VAL("--fcplun", R8, REQUIRED), VAL("--wwpn", R8, REQUIRED),
    VAL("--wwpn", R9, 0),	   VAL("--fcplun", R9, 0),	  {0},
};

/* commands/zipl.py: RHEL8_Zipl (RHEL 8) / F32_Zipl (RHEL 9) */
static const struct ks_opt opts_zipl[] = {
    FLAG("--secure-boot", RB, 0),
    FLAG("--force-secure-boot", RB, 0),
    FLAG("--no-secure-boot", RB, 0),
    {0},
};

/* sections.py: ScriptSection._getParser, the options of %pre, %pre-install,
 * %onerror and %traceback; PostScriptSection adds --nochroot. */
static const struct ks_opt opts_script[] = {
    FLAG("--erroronfail", RB, 0),
    VAL("--interpreter", RB, 0),
    VAL("--log", RB, 0),
    VAL("--logfile", RB, 0),
    {0},
};

static const struct ks_opt opts_post[] = {
    FLAG("--erroronfail", RB, 0), VAL("--interpreter", RB, 0), VAL("--log", RB, 0),
    VAL("--logfile", RB, 0),	  FLAG("--nochroot", RB, 0),   {0},
};

/* sections.py: PackageSection._getParser at RHEL8 (26100) and RHEL9 (34100):
 * --ignoredeps/--resolvedeps gone at F9, --nobase at F22, --ignorebroken
 * removed for RHEL; the F32 aliases --inst-langs/--exclude-weakdeps only in 9. */
static const struct ks_opt opts_packages[] = {
    FLAG("--excludedocs", RB, 0), FLAG("--ignoremissing", RB, 0),    FLAG("--default", RB, 0),
    VAL("--instLangs", RB, 0),	  FLAG("--multilib", RB, 0),	     FLAG("--nocore", RB, 0),
    INT("--timeout", RB, 0),	  INT("--retries", RB, 0),	     FLAG("--excludeWeakdeps", RB, 0),
    VAL("--inst-langs", R9, 0),	  FLAG("--exclude-weakdeps", R9, 0), {0},
};

/* sections.py: CertificateSection._getParser. */
static const struct ks_opt opts_certificate[] = {
    VAL("--filename", RB, REQUIRED),
    VAL("--dir", RB, 0),
    VAL("--type", RB, 0),
    {0},
};

/* Package lines "@group --nodefaults" (parser.py Packages._processGroup,
 * parse_known_args: anything else joins the group name). */
static const struct ks_opt opts_group_line[] = {
    FLAG("--nodefaults", RB, 0),
    FLAG("--optional", RB, 0),
    {0},
};

/* kdump-anaconda-addon com_redhat_kdump/service/kickstart.py
 * KdumpKickstartData.handle_header (a KSOptionParser, parse_args). */
static const struct ks_opt opts_kdump[] = {
    FLAG("--enable", RB, 0),
    FLAG("--enablefadump", RB, 0),
    FLAG("--disable", RB, 0),
    VAL("--reserve-mb", RB, 0),
    {0},
};

/* Checks that parse() makes after argparse. names are option strings, "ARG"
 * (a positional argument is given) or "ARG2" (two are). */
enum ks_rule_kind {
	RULE_ONE_OF,	  /* exactly one of names */
	RULE_ANY_OF,	  /* at least one */
	RULE_AT_MOST_ONE, /* never two of them */
	RULE_REQUIRES,	  /* names[0] needs one of the others */
	RULE_FORBID,	  /* names[0] is refused */
	RULE_NOT_BTRFS,	  /* no value "btrfs" (and no positional "btrfs.*" when ARG is named) */
	RULE_NOT_EMPTY,	  /* the command needs some argument */
	RULE_MOUNT_POINT, /* the second positional is "none" or absolute */
	RULE_WARN_USE,	  /* a warning when names[0] is given */
	RULE_WARN,	  /* a warning whenever the command is used */
	RULE_ALL_OR_NONE, /* all of names, or none */
	RULE_ARG_CHOICE,  /* the first positional is one of text (space-separated) */
	RULE_ONE_GIVEN,	  /* exactly one of names is given, with any value ("is None" tests) */
	RULE_INT_RANGE,	  /* names[0]'s value is within names[1]..names[2] ("": no bound) */
	RULE_NO_COMMA,	  /* names[0] takes one item, not a list */
};

struct ks_rule {
	enum ks_rule_kind kind;
	unsigned rel;
	const char *names[7];
	const char *text; /* NULL: made from kind and names */
};

/* commands/autopart.py RHEL8_AutoPart.parse, F21_AutoPart.parse, F29_AutoPart.parse */
static const struct ks_rule rules_autopart[] = {
    {RULE_NOT_BTRFS, RB, {"--type"}, "autopart --type=btrfs is not supported"},
    {RULE_NOT_BTRFS, RB, {"--fstype"}, "autopart --fstype=btrfs is not valid"},
    {RULE_AT_MOST_ONE, RB, {"--pbkdf-time", "--pbkdf-iterations"}, NULL},
    {0},
};

/* commands/authconfig.py F28_Authconfig.parse */
static const struct ks_rule rules_authconfig[] = {
    {RULE_WARN, RB, {NULL}, "the authconfig command will be deprecated, use authselect instead"},
    {0},
};

/* commands/bootloader.py F17_Bootloader.parse */
static const struct ks_rule rules_bootloader[] = {
    {RULE_NO_COMMA, RB, {"--boot-drive"}, "--boot-drive accepts only one drive"},
    {0},
};

/* commands/displaymode.py F26_DisplayMode.parse */
static const struct ks_rule rules_cmdline[] = {
    {RULE_FORBID, RB, {"--non-interactive"}, "cmdline does not support --non-interactive"},
    {0},
};

/* commands/driverdisk.py FC4_DriverDisk.parse */
static const struct ks_rule rules_driverdisk[] = {
    {RULE_ONE_OF, RB, {"ARG", "--source", "--biospart"}, NULL},
    {0},
};

/* commands/eula.py F20_Eula.parse */
static const struct ks_rule rules_eula[] = {
    {RULE_ANY_OF, RB, {"--agreed", "--agree", "--accepted", "--accept"}, "eula expects the --agreed option"},
    {0},
};

/* commands/harddrive.py FC3_HardDrive.parse (RHEL 8 only) */
static const struct ks_rule rules_harddrive[] = {
    {RULE_ONE_GIVEN, R8, {"--biospart", "--partition"}, NULL},
    {0},
};

/* commands/ignoredisk.py F8_IgnoreDisk.parse */
static const struct ks_rule rules_ignoredisk[] = {
    {RULE_ONE_OF, RB, {"--drives", "--only-use"}, NULL},
    {0},
};

/* commands/keyboard.py F18_Keyboard.parse */
static const struct ks_rule rules_keyboard[] = {
    {RULE_ANY_OF,
     RB,
     {"ARG", "--vckeymap", "--xlayouts"},
     "keyboard needs a layout: an argument, --vckeymap or --xlayouts"},
    {0},
};

/* commands/logging.py FC6_Logging.parse */
static const struct ks_rule rules_logging[] = {
    {RULE_REQUIRES, RB, {"--port", "--host"}, NULL},
    {0},
};

/* commands/logvol.py RHEL8/RHEL9_LogVol.parse and the F15..F29 chain */
static const struct ks_rule rules_logvol[] = {
    {RULE_NOT_BTRFS, RB, {"--fstype"}, "Btrfs file system is not supported"},
    {RULE_ANY_OF,
     RB,
     {"--size", "--percent", "--recommended", "--hibernation", "--useexisting", "--noformat"},
     "no size given for the logical volume: use one of --size, --percent, --recommended, --hibernation, "
     "--useexisting or --noformat"},
    {RULE_AT_MOST_ONE, RB, {"--size", "--percent"}, NULL},
    {RULE_INT_RANGE, RB, {"--percent", "0", "100"}, NULL},
    {RULE_AT_MOST_ONE, RB, {"--thin", "--thinpool"}, NULL},
    {RULE_REQUIRES, RB, {"--thin", "--poolname"}, NULL},
    {RULE_AT_MOST_ONE, RB, {"--fsprofile", "--mkfsoptions"}, NULL},
    {RULE_AT_MOST_ONE, RB, {"--pbkdf-time", "--pbkdf-iterations"}, NULL},
    {0},
};

/* commands/mount.py F27_Mount.parse */
static const struct ks_rule rules_mount[] = {
    {RULE_MOUNT_POINT, RB, {NULL}, NULL},
    {RULE_REQUIRES, RB, {"--mkfsoptions", "--reformat"}, NULL},
    {0},
};

/* commands/network.py F22_Network.parse, F39_Network.parse (RHEL9_Network) */
static const struct ks_rule rules_network[] = {
    {RULE_REQUIRES, RB, {"--bridgeopts", "--bridgeslaves"}, NULL},
    {RULE_REQUIRES, R9, {"--ipv4-dns-search", "--device"}, NULL},
    {RULE_REQUIRES, R9, {"--ipv6-dns-search", "--device"}, NULL},
    {RULE_REQUIRES, R9, {"--ipv4-ignore-auto-dns", "--device"}, NULL},
    {RULE_REQUIRES, R9, {"--ipv6-ignore-auto-dns", "--device"}, NULL},
    {0},
};

/* commands/nvdimm.py F28_Nvdimm (choices of the positional action) */
static const struct ks_rule rules_nvdimm[] = {
    {RULE_ARG_CHOICE, RB, {NULL}, "reconfigure use"},
    {0},
};

/* commands/partition.py RHEL8/RHEL9_Partition.parse and the F12..F29 chain */
static const struct ks_rule rules_partition[] = {
    {RULE_NOT_BTRFS, RB, {"ARG", "--fstype", "--type"}, "Btrfs file system is not supported"},
    {RULE_REQUIRES, RB, {"--resize", "--onpart", "--usepart"}, NULL},
    {RULE_REQUIRES, RB, {"--resize", "--size"}, NULL},
    {RULE_AT_MOST_ONE, RB, {"--fsprofile", "--mkfsoptions"}, NULL},
    {RULE_AT_MOST_ONE, RB, {"--pbkdf-time", "--pbkdf-iterations"}, NULL},
    {0},
};

/* commands/raid.py RHEL8/RHEL9_Raid.parse and F9_Raid.parse */
static const struct ks_rule rules_raid[] = {
    {RULE_NOT_BTRFS, RB, {"--fstype"}, "Btrfs file system is not supported"},
    {RULE_ANY_OF, RB, {"ARG2", "--useexisting", "--noformat"}, "raid needs its member partitions"},
    {RULE_AT_MOST_ONE,
     RB,
     {"ARG2", "--useexisting"},
     "members may not be given for a RAID device that exists"},
    {RULE_AT_MOST_ONE, RB, {"ARG2", "--noformat"}, "members may not be given for a RAID device that exists"},
    {RULE_ANY_OF, RB, {"--level", "--useexisting", "--noformat"}, "raid needs --level"},
    {RULE_AT_MOST_ONE, RB, {"--fsprofile", "--mkfsoptions"}, NULL},
    {RULE_AT_MOST_ONE, RB, {"--pbkdf-time", "--pbkdf-iterations"}, NULL},
    {0},
};

/* commands/repo.py FC6_Repo.parse (urlRequired is False for RHEL8_Repo and F33_Repo) */
static const struct ks_rule rules_repo[] = {
    {RULE_AT_MOST_ONE, RB, {"--baseurl", "--mirrorlist", "--metalink"}, NULL},
    {0},
};

/* commands/rescue.py F10_Rescue.parse */
static const struct ks_rule rules_rescue[] = {
    {RULE_AT_MOST_ONE, RB, {"--nomount", "--romount"}, NULL},
    {0},
};

/* commands/rootpw.py F18_RootPw.parse */
static const struct ks_rule rules_rootpw[] = {
    {RULE_ANY_OF, RB, {"ARG", "--lock"}, "rootpw needs a password or --lock"},
    {0},
};

/* commands/services.py FC6_Services.parse */
static const struct ks_rule rules_services[] = {
    {RULE_ANY_OF, RB, {"--disabled", "--enabled"}, NULL},
    {0},
};

/* commands/timesource.py F33_Timesource.parse */
static const struct ks_rule rules_timesource[] = {
    {RULE_ONE_OF, R9, {"--ntp-server", "--ntp-pool", "--ntp-disable"}, NULL},
    {0},
};

/* commands/timezone.py F25_Timezone.parse, F32_ and F33_Timezone.parse */
static const struct ks_rule rules_timezone[] = {
    {RULE_NOT_EMPTY, RB, {NULL}, "timezone needs a time zone or an option"},
    {RULE_AT_MOST_ONE, RB, {"--nontp", "--ntpservers"}, NULL},
    {RULE_WARN_USE, R9, {"--isUtc"}, "--isUtc will be deprecated, use its alias --utc"},
    {RULE_WARN_USE, R9, {"--ntpservers"}, "--ntpservers will be deprecated, use timesource --ntp-server"},
    {RULE_WARN_USE, R9, {"--nontp"}, "--nontp will be deprecated, use timesource --ntp-disable"},
    {0},
};

/* commands/updates.py F34_Updates (positional url, required) */
static const struct ks_rule rules_updates[] = {
    {RULE_ANY_OF, R9, {"ARG"}, "updates needs the URL of an updates image"},
    {0},
};

/* commands/url.py F18_Url.parse (F27_Url adds --metalink) */
static const struct ks_rule rules_url[] = {
    {RULE_ONE_OF, RB, {"--url", "--mirrorlist", "--metalink"}, NULL},
    {0},
};

/* commands/volgroup.py FC3_VolGroup.parse */
static const struct ks_rule rules_volgroup[] = {
    {RULE_ANY_OF, RB, {"ARG2", "--useexisting", "--noformat"}, "volgroup needs its member partitions"},
    {RULE_AT_MOST_ONE,
     RB,
     {"ARG2", "--useexisting"},
     "members may not be given for a volume group that exists"},
    {RULE_AT_MOST_ONE, RB, {"ARG2", "--noformat"}, "members may not be given for a volume group that exists"},
    {RULE_INT_RANGE, RB, {"--reserved-space", "0", ""}, NULL},
    {RULE_INT_RANGE, RB, {"--reserved-percent", "1", "99"}, NULL},
    {0},
};

/* commands/zfcp.py F37_ZFCP.parse (RHEL9_ZFCP) */
static const struct ks_rule rules_zfcp[] = {
    {RULE_ALL_OR_NONE, R9, {"--wwpn", "--fcplun"}, "only --devnum, or --devnum with --wwpn and --fcplun"},
    {0},
};

/* sections.py PackageSection.handleHeader */
static const struct ks_rule rules_packages[] = {
    {RULE_AT_MOST_ONE, RB, {"--default", "--nocore"}, NULL},
    {RULE_WARN_USE, R9, {"--instLangs"}, "--instLangs will be deprecated, use its alias --inst-langs"},
    {RULE_WARN_USE,
     R9,
     {"--excludeWeakdeps"},
     "--excludeWeakdeps will be deprecated, use its alias --exclude-weakdeps"},
    {0},
};

/* sections.py CertificateSection.handleHeader */
static const struct ks_rule rules_certificate[] = {
    {RULE_ANY_OF, RB, {"--dir", "--type"}, NULL},
    {0},
};

#define CMD_RAW (1u << 0)   /* the line is taken as it is (FC3_Authconfig, F28_Authselect) */
#define CMD_REALM (1u << 1) /* F19_Realm._parseArguments: "join", getopt options, one realm */
#define NO_MAX UINT_MAX

/* One row per name in commandMap of handlers/rhel8.py and rhel9.py. object
 * names the KickstartCommand instance a name shares with its aliases
 * (registerCommand: one object per class), multi marks commands that keep
 * a data list (dataMap) and so may be repeated; deprecated/removed: the
 * releases where the class is a DeprecatedCommand (warned about, arguments
 * ignored) or a RemovedCommand (an error). */
struct ks_command {
	const char *name;
	unsigned rel;
	unsigned deprecated;
	unsigned removed;
	unsigned no_parser; /* the class has no parse() (a TypeError in anaconda) */
	const char *object;
	bool multi;
	const struct ks_opt *opts;
	unsigned pos_min, pos_max; /* positional arguments */
	const char *pos_name;
	const struct ks_rule *rules;
	const char *conflicts; /* conflictingCommands, space-separated */
	const char *dup_key;   /* multi: what identifies an item ("--name", "ARG", "--vgname --name") */
	const char *dup_what;  /* and what it is called in the warning */
	unsigned flags;
};

static const struct ks_command commands[] = {
    /* commands/authconfig.py F28_Authconfig */
    {.name = "auth", .rel = RB, .object = "authconfig", .rules = rules_authconfig, .flags = CMD_RAW},
    {.name = "authconfig", .rel = RB, .object = "authconfig", .rules = rules_authconfig, .flags = CMD_RAW},
    /* commands/authselect.py F28_Authselect */
    {.name = "authselect", .rel = RB, .flags = CMD_RAW},
    /* commands/autopart.py RHEL8_AutoPart / RHEL9_AutoPart */
    {.name = "autopart",
     .rel = RB,
     .opts = opts_autopart,
     .rules = rules_autopart,
     .conflicts = "partition raid volgroup logvol reqpart"},
    /* commands/autostep.py FC3_AutoStep (RHEL 8), F34_AutoStep deprecated (RHEL 9) */
    {.name = "autostep", .rel = RB, .deprecated = R9, .opts = opts_autostep},
    /* commands/bootloader.py RHEL8_Bootloader / RHEL9_Bootloader */
    {.name = "bootloader", .rel = RB, .opts = opts_bootloader, .rules = rules_bootloader},
    /* commands/btrfs.py RHEL8_BTRFS / RHEL9_BTRFS, both deprecated */
    {.name = "btrfs", .rel = RB, .deprecated = RB, .multi = true},
    /* commands/cdrom.py FC3_Cdrom */
    {.name = "cdrom", .rel = RB},
    /* commands/clearpart.py F28_ClearPart */
    {.name = "clearpart", .rel = RB, .opts = opts_clearpart},
    /* commands/displaymode.py F26_DisplayMode (also graphical, text) */
    {.name = "cmdline", .rel = RB, .object = "displaymode", .opts = opts_displaymode, .rules = rules_cmdline},
    /* commands/device.py F24_Device deprecated (RHEL 8), F34_Device removed (RHEL 9) */
    {.name = "device", .rel = RB, .deprecated = R8, .removed = R9, .multi = true},
    /* commands/deviceprobe.py F29_DeviceProbe deprecated (RHEL 8), F34_DeviceProbe removed (RHEL 9) */
    {.name = "deviceprobe", .rel = RB, .deprecated = R8, .removed = R9},
    /* commands/dmraid.py F24_DmRaid deprecated (RHEL 8), F34_DmRaid removed (RHEL 9) */
    {.name = "dmraid", .rel = RB, .deprecated = R8, .removed = R9, .multi = true},
    /* commands/driverdisk.py F14_DriverDisk */
    {.name = "driverdisk",
     .rel = RB,
     .multi = true,
     .opts = opts_driverdisk,
     .pos_max = 1,
     .pos_name = "partition",
     .rules = rules_driverdisk},
    /* commands/eula.py F20_Eula */
    {.name = "eula", .rel = RB, .opts = opts_eula, .rules = rules_eula},
    /* commands/fcoe.py RHEL8_Fcoe / RHEL9_Fcoe */
    {.name = "fcoe",
     .rel = RB,
     .multi = true,
     .opts = opts_fcoe,
     .dup_key = "--nic",
     .dup_what = "FCoE device"},
    /* commands/firewall.py F28_Firewall */
    {.name = "firewall", .rel = RB, .opts = opts_firewall},
    /* commands/firstboot.py FC3_Firstboot */
    {.name = "firstboot", .rel = RB, .opts = opts_firstboot},
    /* commands/displaymode.py F26_DisplayMode */
    {.name = "graphical", .rel = RB, .object = "displaymode", .opts = opts_displaymode},
    /* commands/group.py F12_Group */
    {.name = "group", .rel = RB, .multi = true, .opts = opts_group, .dup_key = "--name", .dup_what = "group"},
    /* commands/reboot.py F23_Reboot (also poweroff, reboot, shutdown) */
    {.name = "halt", .rel = RB, .object = "reboot", .opts = opts_reboot},
    /* commands/harddrive.py FC3_HardDrive (RHEL 8) / F33_HardDrive (RHEL 9) */
    {.name = "harddrive", .rel = RB, .opts = opts_harddrive, .rules = rules_harddrive},
    /* commands/hmc.py F28_Hmc */
    {.name = "hmc", .rel = RB},
    /* commands/ignoredisk.py F29_IgnoreDisk (RHEL 8) / F34_IgnoreDisk (RHEL 9, no --interactive) */
    {.name = "ignoredisk", .rel = RB, .opts = opts_ignoredisk, .rules = rules_ignoredisk},
    /* commands/install.py F29_Install deprecated (RHEL 8), F34_Install removed (RHEL 9) */
    {.name = "install", .rel = RB, .deprecated = R8, .removed = R9},
    /* commands/iscsi.py F17_Iscsi */
    {.name = "iscsi", .rel = RB, .multi = true, .opts = opts_iscsi},
    /* commands/iscsiname.py FC6_IscsiName */
    {.name = "iscsiname", .rel = RB, .pos_min = 1, .pos_max = 1, .pos_name = "iSCSI initiator name"},
    /* commands/keyboard.py F18_Keyboard */
    {.name = "keyboard",
     .rel = RB,
     .opts = opts_keyboard,
     .pos_max = 1,
     .pos_name = "layout",
     .rules = rules_keyboard},
    /* commands/lang.py F19_Lang */
    {.name = "lang", .rel = RB, .opts = opts_lang, .pos_min = 1, .pos_max = 1, .pos_name = "language"},
    /* commands/liveimg.py F19_Liveimg */
    {.name = "liveimg", .rel = RB, .opts = opts_liveimg},
    /* commands/logging.py FC6_Logging (RHEL 8) / F34_Logging (RHEL 9, --level deprecated) */
    {.name = "logging", .rel = RB, .opts = opts_logging, .rules = rules_logging},
    /* commands/logvol.py RHEL8_LogVol / RHEL9_LogVol */
    {.name = "logvol",
     .rel = RB,
     .multi = true,
     .opts = opts_logvol,
     .pos_min = 1,
     .pos_max = 1,
     .pos_name = "mount point",
     .rules = rules_logvol,
     .conflicts = "autopart mount",
     .dup_key = "--vgname --name",
     .dup_what = "logical volume"},
    /* commands/mediacheck.py FC4_MediaCheck */
    {.name = "mediacheck", .rel = RB},
    /* commands/method.py F28_Method (RHEL 8: a proxy with no parse()), F34_Method deprecated (RHEL 9) */
    {.name = "method", .rel = RB, .deprecated = R9, .no_parser = R8},
    /* commands/module.py RHEL8_Module / F31_Module */
    {.name = "module", .rel = RB, .multi = true, .opts = opts_module},
    /* commands/mount.py F27_Mount */
    {.name = "mount",
     .rel = RB,
     .multi = true,
     .opts = opts_mount,
     .pos_min = 2,
     .pos_max = 2,
     .pos_name = "device and mount point",
     .rules = rules_mount,
     .conflicts = "autopart partition raid volgroup logvol reqpart"},
    /* commands/multipath.py F24_MultiPath deprecated (RHEL 8), F34_MultiPath removed (RHEL 9) */
    {.name = "multipath", .rel = RB, .deprecated = R8, .removed = R9, .multi = true},
    /* commands/network.py F27_Network (RHEL 8) / RHEL9_Network (RHEL 9) */
    {.name = "network",
     .rel = RB,
     .multi = true,
     .opts = opts_network,
     .rules = rules_network,
     .dup_key = "--device",
     .dup_what = "network device"},
    /* commands/nfs.py FC6_NFS */
    {.name = "nfs", .rel = RB, .opts = opts_nfs},
    /* commands/nvdimm.py F28_Nvdimm */
    {.name = "nvdimm",
     .rel = RB,
     .multi = true,
     .opts = opts_nvdimm,
     .pos_min = 1,
     .pos_max = 1,
     .pos_name = "action",
     .rules = rules_nvdimm},
    /* commands/ostreecontainer.py RHEL9_OSTreeContainer (RHEL 9 only) */
    {.name = "ostreecontainer", .rel = R9, .opts = opts_ostreecontainer, .conflicts = "ostreesetup"},
    /* commands/ostreesetup.py RHEL8_OSTreeSetup / RHEL9_OSTreeSetup */
    {.name = "ostreesetup", .rel = RB, .opts = opts_ostreesetup},
    /* commands/partition.py RHEL8_Partition / RHEL9_Partition (also partition) */
    {.name = "part",
     .rel = RB,
     .object = "partition",
     .multi = true,
     .opts = opts_partition,
     .pos_min = 1,
     .pos_max = 1,
     .pos_name = "mount point",
     .rules = rules_partition,
     .conflicts = "autopart mount",
     .dup_key = "ARG",
     .dup_what = "partition for"},
    {.name = "partition",
     .rel = RB,
     .object = "partition",
     .multi = true,
     .opts = opts_partition,
     .pos_min = 1,
     .pos_max = 1,
     .pos_name = "mount point",
     .rules = rules_partition,
     .conflicts = "autopart mount",
     .dup_key = "ARG",
     .dup_what = "partition for"},
    /* commands/reboot.py F23_Reboot */
    {.name = "poweroff", .rel = RB, .object = "reboot", .opts = opts_reboot},
    /* commands/raid.py RHEL8_Raid / RHEL9_Raid */
    {.name = "raid",
     .rel = RB,
     .multi = true,
     .opts = opts_raid,
     .pos_min = 1,
     .pos_max = NO_MAX,
     .pos_name = "mount point",
     .rules = rules_raid,
     .conflicts = "autopart mount",
     .dup_key = "--device",
     .dup_what = "RAID device"},
    /* commands/realm.py F19_Realm */
    {.name = "realm", .rel = RB, .flags = CMD_REALM},
    /* commands/reboot.py F23_Reboot */
    {.name = "reboot", .rel = RB, .object = "reboot", .opts = opts_reboot},
    /* commands/repo.py RHEL8_Repo (RHEL 8) / F33_Repo (RHEL 9) */
    {.name = "repo",
     .rel = RB,
     .multi = true,
     .opts = opts_repo,
     .rules = rules_repo,
     .dup_key = "--name",
     .dup_what = "repo"},
    /* commands/reqpart.py F23_ReqPart */
    {.name = "reqpart", .rel = RB, .opts = opts_reqpart, .conflicts = "autopart mount"},
    /* commands/rescue.py F10_Rescue */
    {.name = "rescue", .rel = RB, .opts = opts_rescue, .rules = rules_rescue},
    /* commands/rhsm.py RHEL8_RHSM */
    {.name = "rhsm", .rel = RB, .opts = opts_rhsm},
    /* commands/rootpw.py F18_RootPw (RHEL 8) / RHEL9_RootPw (RHEL 9, adds --allow-ssh) */
    {.name = "rootpw",
     .rel = RB,
     .opts = opts_rootpw,
     .pos_max = 1,
     .pos_name = "password",
     .rules = rules_rootpw},
    /* commands/selinux.py FC3_SELinux */
    {.name = "selinux", .rel = RB, .opts = opts_selinux},
    /* commands/services.py FC6_Services */
    {.name = "services", .rel = RB, .opts = opts_services, .rules = rules_services},
    /* commands/reboot.py F23_Reboot */
    {.name = "shutdown", .rel = RB, .object = "reboot", .opts = opts_reboot},
    /* commands/skipx.py FC3_SkipX */
    {.name = "skipx", .rel = RB},
    /* commands/snapshot.py F26_Snapshot */
    {.name = "snapshot",
     .rel = RB,
     .multi = true,
     .opts = opts_snapshot,
     .pos_min = 1,
     .pos_max = 1,
     .pos_name = "origin"},
    /* commands/sshkey.py F22_SshKey */
    {.name = "sshkey",
     .rel = RB,
     .multi = true,
     .opts = opts_sshkey,
     .pos_min = 1,
     .pos_max = 1,
     .pos_name = "ssh key",
     .dup_key = "--username",
     .dup_what = "ssh key user"},
    /* commands/sshpw.py F24_SshPw */
    {.name = "sshpw",
     .rel = RB,
     .multi = true,
     .opts = opts_sshpw,
     .pos_min = 1,
     .pos_max = NO_MAX,
     .pos_name = "password",
     .dup_key = "--username",
     .dup_what = "ssh user"},
    /* commands/syspurpose.py RHEL8_Syspurpose */
    {.name = "syspurpose", .rel = RB, .opts = opts_syspurpose},
    /* commands/displaymode.py F26_DisplayMode */
    {.name = "text", .rel = RB, .object = "displaymode", .opts = opts_displaymode},
    /* commands/timesource.py F33_Timesource (RHEL 9 only) */
    {.name = "timesource", .rel = R9, .multi = true, .opts = opts_timesource, .rules = rules_timesource},
    /* commands/timezone.py F25_Timezone (RHEL 8) / F33_Timezone (RHEL 9) */
    {.name = "timezone",
     .rel = RB,
     .opts = opts_timezone,
     .pos_max = 1,
     .pos_name = "time zone",
     .rules = rules_timezone},
    /* commands/updates.py F7_Updates (RHEL 8) / F34_Updates (RHEL 9) */
    {.name = "updates", .rel = RB, .pos_max = 1, .pos_name = "URL", .rules = rules_updates},
    /* commands/url.py RHEL8_Url (RHEL 8) / F30_Url (RHEL 9) */
    {.name = "url", .rel = RB, .opts = opts_url, .rules = rules_url},
    /* commands/user.py F24_User */
    {.name = "user", .rel = RB, .multi = true, .opts = opts_user, .dup_key = "--name", .dup_what = "user"},
    /* commands/vnc.py F9_Vnc */
    {.name = "vnc", .rel = RB, .opts = opts_vnc},
    /* commands/volgroup.py RHEL8_VolGroup / RHEL9_VolGroup */
    {.name = "volgroup",
     .rel = RB,
     .multi = true,
     .opts = opts_volgroup,
     .pos_min = 1,
     .pos_max = NO_MAX,
     .pos_name = "volume group name",
     .rules = rules_volgroup,
     .conflicts = "autopart mount",
     .dup_key = "ARG",
     .dup_what = "volume group"},
    /* commands/xconfig.py F14_XConfig */
    {.name = "xconfig", .rel = RB, .opts = opts_xconfig},
    /* commands/zerombr.py F9_ZeroMbr */
    {.name = "zerombr", .rel = RB},
    /* commands/zfcp.py F14_ZFCP (RHEL 8) / RHEL9_ZFCP (RHEL 9) */
    {.name = "zfcp", .rel = RB, .multi = true, .opts = opts_zfcp, .rules = rules_zfcp},
    /* commands/zipl.py RHEL8_Zipl / F32_Zipl */
    {.name = "zipl", .rel = RB, .opts = opts_zipl},
};

enum ks_body {
	BODY_SCRIPT,   /* %pre, %post, ...: a script, not checked */
	BODY_PACKAGES, /* package, @group, @^environment and -exclusion lines */
	BODY_NULL,     /* NullSection: header and body kept as they are */
	BODY_ADDON,    /* NullSection in pykickstart, anaconda hands it to the named add-on */
	BODY_CERT,     /* certificate text, must not be empty */
};

/* parser.py KickstartParser.setupSections: the same set for every handler. */
struct ks_section {
	const char *name;
	enum ks_body body;
	const struct ks_opt *opts;
	const struct ks_rule *rules;
	unsigned deprecated; /* TracebackScriptSection warns from F34 on */
};

static const struct ks_section sections[] = {
    {"%certificate", BODY_CERT, opts_certificate, rules_certificate, 0},
    {"%pre", BODY_SCRIPT, opts_script, NULL, 0},
    {"%pre-install", BODY_SCRIPT, opts_script, NULL, 0},
    {"%post", BODY_SCRIPT, opts_post, NULL, 0},
    {"%onerror", BODY_SCRIPT, opts_script, NULL, 0},
    {"%traceback", BODY_SCRIPT, opts_script, NULL, R9},
    {"%packages", BODY_PACKAGES, opts_packages, rules_packages, 0},
    {"%addon", BODY_ADDON, NULL, NULL, 0},
    {"%anaconda", BODY_NULL, NULL, NULL, 0},
};

/* The add-ons of the RHEL install media (anaconda pyanaconda/core/kickstart/
 * addon.py refuses a name no add-on registered): kdump-anaconda-addon and
 * oscap-anaconda-addon (which registers both names, header not parsed). */
static const struct {
	const char *name;
	const struct ks_opt *opts;
} addons[] = {
    {"com_redhat_kdump", opts_kdump},
    {"org_fedora_oscap", NULL},
    {"com_redhat_oscap", NULL},
};

/* ---- reporting ---- */

struct ks_item {
	size_t object; /* commands[] index of the object */
	char *key;
	unsigned line;
};

struct ks_ctx {
	const char *file;
	unsigned rel;	       /* R8 or R9 */
	const char *relname;   /* "RHEL 8" */
	const char *othername; /* "RHEL 9" */
	struct doc_check *out;
	unsigned seen_line[ARRAY_SIZE(commands)]; /* by object: where it was first used */
	const char *seen_name[ARRAY_SIZE(commands)];
	struct ks_item *items; /* the keys of multi commands, for repeats */
	size_t nitems, aitems;
	/* the open section: sec is NULL in the command part */
	const struct ks_section *sec;
	char *sec_name;
	unsigned sec_line;
	unsigned sec_false_end; /* a line like "%end#x" or "%END" that does not end it */
	bool sec_has_text;
	unsigned realm_join; /* the line of a realm join that parsed */
	char *show[4];	     /* ring of display copies of user text */
	unsigned show_next;
};

static void report(struct ks_ctx *c, bool warning, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void report(struct ks_ctx *c, bool warning, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	doc_check_vadd(c->out, warning, c->file, line, col, fmt, ap);
	va_end(ap);
}

#define ERR(c, line, col, ...) report((c), false, (line), (col), __VA_ARGS__)
#define WARN(c, line, col, ...) report((c), true, (line), (col), __VA_ARGS__)

/* User text as it may be shown: control characters escaped, long text cut
 * (at a character boundary). Valid until four more calls. */
static const char *show(struct ks_ctx *c, const char *s, size_t n)
{
	const size_t max = 60;
	bool cut = n > max;
	if (cut) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	_cleanup_free_ char *copy = strndup(s, n);
	if (!copy)
		abort();
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_add_printable(&sb, copy, false);
	if (cut)
		sb_adds(&sb, "...");
	unsigned i = c->show_next++ % ARRAY_SIZE(c->show);
	free(c->show[i]);
	c->show[i] = sb_detach(&sb, NULL);
	return c->show[i];
}

static const char *shows(struct ks_ctx *c, const char *s)
{
	return show(c, s, strlen(s));
}

/* ---- text: UTF-8, Python's whitespace and line breaks ---- */

/* Length of the UTF-8 sequence at p that Python's strict decoder accepts
 * (no overlongs, surrogates or code points past U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t need = p[0] >= 0xc2 && p[0] < 0xe0   ? 2
		      : p[0] >= 0xe0 && p[0] < 0xf0 ? 3
		      : p[0] >= 0xf0 && p[0] < 0xf5 ? 4
						    : 0;
	if (!need || n < need)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return need;
}

/* 1-based column (in characters) of byte offset off of line. */
static unsigned column(const char *line, size_t off)
{
	unsigned col = 1;
	for (size_t i = 0; i < off; i++)
		if (((unsigned char)line[i] & 0xc0) != 0x80)
			col++;
	return col;
}

/* Length of the character at p (before end) when Python's str.isspace()
 * holds for it, else 0. */
static size_t py_space(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = (size_t)(end - p);
	if (u[0] == ' ' || (u[0] >= '\t' && u[0] <= '\r') || (u[0] >= 0x1c && u[0] <= 0x1f))
		return 1;
	if (n >= 2 && u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80) /* U+1680 */
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] <= 0x8a || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
		return 3;				  /* U+2000..U+200A, U+2028, U+2029, U+202F */
	if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) /* U+205F */
		return 3;
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) /* U+3000 */
		return 3;
	return 0;
}

/* Length of the line break at p that str.splitlines() ends a line with,
 * or 0: \n, \r, \r\n, \v, \f, \x1c, \x1d, \x1e, U+0085, U+2028, U+2029. */
static size_t line_break(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = (size_t)(end - p);
	if (u[0] == '\r')
		return n >= 2 && u[1] == '\n' ? 2 : 1;
	if (u[0] == '\n' || u[0] == '\v' || u[0] == '\f' || (u[0] >= 0x1c && u[0] <= 0x1e))
		return 1;
	if (n >= 2 && u[0] == 0xc2 && u[1] == 0x85)
		return 2;
	if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9))
		return 3;
	return 0;
}

static const char *skip_py_space(const char *p, const char *end)
{
	size_t k;
	while (p < end && (k = py_space(p, end)))
		p += k;
	return p;
}

/* parser.py _isBlankOrComment: only whitespace, or '#' after it. */
static bool blank_or_comment(const char *line, size_t len)
{
	const char *p = skip_py_space(line, line + len);
	return p == line + len || *p == '#';
}

/* The first word of line.split(), or NULL when there is none. */
static const char *first_word(const char *line, size_t len, size_t *wlen)
{
	const char *end = line + len, *p = skip_py_space(line, end), *q = p;
	while (q < end && !py_space(q, end))
		q++;
	*wlen = (size_t)(q - p);
	return p < end ? p : NULL;
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return w && strlen(s) == n && memcmp(w, s, n) == 0;
}

/* ---- shlex.split ---- */

struct ks_tok {
	char *s;
	unsigned col;
};

struct ks_toks {
	struct ks_tok *v;
	size_t n, alloc;
	unsigned cut_col; /* a '#' that ended a word and began a comment */
};

static void toks_free(struct ks_toks *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].s);
	free(t->v);
	*t = (struct ks_toks){0};
}

static void toks_push(struct ks_toks *t, struct strbuf *sb, unsigned col)
{
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 8;
		t->v = realloc(t->v, t->alloc * sizeof(*t->v));
		if (!t->v)
			abort();
	}
	t->v[t->n++] = (struct ks_tok){.s = sb_detach(sb, NULL), .col = col};
	sb_init(sb);
}

/* Split a line (with its line break) as shlex.split(line, comments) does in
 * POSIX mode: whitespace is " \t\r\n", '...' literal, "..." with \" and \\,
 * \ escapes outside quotes, and with comments a '#' outside quotes ends the
 * line even inside a word. Returns 0, or -EINVAL with *why and *why_col. */
static int ks_split(const char *line, size_t len, bool comments, struct ks_toks *t, const char **why,
		    unsigned *why_col)
{
	enum { S_SPACE, S_WORD, S_SQUOTE, S_DQUOTE, S_ESCAPE } state = S_SPACE, escaped_from = S_WORD;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	bool quoted = false;
	size_t start = 0, quote_at = 0;
	int r = 0;
	*t = (struct ks_toks){0};
	for (size_t i = 0;; i++) {
		if (i == len) {
			if (state == S_WORD)
				toks_push(t, &sb, column(line, start));
			else if (state == S_SQUOTE || state == S_DQUOTE) {
				*why = "no closing quotation";
				*why_col = column(line, quote_at);
				r = -EINVAL;
			} else if (state == S_ESCAPE) {
				*why = "no escaped character after the last '\\'";
				*why_col = column(line, i - 1);
				r = -EINVAL;
			}
			break;
		}
		char ch = line[i];
		bool ws = ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
		switch (state) {
		case S_SPACE:
			if (ws)
				break;
			if (comments && ch == '#')
				goto done;
			start = i;
			quoted = false;
			if (ch == '\\') {
				escaped_from = S_WORD;
				state = S_ESCAPE;
			} else if (ch == '\'' || ch == '"') {
				quote_at = i;
				state = ch == '"' ? S_DQUOTE : S_SQUOTE;
			} else {
				sb_addc(&sb, ch);
				state = S_WORD;
			}
			break;
		case S_WORD:
			if (ws) {
				toks_push(t, &sb, column(line, start));
				state = S_SPACE;
			} else if (comments && ch == '#') {
				toks_push(t, &sb, column(line, start));
				t->cut_col = column(line, i);
				goto done;
			} else if (ch == '\'' || ch == '"') {
				quote_at = i;
				state = ch == '"' ? S_DQUOTE : S_SQUOTE;
			} else if (ch == '\\') {
				escaped_from = S_WORD;
				state = S_ESCAPE;
			} else
				sb_addc(&sb, ch);
			break;
		case S_SQUOTE:
			quoted = true;
			if (ch == '\'')
				state = S_WORD;
			else
				sb_addc(&sb, ch);
			break;
		case S_DQUOTE:
			quoted = true;
			if (ch == '"')
				state = S_WORD;
			else if (ch == '\\') {
				escaped_from = S_DQUOTE;
				state = S_ESCAPE;
			} else
				sb_addc(&sb, ch);
			break;
		case S_ESCAPE:
			if (escaped_from == S_DQUOTE && ch != '\\' && ch != '"')
				sb_addc(&sb, '\\');
			sb_addc(&sb, ch);
			state = escaped_from;
			break;
		}
	}
done:
	(void)quoted;
	sb_release(&sb);
	if (r < 0)
		toks_free(t);
	return r;
}

/* ---- did you mean ---- */

static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return UINT_MAX;
	unsigned row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Keep cand when it is the nearest so far, and near enough to be a typo. */
static void consider(const char *s, const char *cand, const char **best, unsigned *best_d)
{
	unsigned d = edit_distance(s, cand);
	size_t n = strlen(s);
	if (d <= 2 && 2 * d < n && d < *best_d) {
		*best = cand;
		*best_d = d;
	}
}

/* ---- argparse: options and positionals of one line ---- */

struct ks_given {
	bool present;
	const char *value; /* NULL: a flag, or an optional value left out */
	unsigned col;
};

struct ks_args {
	const struct ks_opt *opts;
	size_t nopts;
	struct ks_given *given;
	const struct ks_tok **pos; /* positional arguments */
	size_t npos;
	size_t ntoks; /* tokens after the command or section name */
};

static void args_free(struct ks_args *a)
{
	free(a->given);
	free(a->pos);
	*a = (struct ks_args){0};
}

static int opt_find(const struct ks_opt *opts, unsigned rel, const char *name, size_t n)
{
	for (size_t i = 0; opts && opts[i].name; i++)
		if ((opts[i].rel & rel) && strlen(opts[i].name) == n && memcmp(opts[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

static bool negative_number(const char *s)
{
	/* argparse's '^-\d+$|^-\d*\.\d+$' */
	const char *p = s + 1;
	size_t digits = strspn(p, "0123456789");
	if (digits && !p[digits])
		return true;
	p += digits;
	return *p == '.' && p[1] && strspn(p + 1, "0123456789") == strlen(p + 1);
}

static bool int_value(const char *v)
{
	/* Python int(): blanks around, a sign, digits with single '_' between */
	const char *p = v;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	while ((*p >= '0' && *p <= '9') || (*p == '_' && p[1] >= '0' && p[1] <= '9'))
		p++;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	return *p == '\0';
}

static bool choice_value(const char *choices, const char *v, bool icase)
{
	size_t n = strlen(v);
	for (const char *p = choices; *p;) {
		size_t k = strcspn(p, " ");
		if (k == n && (icase ? strncasecmp(p, v, n) : strncmp(p, v, n)) == 0)
			return true;
		p += k;
		p += *p == ' ';
	}
	return false;
}

static char *choice_list(const char *choices)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	for (const char *p = choices; *p;) {
		size_t k = strcspn(p, " ");
		if (sb.len)
			sb_adds(&sb, ", ");
		sb_add(&sb, p, k);
		p += k;
		p += *p == ' ';
	}
	return sb_detach(&sb, NULL);
}

static void check_value(struct ks_ctx *c, unsigned line, const char *prog, const struct ks_opt *o,
			const char *v, unsigned col)
{
	static const char *const bools[] = {"on", "yes", "true", "1", "off", "no", "false", "0"};
	switch (o->type) {
	case T_INT:
		if (!int_value(v))
			ERR(c, line, col, "%s: %s needs a whole number, not '%s'", prog, o->name,
			    shows(c, v));
		break;
	case T_BOOL:
		for (size_t i = 0; i < ARRAY_SIZE(bools); i++)
			if (strcasecmp(v, bools[i]) == 0)
				return;
		ERR(c, line, col, "%s: %s needs on/off, yes/no, true/false or 1/0, not '%s'", prog, o->name,
		    shows(c, v));
		break;
	case T_CHOICE:
	case T_ICHOICE:
		if (!choice_value(o->choices, v, o->type == T_ICHOICE)) {
			_cleanup_free_ char *list = choice_list(o->choices);
			ERR(c, line, col, "%s: %s must be one of %s, not '%s'", prog, o->name, list,
			    shows(c, v));
		}
		break;
	case T_STR:
	case T_LIST:
		break;
	}
}

/* An option argparse cannot match: say why, with a near name when there is one. */
static void unknown_option(struct ks_ctx *c, unsigned line, const char *prog, const struct ks_opt *opts,
			   const char *name, size_t n, unsigned col)
{
	_cleanup_free_ char *s = strndup(name, n);
	if (!s)
		abort();
	unsigned other = c->rel == R8 ? R9 : R8;
	int i = opt_find(opts, other, name, n);
	if (i >= 0 && c->rel == R8) {
		ERR(c, line, col, "%s: unknown option '%s' in a %s kickstart (new in %s)", prog, shows(c, s),
		    c->relname, c->othername);
		return;
	}
	if (i >= 0) {
		ERR(c, line, col, "%s: unknown option '%s' in a %s kickstart (removed after %s%s)", prog,
		    shows(c, s), c->relname, c->othername,
		    (opts[i].flags & DEPRECATED) ? ", which ignored it" : "");
		return;
	}
	const char *best = NULL;
	unsigned best_d = UINT_MAX;
	for (size_t k = 0; opts && opts[k].name; k++)
		if (opts[k].rel & c->rel)
			consider(s, opts[k].name, &best, &best_d);
	if (best)
		ERR(c, line, col, "%s: unknown option '%s' (did you mean %s?)", prog, shows(c, s), best);
	else
		ERR(c, line, col, "%s: unknown option '%s'", prog, shows(c, s));
}

enum ks_class { K_ARG, K_OPT, K_BAD, K_DASHDASH };

/* argparse _parse_optional: is the token a positional, an option (and which,
 * with "=value"), or an unknown or ambiguous one (reported here)? */
static enum ks_class classify(struct ks_ctx *c, unsigned line, const char *prog, const struct ks_opt *opts,
			      const struct ks_tok *t, int *opt, const char **value)
{
	const char *s = t->s;
	size_t n = strlen(s);
	*value = NULL;
	if (s[0] != '-')
		return K_ARG;
	if ((*opt = opt_find(opts, c->rel, s, n)) >= 0)
		return K_OPT;
	if (n == 1)
		return K_ARG;
	const char *eq = strchr(s, '=');
	size_t name_len = eq ? (size_t)(eq - s) : n;
	if (eq && (*opt = opt_find(opts, c->rel, s, name_len)) >= 0) {
		*value = eq + 1;
		return K_OPT;
	}
	if (s[1] == '-') {
		/* abbreviations: every option string the prefix starts */
		unsigned matches = 0;
		struct strbuf sb = STRBUF_INIT;
		sb_init(&sb);
		for (size_t i = 0; opts && opts[i].name; i++) {
			if (!(opts[i].rel & c->rel) || strncmp(opts[i].name, s, name_len) != 0)
				continue;
			if (matches++)
				sb_adds(&sb, ", ");
			sb_adds(&sb, opts[i].name);
			*opt = (int)i;
		}
		if (matches == 1) {
			sb_release(&sb);
			*value = eq ? eq + 1 : NULL;
			return K_OPT;
		}
		if (matches > 1) {
			ERR(c, line, t->col, "%s: ambiguous option '%s' could be %s", prog,
			    show(c, s, name_len), sb_str(&sb));
			sb_release(&sb);
			return K_BAD;
		}
		sb_release(&sb);
	}
	if (negative_number(s) || strchr(s, ' '))
		return K_ARG;
	unknown_option(c, line, prog, opts, s, name_len, t->col);
	return K_BAD;
}

/* Parse toks[first..] with the option table, as KSOptionParser.parse_args:
 * values, flags, types, deprecated and required options; the positional
 * arguments are left in a->pos (positionals: the command has some, which
 * is where argparse drops a "--"). */
static void parse_args(struct ks_ctx *c, unsigned line, const char *prog, const struct ks_opt *opts,
		       const struct ks_toks *toks, size_t first, bool positionals, struct ks_args *a)
{
	*a = (struct ks_args){.opts = opts};
	while (opts && opts[a->nopts].name)
		a->nopts++;
	a->given = xcalloc(a->nopts + 1, sizeof(*a->given));
	a->pos = xcalloc(toks->n + 1, sizeof(*a->pos));
	a->ntoks = toks->n > first ? toks->n - first : 0;

	size_t n = toks->n;
	enum ks_class *kind = xcalloc(n + 1, sizeof(*kind));
	int *opt = xcalloc(n + 1, sizeof(*opt));
	const char **value = xcalloc(n + 1, sizeof(*value));
	bool dashdash = false;
	for (size_t i = first; i < n; i++) {
		if (dashdash) {
			kind[i] = K_ARG;
		} else if (strcmp(toks->v[i].s, "--") == 0) {
			dashdash = true;
			kind[i] = K_DASHDASH;
		} else
			kind[i] = classify(c, line, prog, opts, &toks->v[i], &opt[i], &value[i]);
	}
	bool after_positional = false;
	for (size_t i = first; i < n; i++) {
		const struct ks_tok *t = &toks->v[i];
		if (kind[i] == K_DASHDASH) {
			/* argparse drops it from the arguments a positional takes: the
			 * first ones, a run it ends, or what follows it; else it is left over */
			if (!positionals || (a->npos && !after_positional && i + 1 == n))
				a->pos[a->npos++] = t;
			continue;
		}
		after_positional = kind[i] == K_ARG;
		if (kind[i] == K_ARG) {
			a->pos[a->npos++] = t;
			continue;
		}
		if (kind[i] != K_OPT)
			continue;
		const struct ks_opt *o = &opts[opt[i]];
		struct ks_given *g = &a->given[opt[i]];
		const char *v = value[i];
		if (o->arg == ARG_FLAG && v) {
			ERR(c, line, t->col, "%s: %s takes no value (got '%s=%s')", prog, o->name, o->name,
			    shows(c, v));
			continue;
		}
		if (o->arg != ARG_FLAG && !v && i + 1 < n && kind[i + 1] == K_ARG) {
			v = toks->v[i + 1].s;
			kind[++i] = K_BAD; /* consumed */
		}
		if (o->arg == ARG_VALUE && !v) {
			ERR(c, line, t->col, "%s: %s needs a value", prog, o->name);
			continue;
		}
		if (v)
			check_value(c, line, prog, o, v, t->col);
		if (o->flags & DEPRECATED)
			WARN(c, line, t->col, "%s: %s is deprecated in %s and has no effect", prog, o->name,
			     c->relname);
		*g = (struct ks_given){.present = true, .value = v, .col = t->col};
	}
	for (size_t k = 0; k < a->nopts; k++)
		if ((opts[k].flags & REQUIRED) && (opts[k].rel & c->rel) && !a->given[k].present)
			ERR(c, line, 0, "%s: missing the required option %s", prog, opts[k].name);
	free(kind);
	free(opt);
	free(value);
}

/* Is the option given with a value Python takes as true (for parse()'s
 * checks: an empty string or an empty commaSplit list is not)? */
static bool given(const struct ks_args *a, unsigned rel, const char *name)
{
	if (strcmp(name, "ARG") == 0)
		return a->npos >= 1;
	if (strcmp(name, "ARG2") == 0)
		return a->npos >= 2;
	int i = opt_find(a->opts, rel, name, strlen(name));
	if (i < 0 || !a->given[i].present)
		return false;
	const char *v = a->given[i].value;
	if (a->opts[i].arg == ARG_FLAG || (a->opts[i].arg == ARG_OPTIONAL && !v))
		return true;
	if (a->opts[i].type == T_LIST)
		return v[strspn(v, ", \t\n\r\v\f")] != '\0';
	return *v != '\0';
}

static const char *option_value(const struct ks_args *a, unsigned rel, const char *name)
{
	int i = opt_find(a->opts, rel, name, strlen(name));
	return i >= 0 && a->given[i].present ? a->given[i].value : NULL;
}

static char *names_list(const char *const *names, const char *pos_name, const char *last)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	size_t n = 0;
	while (n < 7 && names[n])
		n++;
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_adds(&sb, i + 1 == n ? last : ", ");
		bool arg = strcmp(names[i], "ARG") == 0 || strcmp(names[i], "ARG2") == 0;
		sb_adds(&sb, arg ? (pos_name ? pos_name : "an argument") : names[i]);
	}
	return sb_detach(&sb, NULL);
}

static bool is_btrfs(const struct ks_args *a, unsigned rel, const char *name)
{
	if (strcmp(name, "ARG") == 0)
		return a->npos && str_startswith(a->pos[0]->s, "btrfs.");
	const char *v = option_value(a, rel, name);
	return v && strcasecmp(v, "btrfs") == 0;
}

/* What parse() checks once argparse is done (the rules of the row). */
static void check_rules(struct ks_ctx *c, unsigned line, const char *prog, const struct ks_rule *rules,
			const struct ks_args *a, const char *pos_name)
{
	for (const struct ks_rule *r = rules; r && r->rel; r++) {
		if (!(r->rel & c->rel))
			continue;
		unsigned count = 0, named = 0;
		for (; named < 7 && r->names[named]; named++)
			count += given(a, c->rel, r->names[named]);
		_cleanup_free_ char *either = names_list(r->names, pos_name, " or ");
		_cleanup_free_ char *both = names_list(r->names, pos_name, " and ");
		_cleanup_free_ char *needed = named > 1 ? names_list(r->names + 1, pos_name, " or ") : NULL;
		switch (r->kind) {
		case RULE_ONE_OF:
			if (count == 0 && r->text)
				ERR(c, line, 0, "%s: %s", prog, r->text);
			else if (count == 0)
				ERR(c, line, 0, "%s: one of %s must be given", prog, either);
			if (count > 1)
				ERR(c, line, 0, "%s: only one of %s may be given", prog, either);
			break;
		case RULE_ANY_OF:
			if (count == 0 && r->text)
				ERR(c, line, 0, "%s: %s", prog, r->text);
			else if (count == 0)
				ERR(c, line, 0, "%s: one of %s must be given", prog, either);
			break;
		case RULE_AT_MOST_ONE:
			if (count > 1 && r->text)
				ERR(c, line, 0, "%s: %s", prog, r->text);
			else if (count > 1)
				ERR(c, line, 0, "%s: %s cannot be used together", prog, both);
			break;
		case RULE_REQUIRES: {
			bool have = false;
			for (size_t i = 1; i < named; i++)
				have = have || given(a, c->rel, r->names[i]);
			if (given(a, c->rel, r->names[0]) && !have)
				ERR(c, line, 0, "%s: %s requires %s", prog, r->names[0],
				    needed ? needed : "");
			break;
		}
		case RULE_FORBID:
			if (given(a, c->rel, r->names[0]))
				ERR(c, line, 0, "%s: %s", prog, r->text);
			break;
		case RULE_NOT_BTRFS: {
			bool btrfs = false;
			for (size_t i = 0; i < named; i++)
				btrfs = btrfs || is_btrfs(a, c->rel, r->names[i]);
			if (btrfs)
				ERR(c, line, 0, "%s: %s (not in %s)", prog, r->text, c->relname);
			break;
		}
		case RULE_NOT_EMPTY:
			if (a->ntoks == 0)
				ERR(c, line, 0, "%s: %s", prog, r->text);
			break;
		case RULE_MOUNT_POINT:
			if (a->npos >= 2 && strcasecmp(a->pos[1]->s, "none") != 0 && a->pos[1]->s[0] != '/')
				ERR(c, line, a->pos[1]->col,
				    "%s: invalid mount point '%s' (absolute, or none)", prog,
				    shows(c, a->pos[1]->s));
			break;
		case RULE_WARN_USE: {
			int i = opt_find(a->opts, c->rel, r->names[0], strlen(r->names[0]));
			if (i >= 0 && a->given[i].present)
				WARN(c, line, a->given[i].col, "%s: %s", prog, r->text);
			break;
		}
		case RULE_WARN:
			WARN(c, line, 0, "%s: %s", prog, r->text);
			break;
		case RULE_ALL_OR_NONE:
			if (count && count < named)
				ERR(c, line, 0, "%s: %s", prog, r->text);
			break;
		case RULE_ONE_GIVEN: {
			unsigned present = 0;
			for (size_t i = 0; i < named; i++) {
				int k = opt_find(a->opts, c->rel, r->names[i], strlen(r->names[i]));
				present += k >= 0 && a->given[k].present;
			}
			if (present != 1)
				ERR(c, line, 0, "%s: %s of %s must be given", prog,
				    present ? "only one" : "one", either);
			break;
		}
		case RULE_INT_RANGE: {
			const char *v = option_value(a, c->rel, r->names[0]);
			if (!v || !int_value(v))
				break;
			long long n = strtoll(v, NULL, 10), lo = atoll(r->names[1]);
			bool has_hi = r->names[2][0] != '\0';
			if (strchr(v, '_') == NULL && (n < lo || (has_hi && n > atoll(r->names[2])))) {
				if (has_hi)
					ERR(c, line, 0, "%s: %s must be between %s and %s", prog, r->names[0],
					    r->names[1], r->names[2]);
				else
					ERR(c, line, 0, "%s: %s must be at least %s", prog, r->names[0],
					    r->names[1]);
			}
			break;
		}
		case RULE_NO_COMMA: {
			const char *v = option_value(a, c->rel, r->names[0]);
			if (v && strchr(v, ','))
				ERR(c, line, 0, "%s: %s", prog, r->text);
			break;
		}
		case RULE_ARG_CHOICE:
			if (a->npos && !choice_value(r->text, a->pos[0]->s, false)) {
				_cleanup_free_ char *list = choice_list(r->text);
				ERR(c, line, a->pos[0]->col, "%s: the %s must be one of %s, not '%s'", prog,
				    pos_name ? pos_name : "argument", list, shows(c, a->pos[0]->s));
			}
			break;
		}
	}
}

/* ---- commands ---- */

static int command_find(const char *name, unsigned rel)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if ((commands[i].rel & rel) && strcmp(commands[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The first row of the KickstartCommand object that row i shares. */
static size_t object_of(size_t i)
{
	if (!commands[i].object)
		return i;
	for (size_t j = 0; j < ARRAY_SIZE(commands); j++)
		if (commands[j].object && strcmp(commands[j].object, commands[i].object) == 0)
			return j;
	return i;
}

static void unknown_command(struct ks_ctx *c, unsigned line, unsigned col, const char *name)
{
	if (command_find(name, c->rel == R8 ? R9 : R8) >= 0) {
		ERR(c, line, col, "unknown command '%s' in a %s kickstart (new in %s)", shows(c, name),
		    c->relname, c->othername);
		return;
	}
	const char *best = NULL;
	unsigned best_d = UINT_MAX;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if ((commands[i].rel & c->rel) && !(commands[i].removed & c->rel))
			consider(name, commands[i].name, &best, &best_d);
	if (best)
		ERR(c, line, col, "unknown command '%s' (did you mean '%s'?)", shows(c, name), best);
	else
		ERR(c, line, col, "unknown command '%s' in a %s kickstart", shows(c, name), c->relname);
}

/* mountpoint(): os.path.normpath for absolute paths (enough of it). */
static void normalize_path(char *s)
{
	if (s[0] != '/')
		return;
	char *w = s;
	for (const char *r = s; *r; r++)
		if (*r != '/' || w == s || w[-1] != '/')
			*w++ = *r;
	if (w > s + 1 && w[-1] == '/')
		w--;
	*w = '\0';
}

/* The data list commands warn when an item comes again ("A user with the
 * name %s has already been defined."): the key is what their __eq__ compares. */
static void check_repeat(struct ks_ctx *c, unsigned line, size_t obj, const struct ks_command *cmd,
			 const struct ks_args *a)
{
	if (!cmd->dup_key)
		return;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	const char *missing = NULL;
	for (const char *p = cmd->dup_key; *p;) {
		size_t k = strcspn(p, " ");
		_cleanup_free_ char *name = strndup(p, k);
		if (!name)
			abort();
		const char *v;
		if (strcmp(name, "ARG") == 0) {
			if (!a->npos) {
				sb_release(&sb);
				return; /* already an error */
			}
			v = a->pos[0]->s;
		} else if (!(v = option_value(a, c->rel, name))) {
			int i = opt_find(cmd->opts, c->rel, name, strlen(name));
			if (i >= 0 && (cmd->opts[i].flags & REQUIRED)) {
				sb_release(&sb);
				return;
			}
			missing = cmd->dup_key;
			v = "";
		}
		if (sb.len)
			sb_addc(&sb, '/');
		sb_adds(&sb, v);
		p += k;
		p += *p == ' ';
	}
	char *key = sb_detach(&sb, NULL);
	normalize_path(key);
	if (obj == object_of((size_t)command_find("part", RB)) && strcmp(key, "swap") == 0) {
		free(key);
		return;
	}
	for (size_t i = 0; i < c->nitems; i++) {
		if (c->items[i].object != obj || strcmp(c->items[i].key, key) != 0)
			continue;
		if (missing && !*key)
			WARN(c, line, 0, "%s: %s without %s is already defined on line %u", cmd->name,
			     cmd->dup_what, missing, c->items[i].line);
		else
			WARN(c, line, 0, "%s: %s '%s' is already defined on line %u", cmd->name,
			     cmd->dup_what, shows(c, key), c->items[i].line);
		free(key);
		return;
	}
	if (c->nitems == c->aitems) {
		c->aitems = c->aitems ? 2 * c->aitems : 8;
		c->items = realloc(c->items, c->aitems * sizeof(*c->items));
		if (!c->items)
			abort();
	}
	c->items[c->nitems++] = (struct ks_item){.object = obj, .key = key, .line = line};
}

static void check_conflicts(struct ks_ctx *c, unsigned line, const struct ks_command *cmd)
{
	for (const char *p = cmd->conflicts; p && *p;) {
		size_t k = strcspn(p, " ");
		_cleanup_free_ char *name = strndup(p, k);
		if (!name)
			abort();
		int other = command_find(name, c->rel);
		if (other >= 0) {
			size_t o = object_of((size_t)other);
			if (c->seen_line[o])
				ERR(c, line, 0, "%s cannot be used together with %s (line %u)", cmd->name,
				    c->seen_name[o], c->seen_line[o]);
		}
		p += k;
		p += *p == ' ';
	}
}

static void check_positionals(struct ks_ctx *c, unsigned line, const char *prog, const struct ks_args *a,
			      unsigned min, unsigned max, const char *what)
{
	if (a->npos < min)
		ERR(c, line, 0, "%s: missing the %s", prog, what);
	bool secret = what && strstr(what, "password");
	for (size_t i = max; i < a->npos; i++)
		ERR(c, line, a->pos[i]->col, "%s: unexpected argument '%s'", prog,
		    secret ? "(not shown)" : shows(c, a->pos[i]->s));
}

/* commands/realm.py F19_Realm: shlex.split of the rest of the line (no
 * comments), "join", getopt.getopt long options (unique prefixes too), then
 * exactly one realm; a second join is an error. */
static void check_realm(struct ks_ctx *c, unsigned line, const char *text, size_t len)
{
	static const char *const longopts[] = {
	    "client-software=",	  "server-software=", "membership-software=",
	    "one-time-password=", "no-password",      "computer-ou="};
	struct ks_toks t;
	const char *why;
	unsigned wcol;
	if (ks_split(text, len, false, &t, &why, &wcol) < 0) {
		ERR(c, line, wcol, "realm: %s", why);
		return;
	}
	size_t i = 2;
	if (c->realm_join)
		ERR(c, line, 0, "realm: join may only be given once (line %u)", c->realm_join);
	if (t.n < 2) {
		ERR(c, line, 0, "realm: missing the realm command (realm join ...)");
		goto out;
	}
	if (strcmp(t.v[1].s, "join") != 0) {
		ERR(c, line, t.v[1].col, "realm: unsupported realm command '%s' (only join)",
		    shows(c, t.v[1].s));
		goto out;
	}
	bool bad = false; /* getopt raises at the first bad option */
	for (; !bad && i < t.n && t.v[i].s[0] == '-' && t.v[i].s[1]; i++) {
		const char *s = t.v[i].s;
		if (strcmp(s, "--") == 0) {
			i++;
			break;
		}
		bad = true;
		if (s[1] != '-') {
			ERR(c, line, t.v[i].col, "realm join: unknown option '%s'", show(c, s, 2));
			break;
		}
		const char *eq = strchr(s, '=');
		size_t n = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
		int hit = -1, matches = 0;
		for (size_t k = 0; k < ARRAY_SIZE(longopts); k++) {
			if (strncmp(longopts[k], s + 2, n) != 0)
				continue;
			hit = (int)k;
			if (strcspn(longopts[k], "=") == n) { /* exact */
				matches = 1;
				break;
			}
			matches++;
		}
		int name_len = (int)strcspn(longopts[hit < 0 ? 0 : hit], "=");
		bool has_arg = hit >= 0 && strchr(longopts[hit], '=') != NULL;
		if (matches != 1)
			ERR(c, line, t.v[i].col, "realm join: %s option '%s'",
			    matches ? "ambiguous" : "unknown", show(c, s, n + 2));
		else if (has_arg && !eq && i + 1 >= t.n)
			ERR(c, line, t.v[i].col, "realm join: --%.*s needs a value", name_len, longopts[hit]);
		else if (!has_arg && eq)
			ERR(c, line, t.v[i].col, "realm join: --%.*s takes no value", name_len,
			    longopts[hit]);
		else {
			bad = false;
			i += has_arg && !eq; /* the value is the next word, whatever it is */
		}
	}
	if (!bad && (i >= t.n || t.n - i != 1))
		ERR(c, line, 0, "realm join: give exactly one realm to join");
	else if (!bad && !c->realm_join)
		c->realm_join = line;
out:
	toks_free(&t);
}

static void check_command(struct ks_ctx *c, unsigned line, const struct ks_toks *t, const char *text,
			  size_t len)
{
	const char *name = t->v[0].s;
	unsigned col = t->v[0].col;
	int k = command_find(name, c->rel);
	if (k < 0) {
		unknown_command(c, line, col, name);
		return;
	}
	const struct ks_command *cmd = &commands[k];
	size_t obj = object_of((size_t)k);
	if (cmd->removed & c->rel) {
		ERR(c, line, col, "command '%s' was removed in %s (%s took it as deprecated and ignored it)",
		    name, c->relname, c->othername);
		return;
	}
	check_conflicts(c, line, cmd);
	/* a second line of a one-object command sets the same object again */
	if (!cmd->multi && !(cmd->deprecated & c->rel) && !(cmd->flags & CMD_REALM) && c->seen_line[obj]) {
		if (strcmp(c->seen_name[obj], name) == 0)
			WARN(c, line, col,
			     "'%s' given again (first on line %u): the later line overrides the earlier one",
			     name, c->seen_line[obj]);
		else
			WARN(c, line, col,
			     "'%s' overrides '%s' on line %u: both set one setting, the later line wins",
			     name, c->seen_name[obj], c->seen_line[obj]);
	}
	if (!c->seen_line[obj]) {
		c->seen_line[obj] = line;
		c->seen_name[obj] = cmd->name;
	}
	if (cmd->no_parser & c->rel) {
		ERR(c, line, col,
		    "'%s' cannot be used in a %s kickstart: pykickstart has no parser for it (a TypeError); "
		    "name the source with cdrom, harddrive, nfs, url, liveimg or hmc",
		    name, c->relname);
		return;
	}
	if (cmd->deprecated & c->rel) {
		WARN(c, line, col, "command '%s' is deprecated in %s and has no effect", name, c->relname);
		return;
	}
	if (cmd->flags & CMD_REALM) {
		check_realm(c, line, text, len);
		return;
	}
	struct ks_args a = {0};
	if (!(cmd->flags & CMD_RAW)) {
		parse_args(c, line, name, cmd->opts, t, 1, cmd->pos_max > 0, &a);
		check_positionals(c, line, name, &a, cmd->pos_min, cmd->pos_max, cmd->pos_name);
	}
	check_rules(c, line, name, cmd->rules, &a, cmd->pos_name);
	if (cmd->multi && !(cmd->flags & CMD_RAW))
		check_repeat(c, line, obj, cmd, &a);
	args_free(&a);
}

/* ---- sections ---- */

static const struct ks_section unknown_section = {NULL, BODY_NULL, NULL, NULL, 0};

static const struct ks_section *section_find(const char *name, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (word_is(name, n, sections[i].name))
			return &sections[i];
	return NULL;
}

static void check_addon(struct ks_ctx *c, unsigned line, const struct ks_toks *t)
{
	if (t->n < 2) {
		ERR(c, line, t->v[0].col, "%%addon needs the name of an add-on");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(addons); i++) {
		if (strcmp(t->v[1].s, addons[i].name) != 0)
			continue;
		if (addons[i].opts) {
			_cleanup_free_ char *prog = NULL;
			if (asprintf(&prog, "%%addon %s", addons[i].name) < 0)
				abort();
			struct ks_args a;
			parse_args(c, line, prog, addons[i].opts, t, 2, false, &a);
			check_positionals(c, line, prog, &a, 0, 0, NULL);
			args_free(&a);
		}
		return;
	}
	WARN(c, line, t->v[1].col,
	     "%%addon %s: not an add-on of the RHEL install media (com_redhat_kdump, org_fedora_oscap, "
	     "com_redhat_oscap); anaconda refuses a name no installed add-on registered",
	     shows(c, t->v[1].s));
}

static void open_section(struct ks_ctx *c, unsigned line, const struct ks_toks *t)
{
	const char *name = t->v[0].s;
	const struct ks_section *s = section_find(name, strlen(name));
	c->sec_name = xstrdup(name);
	c->sec_line = line;
	c->sec_false_end = 0;
	c->sec_has_text = false;
	if (!s) {
		const char *best = NULL;
		unsigned best_d = UINT_MAX;
		for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
			consider(name, sections[i].name, &best, &best_d);
		if (best)
			ERR(c, line, t->v[0].col, "unknown section '%s' (did you mean %s?)", shows(c, name),
			    best);
		else
			ERR(c, line, t->v[0].col, "unknown section '%s'", shows(c, name));
		c->sec = &unknown_section;
		return;
	}
	c->sec = s;
	if (s->deprecated & c->rel)
		WARN(c, line, t->v[0].col, "%s is deprecated in %s: use %%onerror", name, c->relname);
	if (s->body == BODY_ADDON) {
		check_addon(c, line, t);
		return;
	}
	if (s->body == BODY_NULL)
		return;
	if (s->body == BODY_CERT)
		WARN(c, line, t->v[0].col,
		     "%%certificate came with pykickstart 3.61 (January 2025): the installer of an older %s "
		     "medium "
		     "does not know it",
		     c->relname);
	struct ks_args a;
	parse_args(c, line, name, s->opts, t, 1, false, &a);
	check_positionals(c, line, name, &a, 0, 0, NULL);
	check_rules(c, line, name, s->rules, &a, NULL);
	args_free(&a);
}

static void close_section(struct ks_ctx *c)
{
	if (c->sec && c->sec->body == BODY_CERT && !c->sec_has_text)
		ERR(c, c->sec_line, 0, "%%certificate: the section is empty");
	free(c->sec_name);
	c->sec_name = NULL;
	c->sec = NULL;
}

/* "Section %s does not end with %%end.": told at the line that opens it. */
static void unterminated(struct ks_ctx *c, unsigned line, const char *next)
{
	struct strbuf hint = STRBUF_INIT;
	sb_init(&hint);
	if (c->sec_false_end)
		sb_addf(&hint, "; line %u does not end it: %%end must be a word of its own",
			c->sec_false_end);
	if (next)
		ERR(c, c->sec_line, 0, "section %s does not end with %%end before line %u opens %s%s",
		    shows(c, c->sec_name), line, shows(c, next), sb_str(&hint));
	else
		ERR(c, c->sec_line, 0, "section %s does not end with %%end (the file ends at line %u)%s",
		    shows(c, c->sec_name), line, sb_str(&hint));
	sb_release(&hint);
	close_section(c);
}

static void check_include(struct ks_ctx *c, unsigned line, const struct ks_toks *t)
{
	if (t->n < 2 || !t->v[1].s[0])
		ERR(c, line, t->v[0].col, "%%include needs a file name");
	else
		WARN(c, line, t->v[1].col,
		     "%%include %s: the installer reads that file in its place; it is not checked here",
		     shows(c, t->v[1].s));
}

/* Python's str.rstrip(): the end of s..e without trailing whitespace. */
static const char *rstrip_py(const char *s, const char *e)
{
	const char *last = s;
	size_t k;
	for (const char *p = s; p < e; p += k ? k : 1)
		if (!(k = py_space(p, e)))
			last = p + 1;
	while (last < e && ((unsigned char)*last & 0xc0) == 0x80)
		last++;
	return last;
}

/* parser.py Packages.add for one line of %packages. */
static void packages_line(struct ks_ctx *c, unsigned line, const char *text, size_t len)
{
	const char *end = memchr(text, '#', len);
	if (!end)
		end = text + len;
	const char *s = skip_py_space(text, end), *e = rstrip_py(s, end);
	if (s == e)
		return;
	if (e - s == 1 && *s == '-') {
		ERR(c, line, column(text, (size_t)(s - text)),
		    "%%packages: '-' without a name (pykickstart fails on it)");
		return;
	}
	if (*s != '@' || (e - s >= 2 && s[1] == '^'))
		return;
	/* "@group --nodefaults|--optional": Packages._processGroup, parse_known_args */
	bool nodefaults = false, optional = false;
	for (const char *p = skip_py_space(s + 1, e); p < e; p = skip_py_space(p, e)) {
		const char *q = p;
		while (q < e && !py_space(q, e))
			q++;
		size_t n = (size_t)(q - p);
		if (n == 2 && p[0] == '-' && p[1] == '-')
			break;
		if (n > 2 && p[0] == '-' && p[1] == '-') {
			const char *eq = memchr(p, '=', n);
			size_t name_len = eq ? (size_t)(eq - p) : n;
			int hit = -1;
			for (int i = 0; opts_group_line[i].name; i++)
				if (strncmp(opts_group_line[i].name, p, name_len) == 0)
					hit = hit < 0 ? i : INT_MAX;
			if (hit == INT_MAX || hit < 0)
				eq = NULL; /* unknown: part of the group name */
			else if (strcmp(opts_group_line[hit].name, "--nodefaults") == 0)
				nodefaults = true;
			else
				optional = true;
			if (eq)
				ERR(c, line, column(text, (size_t)(p - text)),
				    "%%packages: %s takes no value", opts_group_line[hit].name);
		}
		p = q;
	}
	if (nodefaults && optional)
		ERR(c, line, column(text, (size_t)(s - text)),
		    "%%packages: a group cannot have both --nodefaults and --optional");
}

/* A line inside a section (parser.py _readSection). */
static void command_line(struct ks_ctx *c, unsigned line, const char *text, size_t len);

static void section_line(struct ks_ctx *c, unsigned line, const char *text, size_t len)
{
	if (c->sec->body == BODY_PACKAGES && blank_or_comment(text, len))
		return;
	size_t wl;
	const char *w = first_word(text, len, &wl);
	if (w && *w == '%') {
		if (word_is(w, wl, "%end") || word_is(w, wl, "%include") || section_find(w, wl)) {
			struct ks_toks t;
			const char *why;
			unsigned wcol;
			if (ks_split(text, len, false, &t, &why, &wcol) < 0) {
				ERR(c, line, wcol, "%s: pykickstart cannot split this line", why);
				return;
			}
			if (t.n && strcmp(t.v[0].s, "%end") == 0)
				close_section(c);
			else if (t.n && strcmp(t.v[0].s, "%include") == 0)
				check_include(c, line, &t);
			else if (t.n && section_find(t.v[0].s, strlen(t.v[0].s))) {
				unterminated(c, line, t.v[0].s);
				command_line(c, line, text, len);
			}
			toks_free(&t);
			return;
		}
		if (wl >= 4 && strncasecmp(w, "%end", 4) == 0 && !c->sec_false_end)
			c->sec_false_end = line;
	}
	if (w)
		c->sec_has_text = true;
	if (c->sec->body == BODY_PACKAGES)
		packages_line(c, line, text, len);
}

/* A line of the command part (parser.py _stateMachine). */
static void command_line(struct ks_ctx *c, unsigned line, const char *text, size_t len)
{
	if (blank_or_comment(text, len))
		return;
	struct ks_toks t;
	const char *why;
	unsigned wcol;
	if (ks_split(text, len, true, &t, &why, &wcol) < 0) {
		ERR(c, line, wcol, "%s: pykickstart cannot split this line", why);
		return;
	}
	if (t.cut_col)
		WARN(c, line, t.cut_col,
		     "'#' inside a word starts a comment: the rest of the line is ignored (quote it)");
	if (t.n == 0) {
		toks_free(&t);
		return;
	}
	const char *name = t.v[0].s;
	if (strcmp(name, "%include") == 0)
		check_include(c, line, &t);
	else if (strcmp(name, "%end") == 0)
		ERR(c, line, t.v[0].col, "%%end outside a section (pykickstart: unknown section %%end)");
	else if (name[0] == '%')
		open_section(c, line, &t);
	else if (!name[0])
		ERR(c, line, t.v[0].col, "empty command name");
	else
		check_command(c, line, &t, text, len);
	toks_free(&t);
}

/* parser.py _preprocessStateMachine: a line that strips to "%ksappend URL"
 * is replaced by what URL holds, before parsing, wherever it is. */
static bool ksappend_line(struct ks_ctx *c, unsigned line, const char *text, size_t len)
{
	const char *end = text + len, *s = skip_py_space(text, end);
	if ((size_t)(end - s) < 9 || memcmp(s, "%ksappend", 9) != 0)
		return false;
	const char *e = rstrip_py(s, end);
	const char *sp = memchr(s, ' ', (size_t)(e - s));
	const char *url = sp ? sp + 1 : NULL;
	const char *url_end = url ? memchr(url, ' ', (size_t)(e - url)) : NULL;
	if (url && !url_end)
		url_end = e;
	if (!url || url == url_end)
		ERR(c, line, column(text, (size_t)(s - text)), "%%ksappend needs a URL");
	else
		WARN(
		    c, line, column(text, (size_t)(url - text)),
		    "%%ksappend %s: the installer puts that file here before parsing; it is not checked here",
		    show(c, url, (size_t)(url_end - url)));
	return true;
}

/* Python decodes the file as strict UTF-8; a NUL is hnbuild's own refusal. */
static bool line_text_ok(struct ks_ctx *c, unsigned line, const char *text, size_t len)
{
	bool ok = true, nul = false;
	for (size_t i = 0; i < len;) {
		if (text[i] == '\0') {
			if (!nul)
				ERR(c, line, column(text, i),
				    "NUL byte: not a kickstart text file (hnbuild refuses it; pykickstart "
				    "would take it as a "
				    "character)");
			nul = true;
			ok = false;
			i++;
			continue;
		}
		size_t k = utf8_seq((const unsigned char *)text + i, len - i);
		if (!k) {
			ERR(c, line, column(text, i),
			    "not UTF-8 (byte 0x%02x): pykickstart decodes the file as UTF-8 and refuses it",
			    (unsigned char)text[i]);
			return false;
		}
		i += k;
	}
	return ok;
}

int kickstart_check(const char *file, const char *text, size_t len, enum os_id os, struct doc_check *out)
{
	if (os != OS_RHEL8 && os != OS_RHEL9)
		return -EINVAL;
	struct ks_ctx c = {
	    .file = file ? file : "kickstart",
	    .rel = os == OS_RHEL8 ? R8 : R9,
	    .relname = os == OS_RHEL8 ? "RHEL 8" : "RHEL 9",
	    .othername = os == OS_RHEL8 ? "RHEL 9" : "RHEL 8",
	    .out = out,
	};
	const char *p = text ? text : "", *end = p + (text ? len : 0);
	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		ERR(&c, 1, 1,
		    "the file starts with a UTF-8 byte order mark: pykickstart reads it as part of the first "
		    "line (remove it)");
		p += 3;
	}
	unsigned line = 0;
	while (p < end) {
		const char *q = p;
		size_t br = 0;
		while (q < end && !(br = line_break(q, end)))
			q++;
		size_t n = (size_t)(q - p) + br; /* Python keeps the line break */
		line++;
		if (line_text_ok(&c, line, p, n) && !ksappend_line(&c, line, p, n)) {
			if (c.sec)
				section_line(&c, line, p, n);
			else
				command_line(&c, line, p, n);
		}
		p = q + br;
	}
	if (c.sec)
		unterminated(&c, line, NULL);
	for (size_t i = 0; i < c.nitems; i++)
		free(c.items[i].key);
	free(c.items);
	for (size_t i = 0; i < ARRAY_SIZE(c.show); i++)
		free(c.show[i]);
	return 0;
}
