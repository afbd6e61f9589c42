# hnbuild provision step: run a user's --provision-script (uploaded to
# $USER_SCRIPT, in /run: a tmpfs, so that a secret in it never reaches the
# disk) as root, then remove it. /run is mounted noexec, so the script runs
# through the interpreter its #! line names (as the kernel would: the
# interpreter and at most one argument), else /bin/sh.
set -eu
status=0
first=$(head -n 1 "$USER_SCRIPT")
case $first in
'#!'*)
	line=${first#??}
	line=${line#"${line%%[! 	]*}"}
	interp=${line%%[ 	]*}
	arg=${line#"$interp"}
	arg=${arg#"${arg%%[! 	]*}"}
	if [ -n "$arg" ]; then
		"$interp" "$arg" "$USER_SCRIPT" || status=$?
	else
		"$interp" "$USER_SCRIPT" || status=$?
	fi
	;;
*) /bin/sh "$USER_SCRIPT" || status=$? ;;
esac
rm -f "$USER_SCRIPT"
exit $status
