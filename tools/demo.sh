#!/bin/sh
# demo.sh — the main job on an embedded default: validate, then build an image
# from the Ubuntu-like fixture ISO (examples/demo.yaml) end to end, with the
# fixture's fake nodeadm served from a loopback mirror (no internet here).
set -eu
cd "$(dirname "$0")/.."
out=$(python3 tests/fixtures/serve.py tests/fixtures/nodeadm 0)
pid=$(echo "$out" | sed -n 1p)
port=$(echo "$out" | sed -n 2p)
trap 'kill "$pid" 2>/dev/null' EXIT INT TERM
# over plain http hnbuild trusts only a digest it is given, not the .sha256
# that comes down the same channel
sum=$(cut -c1-64 tests/fixtures/nodeadm/nodeadm.sha256)
echo "==> hnbuild validate --config examples/demo.yaml"
./hnbuild validate --config examples/demo.yaml --nodeadm-url "http://127.0.0.1:$port/nodeadm" --nodeadm-sha256 "$sum"
echo "==> hnbuild build --config examples/demo.yaml"
./hnbuild build --config examples/demo.yaml --nodeadm-url "http://127.0.0.1:$port/nodeadm" --nodeadm-sha256 "$sum"
echo "==> hnbuild inspect"
./hnbuild inspect output/demo/demo-ubuntu24-amd64-k8s1.31.qcow2 || true
echo "==> output/demo:"
ls -l output/demo
