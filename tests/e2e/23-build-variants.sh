#!/bin/sh
# e2e-cost: 1020
# e2e: full
# e2e-full-limit: 2400
# 23-build-variants.sh — the targets that 20, 21 and 22 do not build:
# ubuntu20 and ubuntu22 (UEFI) and rhel8 (BIOS), amd64, each from its own
# fixture ISO (tests/fixtures/build.sh VARIANT ARCH: the installer version
# and the release's labels of that target). Each build installs, provisions,
# generalizes and exports qcow2 and raw; the image carries the target's nodeadm
# tracker and is clean; the ubuntu20 install (subiquity 21.08) ends with a
# reboot, not a power-off. It repeats for three more targets what 20 and 21
# prove for ubuntu24 and rhel9, so it runs in `make check-full`.
. "$(dirname "$0")/lib.sh"

say "the fixture ISOs of the variants (cached after the first time)"
sh "$ROOT/tests/fixtures/build.sh" ubuntu20 amd64 ubuntu22 amd64 rhel8 amd64 > "$T/fixtures.log" 2>&1 ||
	{ tail -n 20 "$T/fixtures.log"; die "cannot build the variant fixture ISOs"; }
start_nodeadm_server

for target in ubuntu20:uefi ubuntu22:uefi rhel8:bios; do
	os=${target%:*} fw=${target#*:}
	OUT=$T/images-$os
	say "building $os amd64 ($fw)"
	# shellcheck disable=SC2046
	RH_USERNAME=builder-account RH_PASSWORD=Rh-Canary-Variant-41 run_build "$T/build-$os.out" --os "$os" \
		--arch amd64 $(iso_flags "$os" amd64) $(test_build_flags) --firmware "$fw" $NODEADM_FLAGS \
		--format qcow2,raw --output-dir "$OUT" || die "$os build failed with exit $?"
	img=$(ls "$OUT"/eks-hybrid-"$os"-amd64-k8s*.qcow2)
	[ -n "$img" ] || die "no $os image"
	check_outputs "${img%.qcow2}" qcow2 raw
	case $os in
	rhel*)
		grep -q "^  subscription-manager unregister | System has been unregistered\.$" "$T/build-$os.out" ||
			die "$os: RHSM unregistration did not run"
		check_tracker "$img" "credential_provider=ssm" "os=rhel"
		guest_file "$img" /etc/redhat-release | grep -q "release 8\." || die "$os: the image is not the RHEL 8 fixture"
		;;
	*)
		# 20.04 media (subiquity 21.08) have no 'shutdown' key: the install
		# ends with subiquity's reboot, which hnbuild takes as the end.
		if [ "$os" = ubuntu20 ]; then
			grep -q "install: the installer rebooted after finishing" "$T/build-$os.out" ||
				die "ubuntu20: the install did not end with subiquity's reboot"
			guest_file "$img" /etc/timezone | grep -qx UTC || die "ubuntu20: the time zone is not UTC"
		fi
		check_tracker "$img" "credential_provider=ssm"
		guest_file "$img" /usr/lib/os-release | grep -q "VERSION_ID=\"${os#ubuntu}\.04\"" ||
			die "$os: the image is not the Ubuntu ${os#ubuntu}.04 fixture"
		;;
	esac
	check_clean "$img"
	check_canaries "${img%.qcow2}.raw" "$T/build-$os.out" "$OUT"/*.build.log -- Rh-Canary-Variant-41
	no_domains
done
no_temp_files
say "PASS"
