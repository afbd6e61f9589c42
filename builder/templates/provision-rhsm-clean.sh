# hnbuild provision step: leave no subscription identity or repository
# cache in the image, whether or not the unregister reached Red Hat.
set -eu
subscription-manager clean
dnf clean all || true
echo "rhsm: local subscription data removed"
