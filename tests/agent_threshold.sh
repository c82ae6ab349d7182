#!/bin/bash
# SPDX-License-Identifier: ISC
# The threshold policy in the running daemon drives the exec endpoint as POLICIES.md says:
# tarry consecutive samples above the threshold request `move` to the next host, wrapping;
# equal samples do not count; unknown samples neither count nor reset.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

# cooldown 1 s: the endpoint has ended before the next sample, even on a busy machine
agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 3' 'daemon_interval = 0.3' \
	'cooldown = 1' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2", "h3"]' 'location = "h1"' \
	'target_choice = "round_robin"' # the thesis's walk; tests/agent_targets.sh has the learned one
#        count: 1  2  0  1  2  3=move | 0  1  2  (2) 3=move | 1  2  3=move
values         60 60 40 60 60 60       50 60 60 unknown 60   60 60 60
start=$(date +%s.%N)
agent_start
wait_cycles 14 || fail "14 cycles within 30 s (got $(cycles))"
# the third move may still be with the endpoint: its answer is what the state keeps
wait_for 10 grep -q 'Move to h1 confirmed' "$T/vmmanage.log" || fail "the third move is confirmed"
agent_stop
elapsed=$(echo "$(date +%s.%N) - $start" | bc)

check "three moves, round robin with wrap" test "$(moves | tr '\n' ' ')" = "move h2 move h3 move h1 "
# the 14th sample comes after 13 intervals and the cooldowns of two requests: 5.9 s
check "the daemon really sleeps its interval (${elapsed}s >= 5.9s)" \
	test "$(echo "$elapsed >= 5.9" | bc)" = 1
check "the cycle log has the thesis block" grep -qE '^value: +60$' "$T/vmmanage.log"
check "counts as the thesis log shows them" \
	test "$(grep -E '^count:' "$T/vmmanage.log" | head -5 | awk '{print $2}' | tr '\n' ' ')" = "1 2 0 1 2 "
check "the firing cycle logs the count that fired, as the thesis did (count == tarry)" \
	test "$(grep -E '^count:' "$T/vmmanage.log" | sed -n 6p | awk '{print $2}')" = 3
check "an unknown sample is logged as unknown, not 0" grep -qE '^value: +unknown \(' "$T/vmmanage.log"
check "the request is logged in the thesis words" \
	grep -qE '^[0-9]+ .* testvm: Requesting migration of VM: just moving$' "$T/vmmanage.log"
check "confirmation logged" grep -q 'Move to h2 confirmed' "$T/vmmanage.log"
check "a machine-readable line per cycle" test "$(grep -c '"type":"cycle"' "$T/vmmanage.json")" -ge 14
check "an unknown sample has value null in JSON" grep -q '"value":null,"why":' "$T/vmmanage.json"
check "the state remembers the location" grep -qx 'location=h1' "$T/state/state"
finish
