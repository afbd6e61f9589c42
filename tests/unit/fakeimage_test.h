/* fakeimage_test.h — a small "installed system" disk for the generalize,
 * hygiene and inspect tests, made with libguestfs (TCG): one MBR partition,
 * ext4, and the files an Ubuntu 24.04 build VM leaves behind after the
 * install and provision boots (build user with the build key, machine-id,
 * host keys, cloud-init state, installer copies, registrations, histories
 * and logs with a canary secret, caches), plus what must survive (another
 * user, proxy drop-ins, the nodeadm tracker). Used from main(), before
 * check forks: no libguestfs handle may be open while tests run. */
#pragma once

#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define FAKE_CANARY "CANARY-SECRET-7f3a9c"
#define FAKE_BUILD_KEY                                                                                       \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeBuildKeyForTestsOnly0123456789abcdef hnbuild-build"
#define FAKE_OPS_KEY                                                                                         \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOpsKeyStaysInTheImage0123456789abcdefgh ops@example"
#define FAKE_MACHINE_ID "0123456789abcdef0123456789abcdef\n"

#define FAKE_PASSWD                                                                                          \
	"root:x:0:0:root:/root:/bin/bash\n"                                                                  \
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"                                                  \
	"ops:x:1000:1000:Ops:/home/ops:/bin/bash\n"                                                          \
	"hnbuild:x:1001:1001:hnbuild build user:/home/hnbuild:/bin/bash\n"                                   \
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
#define FAKE_PASSWD_AFTER                                                                                    \
	"root:x:0:0:root:/root:/bin/bash\n"                                                                  \
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"                                                  \
	"ops:x:1000:1000:Ops:/home/ops:/bin/bash\n"                                                          \
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
#define FAKE_SHADOW                                                                                          \
	"root:*:19700:0:99999:7:::\n"                                                                        \
	"daemon:*:19700:0:99999:7:::\n"                                                                      \
	"ops:!:19700:0:99999:7:::\n"                                                                         \
	"hnbuild:$6$saltsaltsaltsalt$hashhashhashhashhashhashhashhash:19700:0:99999:7:::\n"                  \
	"nobody:*:19700:0:99999:7:::\n"
#define FAKE_SHADOW_AFTER                                                                                    \
	"root:*:19700:0:99999:7:::\n"                                                                        \
	"daemon:*:19700:0:99999:7:::\n"                                                                      \
	"ops:!:19700:0:99999:7:::\n"                                                                         \
	"nobody:*:19700:0:99999:7:::\n"
#define FAKE_GROUP                                                                                           \
	"root:x:0:\n"                                                                                        \
	"sudo:x:27:ops,hnbuild\n"                                                                            \
	"users:x:100:hnbuild\n"                                                                              \
	"adm:x:4:hnbuild,ops,syslog\n"                                                                       \
	"ops:x:1000:\n"                                                                                      \
	"hnbuild:x:1001:\n"                                                                                  \
	"hnbuilders:x:1002:hnbuildx\n"
#define FAKE_GROUP_AFTER                                                                                     \
	"root:x:0:\n"                                                                                        \
	"sudo:x:27:ops\n"                                                                                    \
	"users:x:100:\n"                                                                                     \
	"adm:x:4:ops,syslog\n"                                                                               \
	"ops:x:1000:\n"                                                                                      \
	"hnbuilders:x:1002:hnbuildx\n"
#define FAKE_GSHADOW                                                                                         \
	"root:*::\n"                                                                                         \
	"sudo:*:hnbuild:ops,hnbuild\n"                                                                       \
	"users:*::hnbuild\n"                                                                                 \
	"adm:*::hnbuild,ops,syslog\n"                                                                        \
	"ops:!::\n"                                                                                          \
	"hnbuild:!::\n"                                                                                      \
	"hnbuilders:!::hnbuildx\n"
#define FAKE_GSHADOW_AFTER                                                                                   \
	"root:*::\n"                                                                                         \
	"sudo:*::ops\n"                                                                                      \
	"users:*::\n"                                                                                        \
	"adm:*::ops,syslog\n"                                                                                \
	"ops:!::\n"                                                                                          \
	"hnbuilders:!::hnbuildx\n"
#define FAKE_SUBUID "ops:100000:65536\nhnbuild:165536:65536\n"
#define FAKE_SUBUID_AFTER "ops:100000:65536\n"
#define FAKE_SUDOERS_README "#\n# Files in /etc/sudoers.d are parsed in sorted lexical order.\n#\n"
#define FAKE_SUDOERS_OPS "ops ALL=(ALL) ALL\n"
#define FAKE_TRACKER                                                                                         \
	"ts=2024-11-01T10:00:00Z command=install kubernetes=1.31 credential_provider=ssm "                   \
	"containerd_source=distro region=us-west-2 timeout=20m manifest=none private_mode=false os=ubuntu "  \
	"version=v1.0.20-fixture\n"
#define FAKE_PROXY_DROPIN "[Service]\nEnvironment=\"HTTP_PROXY=http://proxy.example:3128\"\n"

static inline void fake_need(int ok, const char *what, guestfs_h *g)
{
	if (!ok) {
		fprintf(stderr, "fake image: %s failed: %s\n", what, g ? guestfs_last_error(g) : "");
		exit(2);
	}
}

static inline void fake_write(guestfs_h *g, const char *path, const char *text)
{
	char *dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	if (*dir)
		fake_need(guestfs_mkdir_p(g, dir) == 0, dir, g);
	free(dir);
	fake_need(guestfs_write(g, path, text, strlen(text)) == 0, path, g);
}

/* Run argv (no shell) outside check's assertions; its exit status. */
static inline int fake_run(char *const argv[])
{
	pid_t pid;
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline char *fake_mkdtemp(void)
{
	char *d = strdup("/var/tmp/hnbuild-fakeimage-XXXXXX");
	fake_need(mkdtemp(d) != NULL, "mkdtemp", NULL);
	return d;
}

static inline char *fake_path(const char *dir, const char *name)
{
	char *p = NULL;
	fake_need(asprintf(&p, "%s/%s", dir, name) >= 0, "asprintf", NULL);
	return p;
}

static inline guestfs_h *fake_handle(void)
{
	guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_CLOSE_ON_EXIT);
	fake_need(g != NULL, "guestfs_create", NULL);
	guestfs_set_error_handler(g, NULL, NULL);
	guestfs_set_backend(g, "direct");
	char *settings[] = {"force_tcg", NULL};
	guestfs_set_backend_settings(g, settings);
	return g;
}

/* A new qcow2 of size MiB at path, partitioned, formatted and mounted at /
 * in a launched handle. */
static inline guestfs_h *fake_new_disk(const char *path, unsigned mib)
{
	char size[32];
	snprintf(size, sizeof(size), "%uM", mib);
	char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", (char *)path, size, NULL};
	fake_need(fake_run(argv) == 0, "qemu-img create", NULL);
	guestfs_h *g = fake_handle();
	fake_need(guestfs_add_drive_opts(g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
					 GUESTFS_ADD_DRIVE_OPTS_DISCARD, "besteffort", -1) == 0,
		  "add drive", g);
	fake_need(guestfs_launch(g) == 0, "launch", g);
	fake_need(guestfs_part_disk(g, "/dev/sda", "mbr") == 0, "part_disk", g);
	fake_need(guestfs_mkfs_opts(g, "ext4", "/dev/sda1", GUESTFS_MKFS_OPTS_LABEL, "root", -1) == 0, "mkfs",
		  g);
	fake_need(guestfs_mount(g, "/dev/sda1", "/") == 0, "mount", g);
	return g;
}

/* The build VM's leftovers and what must survive them. */
static inline void fake_plant(guestfs_h *g)
{
	fake_write(g, "/etc/os-release",
		   "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\n"
		   "VERSION=\"24.04.1 LTS (Noble Numbat)\"\nID=ubuntu\nID_LIKE=debian\n");
	fake_write(g, "/etc/fstab", "LABEL=root / ext4 defaults 0 1\n");
	fake_write(g, "/etc/hostname", "hnbuild\n");
	fake_need(guestfs_mkdir_p(g, "/usr/bin") == 0, "usr/bin", g);
	fake_need(guestfs_mkdir_p(g, "/usr/local/sbin") == 0, "usr/local/sbin", g);
	fake_need(guestfs_ln_s(g, "usr/bin", "/bin") == 0, "bin", g);
	fake_need(guestfs_upload(g, "/bin/true", "/usr/bin/true") == 0, "upload true", g);
	fake_need(guestfs_chmod(g, 0755, "/usr/bin/true") == 0, "chmod", g);
	fake_need(guestfs_mkdir_p(g, "/root") == 0 && guestfs_mkdir_p(g, "/home/ops") == 0, "homes", g);

	fake_write(g, "/etc/passwd", FAKE_PASSWD);
	fake_write(g, "/etc/shadow", FAKE_SHADOW);
	fake_need(guestfs_chmod(g, 0640, "/etc/shadow") == 0, "chmod shadow", g);
	fake_write(g, "/etc/group", FAKE_GROUP);
	fake_write(g, "/etc/gshadow", FAKE_GSHADOW);
	fake_write(g, "/etc/subuid", FAKE_SUBUID);
	fake_write(g, "/etc/subgid", FAKE_SUBUID);
	fake_write(g, "/etc/sudoers", "root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n");
	fake_write(g, "/etc/sudoers.d/README", FAKE_SUDOERS_README);
	fake_write(g, "/etc/sudoers.d/50-ops", FAKE_SUDOERS_OPS);
	fake_write(g, "/etc/sudoers.d/90-hnbuild", "hnbuild ALL=(ALL) NOPASSWD: ALL\n");
	fake_write(g, "/etc/sudoers.d/90-cloud-init-users",
		   "# Created by cloud-init v. 24.1 on Fri, 01 Nov 2024 10:00:00 +0000\n\n"
		   "# User rules for hnbuild\nhnbuild ALL=(ALL) NOPASSWD:ALL\n");
	fake_write(g, "/home/hnbuild/.ssh/authorized_keys", FAKE_BUILD_KEY "\n");
	fake_write(g, "/home/hnbuild/.bash_history", "sudo nodeadm install 1.31 " FAKE_CANARY "\n");
	fake_write(g, "/home/ops/.ssh/authorized_keys", FAKE_OPS_KEY "\n" FAKE_BUILD_KEY "\n");
	fake_write(g, "/root/.ssh/authorized_keys", FAKE_BUILD_KEY "\n");
	fake_write(g, "/root/.bash_history", "export RH_PASSWORD=" FAKE_CANARY "\n");
	fake_write(g, "/var/mail/hnbuild", "mail\n");

	fake_write(g, "/etc/machine-id", FAKE_MACHINE_ID);
	fake_write(g, "/var/lib/dbus/machine-id", FAKE_MACHINE_ID);
	fake_write(g, "/etc/ssh/ssh_host_ed25519_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nhostkey\n");
	fake_write(g, "/etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAAhost root@hnbuild\n");
	fake_write(g, "/etc/ssh/ssh_host_rsa_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nrsa\n");
	fake_write(g, "/etc/ssh/sshd_config", "PasswordAuthentication no\n");

	fake_write(g, "/var/lib/cloud/instances/iid-hnbuild/user-data.txt",
		   "#cloud-config\n" FAKE_CANARY "\n");
	fake_need(guestfs_ln_s(g, "/var/lib/cloud/instances/iid-hnbuild", "/var/lib/cloud/instance") == 0,
		  "ln", g);
	fake_write(g, "/var/lib/cloud/data/instance-id", "iid-hnbuild\n");
	fake_write(g, "/var/lib/cloud/seed/nocloud/user-data", "#cloud-config\n");
	fake_write(g, "/var/log/cloud-init.log", "cloud-init ran\n");
	fake_write(g, "/var/log/cloud-init-output.log", "cloud-init output\n");
	fake_write(g, "/etc/cloud/cloud.cfg.d/99-installer.cfg", "datasource_list: [None]\n");
	fake_write(g, "/etc/cloud/cloud.cfg.d/90_dpkg.cfg", "datasource_list: [ NoCloud, VMware, None ]\n");
	fake_write(g, "/etc/cloud/cloud-init.disabled", "disabled by the installer\n");

	fake_write(g, "/var/log/installer/autoinstall-user-data",
		   "#cloud-config\npassword: " FAKE_CANARY "\n");
	fake_write(g, "/var/log/installer/curtin-install.log", "curtin\n");
	fake_write(g, "/root/anaconda-ks.cfg", "rootpw " FAKE_CANARY "\n");
	fake_write(g, "/root/original-ks.cfg", "rootpw " FAKE_CANARY "\n");
	fake_write(g, "/root/ks-post.log", "post\n");
	fake_write(g, "/var/log/anaconda/anaconda.log", "anaconda\n");

	fake_write(g, "/etc/pki/consumer/cert.pem", "-----BEGIN CERTIFICATE-----\n");
	fake_write(g, "/etc/pki/consumer/key.pem", "-----BEGIN PRIVATE KEY-----\n");
	fake_write(g, "/etc/pki/entitlement/1234.pem", "-----BEGIN CERTIFICATE-----\n");
	fake_write(g, "/var/lib/amazon/ssm/registration", "{\"ManagedInstanceID\":\"mi-0123\"}\n");
	fake_write(g, "/var/lib/amazon/ssm/Vault/Store/RegistrationKey", FAKE_CANARY "\n");
	fake_write(g, "/etc/eks/nodeadm/nodeConfig.yaml",
		   "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n");
	fake_write(g, "/var/lib/hnbuild/nodeadm-init.done", "2024-11-01T10:00:00Z\n");

	fake_write(g, "/var/log/syslog", "Nov  1 10:00:00 hnbuild sudo: " FAKE_CANARY "\n");
	fake_write(g, "/var/log/syslog.1", "old " FAKE_CANARY "\n");
	fake_write(g, "/var/log/auth.log.2.gz", "gzip");
	fake_write(g, "/var/log/apt/history.log", "Start-Date: 2024-11-01\n");
	fake_write(g, "/var/log/journal/0123456789abcdef0123456789abcdef/system.journal", "LPKSHHRH");
	fake_write(g, "/var/cache/apt/archives/curl_8.5.0_amd64.deb", "!<arch>\n");
	fake_write(g, "/var/cache/apt/archives/lock", "");
	fake_write(g, "/var/lib/apt/lists/archive.ubuntu.com_ubuntu_dists_noble_InRelease",
		   "Origin: Ubuntu\n");
	fake_write(g, "/var/lib/apt/lists/lock", "");
	fake_write(g, "/tmp/provision-step.sh", "echo " FAKE_CANARY "\n");
	fake_write(g, "/tmp/.hidden-upload", "x\n");
	fake_write(g, "/var/tmp/leftover", "x\n");

	/* survives generalize */
	fake_write(g, "/etc/systemd/system/kubelet.service.d/http-proxy.conf", FAKE_PROXY_DROPIN);
	fake_write(g, "/usr/lib/systemd/system/containerd.service.d/http-proxy.conf", FAKE_PROXY_DROPIN);
	fake_write(g, "/opt/nodeadm/tracker", FAKE_TRACKER);
	fake_write(g, "/usr/local/bin/nodeadm", "#!/bin/sh\nVERSION=v1.0.20-fixture\n");
	fake_need(guestfs_chmod(g, 0755, "/usr/local/bin/nodeadm") == 0, "chmod nodeadm", g);
	fake_need(guestfs_mkdir_p(g, "/etc/systemd/system/multi-user.target.wants") == 0, "wants", g);
}

/* Fill and delete a file of random bytes: free space that holds data. */
static inline void fake_dirty_free_space(guestfs_h *g, unsigned mib)
{
	char tmp[] = "/var/tmp/hnbuild-fake-random-XXXXXX";
	int fd = mkstemp(tmp);
	fake_need(fd >= 0, "mkstemp", NULL);
	FILE *u = fopen("/dev/urandom", "r");
	char buf[65536];
	for (unsigned i = 0; i < mib * 16; i++) {
		fake_need(fread(buf, 1, sizeof(buf), u) == sizeof(buf), "urandom", NULL);
		fake_need(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "write", NULL);
	}
	fclose(u);
	close(fd);
	fake_need(guestfs_upload(g, tmp, "/random.bin") == 0, "upload random", g);
	unlink(tmp);
	fake_need(guestfs_sync(g) == 0, "sync", g);
	fake_need(guestfs_rm(g, "/random.bin") == 0, "rm random", g);
}

static inline void fake_close(guestfs_h *g)
{
	fake_need(guestfs_umount_all(g) == 0, "umount", g);
	fake_need(guestfs_shutdown(g) == 0, "shutdown", g);
	guestfs_close(g);
}

/* Does the file hold the bytes? */
static inline int fake_file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t nl = strlen(needle), keep = nl - 1;
	char *buf = malloc((1 << 20) + nl);
	size_t have = 0;
	int found = 0;
	for (;;) {
		size_t got = fread(buf + have, 1, 1 << 20, f);
		if (got == 0)
			break;
		have += got;
		if (memmem(buf, have, needle, nl)) {
			found = 1;
			break;
		}
		if (have > keep) {
			memmove(buf, buf + have - keep, keep);
			have = keep;
		}
	}
	free(buf);
	fclose(f);
	return found;
}
