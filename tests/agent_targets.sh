#!/bin/bash
# SPDX-License-Identifier: ISC
# Target choice and failure handling in the running daemon. Learned: `move` tries hosts it
# knows nothing of first, then the one where the indicator was best, and logs why. A failed
# move backs that host off (doubling, capped) and the next host is tried; with every host
# backing off no request goes out, yet sampling goes on; once the endpoint works again
# the move succeeds. What was learned, and the time of each move, outlive a restart.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

# h1: 60 (bad) -> h2 (unknown); h2: 10 10 70 -> h3 (still unknown);
# h3: 80 -> h1 had 60, h2 had a mean of 30: learned picks h2 where round robin says h1
# (both were just left: pingpong_gain 0.5 lets h2, better by more than half, be chosen;
# at the default 0, h2, left last, would be passed over; near_best 0: hosts nothing is
# known of are tried in the array's order, not drawn among)
agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.3' \
	'cooldown = 0.5' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2", "h3"]' 'location = "h1"' \
	'pingpong_gain = 0.5' 'near_best = 0'
values 60 10 10 70 80 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10
agent_start
wait_for 30 sh -c "[ \$(wc -l < '$T/moves' 2>/dev/null || echo 0) -ge 3 ] && grep -q 'Move to h2 confirmed.*' '$T/vmmanage.log'" ||
	fail "three moves within 30 s: $(moves | tr '\n' ' ')"
wait_cycles 8
status=$(vmm status)
agent_stop
check "unknown hosts first, then the best known: $(moves | tr '\n' ' ')" \
	test "$(moves | tr '\n' ' ')" = "move h2 move h3 move h2 "
check "the choice is logged with the means" \
	grep -qE 'Chose h2: learned: h1: mean 60 over [0-9.]+ h; h2: mean 30 over [0-9.]+ h \(chosen\); h3: mean 80 over [0-9.]+ h \(here\)' "$T/vmmanage.log"
check "the first choice says h2 was unknown" grep -q 'Chose h2: learned: h2: nothing known yet (chosen)' "$T/vmmanage.log"
check "status lists what was learned of h2 ($status)" sh -c "echo '$status' | grep -qE '^host h2: mean [0-9.]+ over'"
check "status shows the measured move time h1 -> h2" sh -c "echo '$status' | grep -qE '^move time h1 -> h2: [0-9.]+ s mean over 1,'"
check "state_dir/hosts keeps the pairs" grep -qE '^move	h3	h2	1	' "$T/state/hosts"

# a restart remembers: h1 60 and h3 80 are known, h2 is best
agent_start
status=$(vmm status)
check "after a restart h3's mean is still known" sh -c "echo '$status' | grep -qE '^host h3: mean 80 over'"
# from the CLI: h2 -> h1 (60 beats 80), then h1 -> h2, a pair moved before: its T_M is told
idle() { "$VMMANAGE" -c "$T/vmm.conf" status | grep -q '^in flight: no'; }
vmm move >/dev/null && wait_for 10 idle && sleep 0.6 && vmm move >/dev/null && wait_for 10 idle ||
	fail "two CLI moves"
agent_stop
check "the CLI's moves follow what was learned: $(moves | tail -2 | tr '\n' ' ')" \
	test "$(moves | tail -2 | tr '\n' ' ')" = "move h1 move h2 "
check "a request for a pair moved before says how long it took (T_M)" \
	grep -qE 'Moves h1 -> h2 took [0-9.]+ s on average \(1 so far\)' "$T/vmmanage.log"

# every move fails: each host backs off, doubling up to the cap; no request storm
# (near_best 0: the hosts nothing is known of in the array's order)
agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.3' \
	'cooldown = 0.3' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2", "h3"]' 'location = "h1"' \
	'retry_backoff = 2' 'retry_backoff_max = 4' 'near_best = 0'
rm -rf "$T/state"
values $(seq 60 200)
echo fail > "$T/mode"
agent_start
sleep 9
stormless=$(moves | wc -l)
c1=$(cycles)
echo confirm > "$T/mode"
wait_for 20 grep -q 'Move to h[23] confirmed' "$T/vmmanage.log" || fail "a move succeeds once the endpoint works"
agent_stop
# without backoff: a request every 0.6 s, 15 in 9 s; with it: h2, h3 at once, both
# again after 2 s, then after 4 s: 6 or 7
check "no request storm: $stormless requests in 9 s" test "$stormless" -ge 4 -a "$stormless" -le 8
check "a failed target is skipped: h2 then h3 ($(moves | head -2 | tr '\n' ' '))" \
	test "$(moves | head -2 | tr '\n' ' ')" = "move h2 move h3 "
check "the failure and the wait are logged" \
	grep -q 'Move to h2 failed (refused): .*exited with status 3.*; backing off h2 for 2 s (1 failure in a row)' "$T/vmmanage.log"
check "the wait doubles" grep -q 'backing off h2 for 4 s (2 failures in a row)' "$T/vmmanage.log"
check "and stops at retry_backoff_max" sh -c "! grep -q 'backing off h2 for 8 s' '$T/vmmanage.log'"
check "with every host backing off the policy's request is held, saying why" \
	grep -q 'Suppressed move from policy: no host to move to: h2 is backing off' "$T/vmmanage.log"
check "sampling went on all along ($c1 cycles in 9 s)" test "$c1" -ge 20
check "status after the success: no backoff left for the host it moved to" \
	sh -c "! grep -q 'backing off' '$T/state/hosts'"
finish
