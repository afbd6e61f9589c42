#!/bin/sh
# demo.sh — the main job on an embedded default: validate, then build an image
# from the Ubuntu-like fixture ISO (examples/demo.yaml) end to end.
set -eu
cd "$(dirname "$0")/.."
echo "==> hnbuild validate --config examples/demo.yaml"
./hnbuild validate --config examples/demo.yaml
echo "==> hnbuild build --config examples/demo.yaml"
./hnbuild build --config examples/demo.yaml
echo "==> output:"
ls -l output/demo
