#!/bin/sh
# e2e-cost: 2
# 07-cli.sh — the command line as a user meets it, run as processes (no VM):
# bad input to build and validate is exit 2 with one error line per problem
# naming the input, and writes nothing; validate prints a spec that parses as
# YAML with the secrets masked; list, version, cache and --help answer; an
# unknown command is exit 2.
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
