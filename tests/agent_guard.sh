#!/bin/bash
# SPDX-License-Identifier: ISC
# The guard in the running daemon: a bad threshold cannot make the VM hop more than
# max_moves_per_hour; what the guard holds back is logged with the rule; A->B->A warns.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

agent_conf 'policy = "threshold"' 'threshold = 1' 'tarry = 1' 'daemon_interval = 0.3' \
	'cooldown = 0' 'max_moves_per_hour = 3' 'hosts = ["h1", "h2"]' 'location = "h1"'
values $(seq 10 40)
agent_start
budget_held() { [ "$(grep -c 'Suppressed move to .* from policy: max_moves_per_hour' "$T/vmmanage.log")" -ge 5 ]; }
wait_for 30 budget_held || fail "the budget held back 5 requests"
agent_stop
check "exactly 3 moves in the hour ($(moves | wc -l))" test "$(moves | wc -l)" = 3
check "the rest suppressed, naming the rule" \
	test "$(grep -c 'Suppressed move to .* from policy: max_moves_per_hour' "$T/vmmanage.log")" -ge 5
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
