#!/bin/sh
# e2e-cost: 50
# 11-fixture-rhel.sh — proves the RHEL-like fixture ISOs are faithful,
# directly with qemu-system (not hnbuild): an unknown kickstart command and
# a missing inst.stage2 fail with anaconda's and dracut's lines; with
# FIXTURE_TEST_FULL=1 (make check-full) also a valid kickstart on an OEMDRV
# seed (inst.stage2=hd:LABEL=<ISO label> inst.ks=hd:LABEL=OEMDRV:/ks.cfg)
# installs and powers off, and the disk then boots alone to a login prompt
# and sshd, in UEFI and BIOS mode and on arm64 (make check proves a valid
# install and its boot through hnbuild: 21-build-rhel-amd64-bios,
# 30-boot-and-join). FIXTURE_ARCHES picks arches: amd64 in `make check`,
# "amd64 arm64" with FIXTURE_TEST_FULL=1.
set -u
. "$(dirname "$0")/../fixtures/testlib.sh"
if [ "${FIXTURE_TEST_FULL:-0}" = 1 ]; then ARCHES=${FIXTURE_ARCHES:-amd64 arm64}; else ARCHES=${FIXTURE_ARCHES:-amd64}; fi

for a in $ARCHES; do
	sh "$FIXTURES/build.sh" rhel9 "$a" || die "fixture build failed (rhel9 $a)"
done
ssh-keygen -q -t ed25519 -N '' -C fixture-test -f "$T/key" || die "ssh-keygen failed"
KEY=$(cat "$T/key.pub")
HASH=$(openssl passwd -6 -salt fixturetest builder)

# seed NAME STORAGE_LINES — an OEMDRV seed ISO with a kickstart like hnbuild's
seed() {
	mkdir -p "$T/$1.seed"
	cat > "$T/$1.seed/ks.cfg" <<EOK
# kickstart written by tests/e2e/11-fixture-rhel.sh
text
lang en_US.UTF-8
keyboard --xlayouts='us'
timezone UTC --utc
network --bootproto=dhcp --activate
rootpw --iscrypted $HASH
user --name=builder --groups=wheel --iscrypted --password=$HASH
sshkey --username=builder "$KEY"
bootloader --append="console=$CON"
zerombr
clearpart --all --initlabel
$2
selinux --permissive
firewall --disabled
services --enabled=sshd
%packages
@^minimal-environment
openssh-server
%end
%post --log=/root/ks-post.log
echo "builder ALL=(ALL) NOPASSWD: ALL" > /etc/sudoers.d/builder
chmod 0440 /etc/sudoers.d/builder
echo post-ok > /etc/fixture-post
%end
%post --nochroot
echo nochroot-ok > /mnt/sysimage/etc/fixture-post-nochroot
%end
poweroff
EOK
	seed_iso OEMDRV "$T/$1.seed" "$T/$1.seed.iso"
}

OK='Installation complete\. Powering off\.'

# %packages does not list open-vm-tools: the installer leaves it out
guest_check() {
	ssh -q -i "$T/key" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=20 -p "$2" builder@127.0.0.1 \
		'grep -q "^ID=\"rhel\"" /etc/os-release && test "$(cat /etc/fixture-post)" = post-ok &&
		 test -f /etc/fixture-post-nochroot && sudo -n test -s /root/anaconda-ks.cfg &&
		 sudo -n test -s /root/original-ks.cfg && sudo -n test -s /var/log/anaconda/anaconda.log &&
		 grep -q console= /proc/cmdline && id -nG | grep -qw wheel &&
		 ! test -e /usr/bin/vmware-rpctool' >/dev/null
}

leg_amd64() {
	ISO=$FIXTURES/out/rhel9-amd64.iso
	CON="ttyS0,115200 no_timer_check" RA=x86_64
	LABEL=RHEL-9-4-0-BaseOS-$RA
	extract "$ISO" /images/pxeboot/vmlinuz "$T/vmlinuz-amd64"
	extract "$ISO" /images/pxeboot/initrd.img "$T/initrd-amd64"
	ARGS="inst.stage2=hd:LABEL=$LABEL inst.ks=hd:LABEL=OEMDRV:/ks.cfg inst.text console=$CON"
	# UEFI: GPT with /boot/efi and biosboot, xfs / (hnbuild's explicit layout)
	seed uefi "part /boot/efi --fstype=efi --size=600
	part biosboot --fstype=biosboot --size=1
	part / --fstype=xfs --grow"
	# The installs that succeed repeat what 21-build-rhel-amd64-bios
	# (install) and 30-boot-and-join (boot) prove through hnbuild.
	if [ "${FIXTURE_TEST_FULL:-0}" = 1 ]; then
		install_and_boot r-uefi amd64 uefi "$T/vmlinuz-amd64" "$T/initrd-amd64" "$ARGS" "$T/uefi.seed.iso" "$OK"
		seed bios "autopart --type=plain --noswap"
		install_and_boot r-bios amd64 bios "$T/vmlinuz-amd64" "$T/initrd-amd64" "$ARGS" "$T/bios.seed.iso" "$OK"
	fi
	# a typo'd command: anaconda's kickstart error, nothing installed
	seed bad "autopartt --type=plain"
	install_fails r-unknown amd64 bios "$T/vmlinuz-amd64" "$T/initrd-amd64" "$ARGS" "$T/bad.seed.iso" \
		'An error occurred during reading the kickstart file:' \
		'The following problem occurred on line [0-9]+ of the kickstart file:' 'Unknown command: autopartt' \
		'The installer will now terminate\.'
	# BIOS gets an msdos label unless the kickstart asks for GPT, and a
	# biosboot partition cannot be made on it (hnbuild says --disklabel=gpt)
	seed msdos "part biosboot --fstype=biosboot --size=1
	part / --fstype=xfs --grow"
	install_fails r-msdos amd64 bios "$T/vmlinuz-amd64" "$T/initrd-amd64" "$ARGS" "$T/msdos.seed.iso" \
		'An unknown error has occurred' "The flag 'bios_grub' is not available for msdos disk labels\\."
	# no inst.stage2: the installer cannot find its image
	install_fails r-nostage2 amd64 bios "$T/vmlinuz-amd64" "$T/initrd-amd64" \
		"inst.ks=hd:LABEL=OEMDRV:/ks.cfg inst.text console=$CON" "$T/uefi.seed.iso" 'Could not boot' \
		'Entering emergency mode\. Exit the shell to continue\.'
}

leg_arm64() {
	ISO=$FIXTURES/out/rhel9-arm64.iso
	CON=ttyAMA0 RA=aarch64
	LABEL=RHEL-9-4-0-BaseOS-$RA
	extract "$ISO" /images/pxeboot/vmlinuz "$T/vmlinuz-arm64"
	extract "$ISO" /images/pxeboot/initrd.img "$T/initrd-arm64"
	ARGS="inst.stage2=hd:LABEL=$LABEL inst.ks=hd:LABEL=OEMDRV:/ks.cfg inst.text console=$CON"
	seed arm "part /boot/efi --fstype=efi --size=600
	part / --fstype=ext4 --grow"
	install_and_boot r-arm64 arm64 uefi "$T/vmlinuz-arm64" "$T/initrd-arm64" "$ARGS" "$T/arm.seed.iso" "$OK"
}

# shellcheck disable=SC2086
run_legs $ARCHES
say "PASS: RHEL-like fixtures ($ARCHES) in $(($(date +%s) - T0)) s"
