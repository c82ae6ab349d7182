#!/bin/bash
# SPDX-License-Identifier: ISC
# Moving less, in the running daemon: mode recommend and -n decide without acting; the
# circuit breaker stops a hopping VM until `vmmanage resume`; warm-up and min_stay hold
# the first move back; each confirmed move's efficacy is measured and logged.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

common=('policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.3'
	'cooldown = 0.3' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2"]' 'location = "h1"'
	'target_choice = "round_robin"')

# mode recommend: the decision and its target are logged, nothing is requested
agent_conf "${common[@]}" 'mode = "recommend"'
values $(yes 60 | head -40)
agent_start
wait_for 20 grep -q 'Recommend move to h2' "$T/vmmanage.log" || fail "a recommendation"
status=$(vmm status)
agent_stop
check "mode recommend: nothing requested ($(moves | wc -l) moves)" test "$(moves | wc -l)" = 0
check "the recommendation says what, why and that it did not act" \
	grep -q 'Recommend move to h2 (indicator 60 above 50 for 1 cycles): not acting, mode recommend' "$T/vmmanage.log"
check "status shows the mode and the recommendation" \
	sh -c "echo '$status' | grep -qx 'mode: recommend' && echo '$status' | grep -q '^recommendation: move to h2 (indicator 60'"

# each part starts with no state and an empty log
fresh() { rm -rf "$T/state" "$T/vmmanage.log" "$T/vmmanage.json"; }

# -n: the same for a config that says automatic, for this run only
agent_conf "${common[@]}"
fresh
values $(yes 60 | head -40)
"$VMMANAGE" -c "$T/vmm.conf" -f -n >"$T/agent.out" 2>&1 &
AGENT_PID=$!
on_exit "kill $AGENT_PID"
wait_for 20 grep -q 'Recommend move to h2' "$T/vmmanage.log" || fail "-n recommends"
agent_stop
check "-n: no request either ($(moves | wc -l))" test "$(moves | wc -l)" = 0

# the breaker: 3 moves within the window, then recommendations only, until resume
agent_conf "${common[@]}" 'breaker_moves = 3' 'breaker_window = 600' 'breaker_hold = 0'
fresh
values $(yes 60 | head -200)
agent_start
wait_for 20 grep -q 'Recommend move' "$T/vmmanage.log" || fail "the breaker trips"
# the policy goes on deciding to move: three of its moves held back by the breaker
recommended() { [ "$(count_lines 'Recommend move.*breaker tripped' "$T/vmmanage.log")" -ge 3 ]; }
wait_for 20 recommended || fail "three moves recommended while tripped"
held=$(moves | wc -l)
status=$(vmm status)
out=$(vmm resume)
wait_for 20 sh -c "[ \$(wc -l < '$T/moves') -gt $held ]" || fail "moves again after resume"
agent_stop
check "three moves, then the breaker holds ($held)" test "$held" = 3
check "the breaker is a warning in the log" \
	grep -q 'Warning: breaker: 3 moves within 10 min; acting on its own again after `vmmanage resume`' "$T/vmmanage.log"
check "while tripped the policy's moves are recommended only" \
	grep -q 'Recommend move to h[12] .*: not acting, breaker tripped' "$T/vmmanage.log"
check "status says the breaker is tripped" sh -c "echo '$status' | grep -q '^breaker: breaker tripped'"
check "vmmanage resume answers ($out)" test "$out" = "resumed: acting on its own again"
check "the resume is logged" grep -q 'Resumed by the administrator' "$T/vmmanage.log"

# warm-up and min_stay after the start; then efficacy: 60s before, 10s after
agent_conf "${common[@]}" 'warmup = 1.5' 'min_stay = 2' 'efficacy_window = 3'
# the indicator is 60 on h1 and 10 once the move to h2 is confirmed, whenever that is
cat > "$T/by-host" <<EOF
#!/bin/sh
if grep -q 'Move to h2 confirmed' '$T/vmmanage.log'; then echo 10; else echo 60; fi
EOF
chmod +x "$T/by-host"
sed -i "s|^sensor_command = .*|sensor_command = [\"$T/by-host\"]|" "$T/vmm.conf"
fresh
agent_start
wait_for 20 grep -q 'Move to h2 confirmed' "$T/vmmanage.log" || fail "the move"
wait_for 20 grep -q 'Efficacy of the move' "$T/vmmanage.log" || fail "efficacy measured"
status=$(vmm status)
agent_stop
check "the first samples after the start do not count" grep -q '"reason":"warming up: ' "$T/vmmanage.json"
check "min_stay holds the policy's move, naming the rule" \
	grep -q 'Suppressed move to h2 from policy: min_stay: ' "$T/vmmanage.log"
check "then the move goes out: one move ($(moves | tr '\n' ' '))" test "$(moves | tr '\n' ' ')" = "move h2 "
check "the move's efficacy is logged: 60 before, 10 after" \
	grep -q 'Efficacy of the move h1 -> h2: mean 60 before, 10 after: gain 50 (better)' "$T/vmmanage.log"
check "status keeps it" sh -c "echo '$status' | grep -q '^efficacy h1 -> h2: mean 60 before, 10 after, gain 50'"
# and vmmanage-report reads it from the log
report=$("$top_builddir/src/report/vmmanage-report" "$T/vmmanage.log" 2>&1)
check "vmmanage-report shows the move's efficacy: 1 measured, gain 50" \
	sh -c "echo '$report' | grep -qE '^testvm +1 +50 +50$'"
finish
