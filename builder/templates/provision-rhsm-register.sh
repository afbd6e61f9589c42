# hnbuild provision step: register with Red Hat Subscription Management and
# enable the repositories of this release and architecture.
set -eu
# subscription-manager takes these only as options: they are on this guest's
# argv while register runs (see provision.c).
if [ -n "${RH_ACTIVATION_KEY:-}" ]; then
	subscription-manager register --org="$RH_ORG" --activationkey="$RH_ACTIVATION_KEY"
else
	subscription-manager register --username="$RH_USERNAME" --password="$RH_PASSWORD" --auto-attach
fi
arch=$(uname -m)
subscription-manager repos --enable="rhel-$RHEL_MAJOR-for-$arch-baseos-rpms" \
	--enable="rhel-$RHEL_MAJOR-for-$arch-appstream-rpms"
dnf -y install curl cloud-init
echo "rhsm: registered; repositories rhel-$RHEL_MAJOR-for-$arch-{baseos,appstream}-rpms enabled"
