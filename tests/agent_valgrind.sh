#!/bin/bash
# SPDX-License-Identifier: ISC
# The daemon under valgrind in its steady state: many cycles, moves, status, reload,
# a failing sensor, then SIGTERM. No invalid access, no leak (memcheck's exit code).
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
need_cmd valgrind

agent_conf 'policy = "base"' 'threshold = 50' 'tarry = 2' 'lowthreshold = 1' 'lowtarry = 2' \
	'daemon_interval = 0.3' 'cooldown = 0' 'max_moves_per_hour = 0' \
	'hosts = ["h1", "h2"]' 'base = "cheap"' 'location = "h1"'
values 60 60 0 0 60 60 unknown unknown 60 60 0 0 60 60 0 0 60 60 0 0 60 60 0 0
valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --track-fds=no \
	--suppressions="$top_srcdir/tests/valgrind.supp" --child-silent-after-fork=yes \
	"$VMMANAGE" -c "$T/vmm.conf" -f >"$T/agent.out" 2>&1 &
AGENT_PID=$!
on_exit "kill $AGENT_PID; wait $AGENT_PID"
wait_for 60 test -S "$T/vmmanage.sock" || die "agent under valgrind did not start: $(cat "$T/agent.out")"
wait_cycles 8 60 || fail "8 cycles under valgrind"
vmm status >/dev/null
sed -i 's/^threshold = 50/threshold = 55/' "$T/vmm.conf"
vmm reload >/dev/null
wait_cycles 20 90 || fail "20 cycles under valgrind"
vmm status >/dev/null
kill "$AGENT_PID"; rc=0; wait "$AGENT_PID" || rc=$?
check "valgrind finds nothing (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -40 "$T/agent.out"
check "moves happened meanwhile" test "$(moves | wc -l)" -ge 4
finish
