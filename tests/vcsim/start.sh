# start.sh — sourced by tests that need a vCenter: vcsim_start DIR starts
# the vcsim harness (build/vcsim, or $VCSIM) serving from DIR with the
# credentials in VCSIM_USER / VCSIM_PASSWORD (its datastores in DIR too),
# and sets VCSIM_PID, VCSIM_URL (…/sdk) and VCSIM_CA (its certificate). The
# harness exits when the caller's descriptor 8 closes, or when the caller
# ends VCSIM_PID.
# shellcheck shell=sh
vcsim_start() {
	mkdir -p "$1"
	mkfifo "$1/stdin"
	TMPDIR="$1" "${VCSIM:-build/vcsim}" serve -dir "$1" < "$1/stdin" > "$1/out" 2> "$1/err" &
	VCSIM_PID=$!
	exec 8> "$1/stdin"
	_i=0
	until grep -q READY "$1/out" 2> /dev/null; do
		_i=$((_i + 1))
		if [ $_i -ge 100 ] || ! kill -0 "$VCSIM_PID" 2> /dev/null; then
			cat "$1/err" >&2
			echo "vcsim did not start" >&2
			return 1
		fi
		sleep 0.2
	done
	VCSIM_URL=$(cat "$1/url")
	VCSIM_CA=$1/ca.pem
}
