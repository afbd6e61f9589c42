#!/bin/sh
# e2e-cost: 2
# 07-cli.sh — the command line as a user meets it, run as processes (no VM):
# bad input to build and validate is exit 2 with one error line per problem
# naming the input, and writes nothing; validate prints a spec that parses as
# YAML with the secrets masked; render prints the install data of every
# OS x arch x firmware (secrets masked on the terminal, as built in files
# of mode 0600); a user's kickstart and autoinstall are checked as the
# installer of that release checks them (errors with file:line:column,
# exit 2; warnings for what it would ignore); list, version, cache and --help answer; an unknown command
# is exit 2.
. "$(dirname "$0")/lib.sh"

OUT=$T/never
say "build with bad values: exit 2, every problem named, nothing written"
expect_rc 2 "$HNBUILD" build --os ubuntu99 --format exe --cpus 0 --output-dir "$OUT"
expect_out "^hnbuild: error: --os: unknown os 'ubuntu99' (choose ubuntu20, ubuntu22, ubuntu24, rhel8 or rhel9)$"
expect_out "^hnbuild: error: --format: unknown format 'exe'"
expect_out "^hnbuild: error: --cpus: '0' is not a CPU count"
[ "$(grep -c . "$T/out")" = 3 ] || { cat "$T/out"; die "expected exactly three error lines"; }
[ -e "$OUT" ] && die "a refused build created its output directory"
expect_rc 2 "$HNBUILD" build --rh-password=Cli-Canary-Pw-41
expect_out "secrets are not taken on the command line"
grep -q "Cli-Canary-Pw-41" "$T/out" && die "the refused secret was echoed"
expect_rc 2 "$HNBUILD" validate --k8s-version 2.0
expect_out "^hnbuild: error: --k8s-version: '2.0' is not a Kubernetes version"
expect_rc 2 "$HNBUILD" frobnicate
expect_out "unknown command 'frobnicate'"

say "validate: YAML, secrets masked"
RH_USERNAME=u RH_PASSWORD=Cli-Canary-Pw-42 expect_rc 0 "$HNBUILD" validate --os rhel9 \
	--iso "$FIXTURES/rhel9-amd64.iso" --iso-checksum none --k8s-version 1.30,1.31
grep -q "Cli-Canary-Pw-42" "$T/out" && die "validate printed the password"
python3 -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
t = d["targets"]
assert [x["k8s-version"] for x in t] == ["1.30", "1.31"], t
assert all(x["rh-password"] == "********" for x in t), t
assert all(len(str(x["installed-base"])) == 64 for x in t), t' "$T/out" || { cat "$T/out"; die "validate's output"; }

say "render: every OS x arch x firmware, secrets masked; files 0600"
for os in ubuntu20 ubuntu22 ubuntu24 rhel8 rhel9; do
	for arch in amd64 arm64; do
		for fw in bios uefi; do
			if [ $arch = arm64 ] && [ $fw = bios ]; then
				expect_rc 2 "$HNBUILD" render --os $os --arch $arch --firmware $fw
				expect_out "arm64 boots only with UEFI"
				continue
			fi
			PKR_SSH_PASSWORD=Cli-Canary-Pw-43 expect_rc 0 "$HNBUILD" render --os $os --arch $arch --firmware $fw
			grep -q "Cli-Canary-Pw-43" "$T/out" && die "render printed the password ($os $arch $fw)"
			grep -q '\$6\$' "$T/out" && die "render printed the password hash ($os $arch $fw)"
			grep -q "<masked>" "$T/out" || die "render masked nothing ($os $arch $fw)"
			case $os in
			ubuntu*)
				expect_out "^==> user-data (target 1: $os $arch $fw, seed label CIDATA) <==$"
				expect_out "^==> meta-data (target 1: $os $arch $fw, seed label CIDATA) <=="
				expect_rc 0 "$HNBUILD" render --os $os --arch $arch --firmware $fw --file user-data
				python3 -c 'import sys, yaml
t = open(sys.argv[1]).read()
assert t.startswith("#cloud-config\n"), t[:40]
d = yaml.safe_load(t)["autoinstall"]
mounts = [c["path"] for c in d["storage"]["config"] if c["type"] == "mount"]
assert ("/boot/efi" in mounts) == (sys.argv[2] == "uefi"), mounts' "$T/out" $fw ||
					{ cat "$T/out"; die "render's user-data for $os $arch $fw"; }
				;;
			rhel*)
				expect_out "^==> ks.cfg (target 1: $os $arch $fw, seed label OEMDRV) <==$"
				expect_rc 0 "$HNBUILD" render --os $os --arch $arch --firmware $fw --file ks.cfg
				if [ $fw = uefi ]; then want="^part /boot/efi --fstype=efi"; else want="^part biosboot"; fi
				expect_out "$want"
				;;
			esac
		done
	done
done
PKR_SSH_PASSWORD=Cli-Canary-Pw-44 expect_rc 0 "$HNBUILD" render --os rhel9 --output-dir "$T/render"
[ "$(stat -c %a "$T/render/ks.cfg")" = 600 ] || die "render wrote ks.cfg with mode $(stat -c %a "$T/render/ks.cfg")"
grep -q '^user --name=hnbuild --groups=wheel --iscrypted --password="\$6\$' "$T/render/ks.cfg" ||
	die "the written ks.cfg lacks the build user's password hash"
grep -q "Cli-Canary-Pw-44" "$T/render/ks.cfg" && die "the written ks.cfg holds the password itself"
expect_rc 2 "$HNBUILD" render --os rhel9 --file user-data
expect_out "^hnbuild: error: render: --file user-data: a rhel9 build has no user-data (it has ks.cfg)$"
expect_rc 2 "$HNBUILD" render --os ubuntu24 --file nope
expect_out "^hnbuild: error: render: --file nope: not an install data file"
expect_rc 0 "$HNBUILD" render --help
expect_out "^Usage: hnbuild render"

say "a user's --kickstart and --autoinstall are checked as the release's installer checks them"
printf 'text\ncdrom\nautopartt --type=plain\n%%post --nochrot\necho\n%%end\ndeviceprobe\n' > "$T/bad.ks"
expect_rc 2 "$HNBUILD" validate --os rhel9 --kickstart "$T/bad.ks"
expect_out "^hnbuild: error: $T/bad.ks:3:1: unknown command 'autopartt' (did you mean 'autopart'?)$"
expect_out "^hnbuild: error: $T/bad.ks:4:7: %post: unknown option '--nochrot' (did you mean --nochroot?)$"
expect_out "^hnbuild: error: $T/bad.ks:7:1: .*deviceprobe.*removed in RHEL 9"
expect_rc 2 "$HNBUILD" render --os rhel9 --kickstart "$T/bad.ks"
expect_out "unknown command 'autopartt'"
# deviceprobe is only deprecated on RHEL 8: a warning there
printf 'text\ncdrom\nautopart --type=plain\ndeviceprobe\n' > "$T/rhel8.ks"
expect_rc 0 "$HNBUILD" render --os rhel8 --kickstart "$T/rhel8.ks" --file ks.cfg
expect_out "^warning: $T/rhel8.ks:4:1: .*deviceprobe"
cat > "$T/typo.yaml" <<'EOY'
#cloud-config
autoinstall:
  version: 1
  late-comands: ['true']
  timezone: Etc/UTC
  storage:
    layout:
      name: direct
  user-data:
    users: [{name: tester, lock_passwd: true}]
EOY
expect_rc 0 "$HNBUILD" render --os ubuntu24 --autoinstall "$T/typo.yaml" --file user-data
expect_out "^warning: $T/typo.yaml:4:3: autoinstall.late-comands: .*did you mean 'late-commands'"
# subiquity 21.08.2 (20.04 media) knows no Etc/ time zone names
expect_rc 2 "$HNBUILD" render --os ubuntu20 --autoinstall "$T/typo.yaml"
expect_out "^hnbuild: error: $T/typo.yaml:5:3: autoinstall.timezone: 'Etc/UTC' is not a time zone subiquity 21.08.2"

say "list, version, cache, help"
expect_rc 0 "$HNBUILD" list
expect_out "^rhel9 *arm64 *anaconda kickstart"
expect_rc 0 "$HNBUILD" version
expect_out "^hnbuild [0-9.]* (default nodeadm v"
expect_rc 0 "$HNBUILD" cache list
expect_out "no installed bases in $XDG_CACHE_HOME/hnbuild/bases"
expect_rc 0 "$HNBUILD" build --help
expect_out "--no-cache"
expect_out "--resume"
expect_rc 2 "$HNBUILD" cache frob
expect_out "unknown subcommand 'frob'"
no_temp_files
say "PASS"
