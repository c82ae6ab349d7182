#!/bin/bash
# SPDX-License-Identifier: ISC
# Without -f: the daemon detaches only once it is ready, writes its pid file, refuses a
# second instance, keeps its location across a restart, and removes its files on
# SIGTERM. A start that fails says why on stderr and exits non-zero.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

# near_best = 0: the first of the hosts nothing is known of, so that the move goes to h2
# (by default a VM draws among them: tests/agent_targets.sh)
agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.2' \
	'cooldown = 0' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2", "h3"]' 'location = "h1"' \
	'near_best = 0'
values 1 2 99 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20
"$VMMANAGE" -c "$T/vmm.conf"; rc=$?
check "the parent returns 0 once the daemon is ready" test "$rc" = 0
pid=$(cat "$T/vmmanage.pid" 2>/dev/null)
on_exit "kill $pid"
check "the pid file names a live process ($pid)" kill -0 "$pid"
check "the control socket is there at once, mode 0660" test "$(stat -c %a "$T/vmmanage.sock")" = 660
check "detached: a session of its own, no terminal" \
	test "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" -a "$(ps -o tty= -p "$pid" | tr -d ' ')" = "?"
out=$("$VMMANAGE" -c "$T/vmm.conf" 2>&1); rc=$?
check "a second instance is refused: exit $rc" test "$rc" = 1
check "saying why ($out)" sh -c "echo '$out' | grep -q 'another vmmanage\|already running'"
wait_for 20 grep -q 'Move to h2 confirmed' "$T/vmmanage.log" || fail "a move happened and was confirmed"
kill "$pid"
wait_for 20 sh -c "! kill -0 $pid" || fail "SIGTERM ends it"
check "the pid file is gone" test ! -e "$T/vmmanage.pid"
check "the socket is gone" test ! -e "$T/vmmanage.sock"
check "the state file keeps the location" grep -qx 'location=h2' "$T/state/state"

"$VMMANAGE" -c "$T/vmm.conf" || fail "restart"
pid=$(cat "$T/vmmanage.pid")
on_exit "kill $pid"
check "after a restart the location is the one it moved to" \
	sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^location: h2'"
kill "$pid"; wait_for 20 sh -c "! kill -0 $pid"

# a start that cannot finish: the control socket's directory does not exist
sed -i "s|^control_socket = .*|control_socket = \"$T/nowhere/vmmanage.sock\"|" "$T/vmm.conf"
out=$("$VMMANAGE" -c "$T/vmm.conf" 2>&1); rc=$?
check "a failed start exits 1 ($rc)" test "$rc" = 1
check "and says why on stderr ($out)" sh -c "echo '$out' | grep -q 'nowhere/vmmanage.sock'"
check "and leaves no pid file" test ! -e "$T/vmmanage.pid"
finish
