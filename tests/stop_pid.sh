# stop_pid.sh — sourced by the test libraries (tests/e2e/lib.sh,
# tests/fixtures/testlib.sh).
# shellcheck shell=sh

# stop_pid PID — end a process the test started and reap it: SIGTERM, then
# SIGKILL if it is still there after 30 s (a QEMU that hangs on its way out
# must not hang the test).
stop_pid() {
	kill "$1" 2>/dev/null
	for _ in $(seq 30); do
		kill -0 "$1" 2>/dev/null || break
		sleep 1
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
