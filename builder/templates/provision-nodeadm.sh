# hnbuild provision step: install the verified nodeadm binary uploaded to
# $NODEADM_UPLOAD and run `nodeadm install` with the build's settings.
set -eu
install -m 0755 "$NODEADM_UPLOAD" /usr/local/bin/nodeadm
rm -f "$NODEADM_UPLOAD"
ln -sf /usr/local/bin/nodeadm /usr/bin/nodeadm 2>/dev/null || true
echo "nodeadm: $(/usr/local/bin/nodeadm version 2>&1 | head -n 1)"
set -- install "$K8S_VERSION" --credential-provider "$CREDENTIAL_PROVIDER" \
	--containerd-source "$CONTAINERD_SOURCE" --region "$REGION" --timeout "$NODEADM_TIMEOUT"
if [ -n "${MANIFEST_OVERRIDE:-}" ]; then
	set -- "$@" --manifest-override "$MANIFEST_OVERRIDE"
fi
if [ "${PRIVATE_MODE:-}" = 1 ]; then
	set -- "$@" --private-mode
fi
echo "nodeadm $*"
/usr/local/bin/nodeadm "$@"
