#!/bin/sh
# e2e-cost: 55
# 10-fixture-ubuntu.sh — proves the Ubuntu-like fixture ISOs are faithful,
# directly with qemu-system (not hnbuild): a schema violation and a missing
# `autoinstall` argument stop the install with subiquity's lines; with
# FIXTURE_TEST_FULL=1 (make check-full) also a valid autoinstall (CIDATA
# seed, `autoinstall` on the kernel command line) installs and powers off,
# and the disk then boots alone to a login prompt and sshd, in BIOS and UEFI
# mode and on arm64 (make check proves a valid install and its boot through
# hnbuild: 20-build-ubuntu-amd64, 22-build-arm64, 30-boot-and-join).
# FIXTURE_ARCHES picks arches, run in parallel (FIXTURE_SERIAL=1: one after
# the other): amd64 in `make check`, "amd64 arm64" with FIXTURE_TEST_FULL=1.
set -u
. "$(dirname "$0")/../fixtures/testlib.sh"
if [ "${FIXTURE_TEST_FULL:-0}" = 1 ]; then ARCHES=${FIXTURE_ARCHES:-amd64 arm64}; else ARCHES=${FIXTURE_ARCHES:-amd64}; fi

for a in $ARCHES; do
	sh "$FIXTURES/build.sh" ubuntu24 "$a" || die "fixture build failed (ubuntu24 $a)"
done
ssh-keygen -q -t ed25519 -N '' -C fixture-test -f "$T/key" || die "ssh-keygen failed"
KEY=$(cat "$T/key.pub")
HASH=$(openssl passwd -6 -salt fixturetest ubuntu)

# seed NAME BODY — a CIDATA seed ISO holding user-data (BODY) and meta-data
seed() {
	mkdir -p "$T/$1.seed"
	printf '%s\n' "$2" > "$T/$1.seed/user-data"
	printf 'instance-id: %s\n' "$1" > "$T/$1.seed/meta-data"
	seed_iso CIDATA "$T/$1.seed" "$T/$1.seed.iso"
}

OK='finish: subiquity/Shutdown/shutdown: mode=POWEROFF'

# BIOS: one MBR partition, ext4 /, identity, late-command in the target
bios_doc="#cloud-config
autoinstall:
  version: 1
  locale: en_US.UTF-8
  keyboard: {layout: us}
  timezone: Etc/UTC
  identity: {hostname: fixture-bios, username: ubuntu, realname: Fixture, password: '$HASH'}
  ssh: {install-server: true, allow-pw: false, authorized-keys: ['$KEY']}
  storage:
    swap: {size: 0}
    config:
      - {type: disk, id: disk0, ptable: msdos, match: {size: largest}, wipe: superblock, grub_device: true}
      - {type: partition, id: part0, device: disk0, size: -1, number: 1, flag: boot}
      - {type: format, id: fmt0, volume: part0, fstype: ext4}
      - {type: mount, id: mnt0, device: fmt0, path: /}
  packages: [openssh-server, open-vm-tools]
  updates: security
  early-commands: ['echo early > /run/early-ok']
  late-commands:
    - curtin in-target --target=/target -- sh -c 'echo late-ok > /etc/fixture-late'
    - test -f /target/var/log/installer/autoinstall-user-data
  shutdown: poweroff"

# UEFI: GPT with an ESP, xfs /, user-data.users with passwordless sudo
uefi_doc="#cloud-config
autoinstall:
  version: 1
  identity: {hostname: fixture-uefi, username: ubuntu, password: '$HASH'}
  ssh: {install-server: true, allow-pw: false, authorized-keys: ['$KEY']}
  user-data:
    users:
      - {name: builder, groups: [sudo], sudo: 'ALL=(ALL) NOPASSWD:ALL', lock_passwd: true, shell: /bin/bash, ssh_authorized_keys: ['$KEY']}
  storage:
    swap: {size: 0}
    config:
      - {type: disk, id: disk0, ptable: gpt, path: /dev/vda, wipe: superblock-recursive, preserve: false, grub_device: false}
      - {type: partition, id: esp, device: disk0, size: 512M, flag: boot, number: 1, grub_device: true}
      - {type: partition, id: root, device: disk0, size: -1, number: 2}
      - {type: format, id: fesp, volume: esp, fstype: fat32}
      - {type: format, id: froot, volume: root, fstype: xfs}
      - {type: mount, id: mroot, device: froot, path: /}
      - {type: mount, id: mesp, device: fesp, path: /boot/efi}
  late-commands:
    - curtin in-target --target=/target -- sh -c 'echo late-ok > /etc/fixture-late'
  shutdown: poweroff"

# arm64: the direct layout (GPT, ESP, ext4 /)
direct_doc="#cloud-config
autoinstall:
  version: 1
  identity: {hostname: fixture-arm, username: ubuntu, password: '$HASH'}
  ssh: {install-server: true, allow-pw: false, authorized-keys: ['$KEY']}
  storage:
    layout: {name: direct}
    swap: {size: 0}
  late-commands:
    - curtin in-target --target=/target -- sh -c 'echo late-ok > /etc/fixture-late'
  shutdown: poweroff"

bad_doc="#cloud-config
autoinstall:
  version: 1
  identity: {hostname: bad, username: ubuntu}
  shutdown: halt"

# guest_check NAME PORT — what the install left, seen over SSH with the key
# open-vm-tools (on the amd64 media) is there only where the seed lists it (BIOS)
guest_check() {
	case $1 in u-bios) _ovt='test -x /usr/bin/vmware-rpctool' ;; *) _ovt='! test -e /usr/bin/vmware-rpctool' ;; esac
	ssh -q -i "$T/key" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=20 -p "$2" ubuntu@127.0.0.1 \
		'grep -q "^ID=ubuntu" /etc/os-release && test "$(cat /etc/fixture-late)" = late-ok &&
		 grep -q console= /proc/cmdline && test -s /etc/machine-id && ls /etc/ssh/ssh_host_ed25519_key.pub &&
		 '"$_ovt" >/dev/null
}

leg_amd64() {
	ISO=$FIXTURES/out/ubuntu24-amd64.iso
	extract "$ISO" /casper/vmlinuz "$T/vmlinuz-amd64"
	extract "$ISO" /casper/initrd "$T/initrd-amd64"
	con="ttyS0,115200 no_timer_check"
	seed bios "$bios_doc"
	# The installs that succeed repeat what 20-build-ubuntu-amd64 (install)
	# and 30-boot-and-join (boot) prove through hnbuild: make check-full.
	if [ "${FIXTURE_TEST_FULL:-0}" = 1 ]; then
		install_and_boot u-bios amd64 bios "$T/vmlinuz-amd64" "$T/initrd-amd64" "autoinstall console=$con" "$T/bios.seed.iso" "$OK"
		seed uefi "$uefi_doc"
		install_and_boot u-uefi amd64 uefi "$T/vmlinuz-amd64" "$T/initrd-amd64" "autoinstall console=$con" "$T/uefi.seed.iso" "$OK"
	fi
	# a schema violation: identity without a password, an unknown shutdown
	# mode. subiquity 24.04 names the section and waits at its prompt.
	seed bad "$bad_doc"
	install_fails u-invalid amd64 bios "$T/vmlinuz-amd64" "$T/initrd-amd64" "autoinstall console=$con" "$T/bad.seed.iso" \
		"finish: subiquity/.*: Malformed autoinstall in '(identity|shutdown)' section" \
		'An error occurred\. Press enter to start a shell'
	grep -q 'Traceback' "$T/u-invalid.console" && die "u-invalid: a traceback on the console (subiquity logs it)"
	# no `autoinstall` argument: subiquity asks for confirmation and waits
	install_fails u-noconfirm amd64 bios "$T/vmlinuz-amd64" "$T/initrd-amd64" "console=$con" "$T/bios.seed.iso" \
		'Continue with autoinstall\? \(yes\|no\)'
	grep -q 'start: subiquity/Install' "$T/u-noconfirm.console" && die "u-noconfirm: installed without confirmation"
}

leg_arm64() {
	ISO=$FIXTURES/out/ubuntu24-arm64.iso
	extract "$ISO" /casper/vmlinuz "$T/vmlinuz-arm64"
	extract "$ISO" /casper/initrd "$T/initrd-arm64"
	con=ttyAMA0
	seed arm "$direct_doc"
	install_and_boot u-arm64 arm64 uefi "$T/vmlinuz-arm64" "$T/initrd-arm64" "autoinstall console=$con" "$T/arm.seed.iso" "$OK"
}

# shellcheck disable=SC2086
run_legs $ARCHES
say "PASS: Ubuntu-like fixtures ($ARCHES) in $(($(date +%s) - T0)) s"
