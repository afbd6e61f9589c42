# hnbuild provision step: leave no subscription identity in the image.
set -eu
subscription-manager unregister || true
subscription-manager clean
dnf clean all || true
echo "rhsm: unregistered and cleaned"
