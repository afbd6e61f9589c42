# hnbuild provision step: proxy settings for the package manager and the
# systemd drop-ins at the paths nodeadm checks. Variables come first.
set -eu
for unit in /etc/systemd/system/kubelet.service.d \
            /usr/lib/systemd/system/containerd.service.d \
            /etc/systemd/system/amazon-ssm-agent.service.d \
            /etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service.d; do
	mkdir -p "$unit"
	printf '%s\n' "$PROXY_DROPIN" > "$unit/http-proxy.conf"
	chmod 0644 "$unit/http-proxy.conf"
done
if [ -d /etc/apt/apt.conf.d ]; then
	printf '%s\n' "$APT_PROXY" > /etc/apt/apt.conf.d/proxy.conf
fi
for conf in /etc/dnf/dnf.conf /etc/yum.conf; do
	[ -f "$conf" ] || continue
	sed -i '/^proxy=/d' "$conf"
	printf 'proxy=%s\n' "$PROXY" >> "$conf"
done
systemctl daemon-reload 2>/dev/null || true
echo "proxy: $PROXY configured for apt/dnf, kubelet, containerd and the SSM agent"
