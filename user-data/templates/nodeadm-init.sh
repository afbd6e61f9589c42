#!/bin/sh
# hnbuild-nodeadm-init: joins this node to its EKS cluster with the NodeConfig
# that `hnbuild userdata` delivered through cloud-init. Runs once: after a
# successful join it leaves a marker and later runs do nothing.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
config=@CONFIG@
log=@LOG@
marker=@MARKER@

if [ -e "$marker" ]; then
    echo "nodeadm init already ran ($marker); nothing to do"
    exit 0
fi
umask 077
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) nodeadm init -c file://$config" >>"$log"
if nodeadm init -c "file://$config" >>"$log" 2>&1; then
    mkdir -p "$(dirname "$marker")"
    date -u +%Y-%m-%dT%H:%M:%SZ >"$marker"
    echo "nodeadm init succeeded; log in $log"
else
    rc=$?
    echo "nodeadm init failed with status $rc; see $log" >&2
    exit "$rc"
fi
