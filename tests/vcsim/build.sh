#!/bin/sh
# build.sh — build the vcsim test harness into build/vcsim when it is
# missing or older than its source (Debian's golang-go and
# golang-github-vmware-govmomi-dev, GOPATH mode, no network).
set -eu
cd "$(dirname "$0")/../.."
[ -x build/vcsim ] && [ ! tests/vcsim/main.go -nt build/vcsim ] && exit 0
command -v go > /dev/null || { echo "vcsim: go is not installed (golang-go, tools/packages.txt)" >&2; exit 1; }
[ -d /usr/share/gocode/src/github.com/vmware/govmomi ] ||
	{ echo "vcsim: govmomi is not installed (golang-github-vmware-govmomi-dev)" >&2; exit 1; }
mkdir -p build
echo "vcsim: building build/vcsim" >&2
GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE="$PWD/build/gocache" \
	go build -o build/vcsim.tmp ./tests/vcsim
mv build/vcsim.tmp build/vcsim
