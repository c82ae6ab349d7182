#!/bin/bash
# SPDX-License-Identifier: ISC
# The guard in the running daemon: a bad threshold cannot make the VM hop more than
# max_moves_per_hour; what the guard holds back is logged with the rule, once while it
# lasts and with a count when it ends; A->B->A warns.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

agent_conf 'policy = "threshold"' 'threshold = 1' 'tarry = 1' 'daemon_interval = 0.3' \
	'cooldown = 0' 'max_moves_per_hour = 3' 'hosts = ["h1", "h2"]' 'location = "h1"'
# 31 samples over the threshold, then the load is gone
values $(seq 10 40) 0 0 0 0
agent_start
held='Suppressed move to h[12] from policy: max_moves_per_hour'
wait_for 40 grep -qE "$held.*: [0-9]+ times in all\$" "$T/vmmanage.log" \
	|| fail "the hold's episode ends with a count: $(grep -E 'Suppressed' "$T/vmmanage.log" | tail -3)"
status=$(vmm status)
agent_stop
check "exactly 3 moves in the hour ($(moves | wc -l))" test "$(moves | wc -l)" = 3
check "the rest suppressed, naming the rule, said once ($(grep -cE "$held" "$T/vmmanage.log") lines)" \
	test "$(grep -E "$held" "$T/vmmanage.log" | grep -vc 'times in all')" = 1
n=$(grep -E "$held.*times in all" "$T/vmmanage.log" | sed -E 's/.*: ([0-9]+) times in all$/\1/')
check "the count covers every held request ($n >= 20)" test "${n:-0}" -ge 20
check "status counts them too" sh -c "echo '$status' | grep -qE '^guard: .*, ([2-9][0-9]|[1-9][0-9][0-9]+) suppressed\$'"
check "ping-pong h1 -> h2 -> h1 is warned" grep -q 'Warning: ping-pong: back to h1' "$T/vmmanage.log"

# cooldown: after a request nothing goes out for `cooldown` seconds, also from the CLI
agent_conf 'policy = "threshold"' 'threshold = 1000' 'daemon_interval = 0.3' 'cooldown = 30' \
	'hosts = ["h1", "h2"]' 'location = "h1"'
rm -rf "$T/state"
values $(seq 1 100)
agent_start
vmm move >/dev/null
# the first move has ended (so the guard, not the in-flight rule, answers next)
wait_for 20 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^in flight: no'" || fail "first move ended"
out=$(vmm move 2>&1); rc=$?
agent_stop
check "a second request inside the cooldown is refused: exit $rc ($out)" \
	sh -c "test $rc = 1 && echo '$out' | grep -q 'cooldown'"
check "one move only" test "$(moves | wc -l)" = 1
finish
