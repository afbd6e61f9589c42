# hnbuild provision step: run a user's --provision-script (uploaded to
# $USER_SCRIPT) as root, then remove it.
set -eu
chmod 0700 "$USER_SCRIPT"
status=0
"$USER_SCRIPT" || status=$?
rm -f "$USER_SCRIPT"
exit $status
