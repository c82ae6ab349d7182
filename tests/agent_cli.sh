#!/bin/bash
# SPDX-License-Identifier: ISC
# The control socket and the CLI: status, actions through the guard and endpoint, a move
# in flight refused politely, reload (good and broken), no daemon.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

# (near_best 0: the hosts nothing is known of in the array's order, h2 after h1)
agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 3' 'daemon_interval = 0.3' \
	'cooldown = 0' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2", "h3"]' 'base = "cheap"' \
	'location = "h1"' 'endpoint_timeout = 2' 'near_best = 0'
values 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
vmm status > "$T/nodaemon.out" 2>&1; rc=$?
check "no daemon: exit 2 ($rc)" test "$rc" = 2
check "no daemon: says so" grep -q 'is vmmanage running' "$T/nodaemon.out"

agent_start
wait_cycles 2 || fail "2 cycles"
vmm status > "$T/status.out"; rc=$?
check "status exits 0" test "$rc" = 0
for field in 'policy: threshold' 'sensor: exec (higher_is_worse)' 'endpoint: exec' \
	'threshold: 50' 'count: 0' 'location: h1' 'last request: none' 'guard: cooldown 0 s'; do
	check "status shows '$field'" grep -q "^$field" "$T/status.out"
done
check "status shows the last samples" grep -qE '^last samples: 7 8' "$T/status.out"

out=$(vmm move_to_base); rc=$?
check "move_to_base through the CLI: exit 0 ($out)" test "$rc" = 0
wait_for 15 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q 'last request: move_to_base to cheap.*confirmed'" \
	&& ok "status shows the outcome" || fail "status shows the outcome"
check "the endpoint ran move_to_base cheap" grep -q 'move_to_base cheap' "$T/moves"
out=$(vmm move_to_base 2>&1); rc=$?
check "again: nothing to do, exit 0 ($out)" sh -c "test $rc = 0 && echo '$out' | grep -q 'Already at base'"
# status_has REGEX: a line of `vmmanage status` matches
status_has() { vmm status 2>/dev/null | grep -qE -- "$1"; }
out=$(vmm move_down 2>&1); rc=$?
check "move_down at the base: nothing to do, exit 0 ($out)" \
	sh -c "test $rc = 0 && echo '$out' | grep -q 'nothing to do'"
out=$(vmm move_up 2>&1); rc=$?
check "move_up: requested, exit 0 ($out)" test "$rc" = 0
check "move_up from the base goes into the array: confirmed on h1" \
	wait_for 15 status_has '^last request: move_up to h1.*confirmed'
check "the endpoint ran move_up h1" grep -q '^move_up h1' "$T/moves"
# the next move must find the agent done with this one
check "the move_up has ended" wait_for 15 status_has '^in flight: no$'

echo hang > "$T/mode"
out=$(vmm move 2>&1); rc=$?
check "a move with nothing in flight: accepted, exit 0 ($out)" test "$rc" = 0
check "it is in flight" wait_for 10 status_has '^in flight: h2'
out=$(vmm move 2>&1); rc=$?
check "a second move while one is in flight is refused: exit $rc" test "$rc" = 1
check "politely ($out)" sh -c "echo '$out' | grep -q 'in flight'"
check "status shows it in flight" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^in flight: h2'"
echo confirm > "$T/mode"
wait_for 15 grep -q 'Move to h2 failed (timeout)' "$T/vmmanage.log" \
	&& ok "a hung endpoint is killed at endpoint_timeout and logged as a timeout" || fail "endpoint timeout"
out=$(vmm dance 2>&1); rc=$?
check "an unknown command: exit 1 ($out)" test "$rc" = 1

sed -i 's/^threshold = 50/threshold = 77/' "$T/vmm.conf"
out=$(vmm reload 2>&1); rc=$?
check "reload: exit 0 ($out)" test "$rc" = 0
wait_for 15 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^threshold: 77'" \
	&& ok "the new threshold is in force" || fail "new threshold in force"
sed -i 's/^threshold = 77/threshold = "abc"/' "$T/vmm.conf"
out=$(vmm reload 2>&1); rc=$?
check "a broken reload: exit 1" test "$rc" = 1
check "says where and why ($out)" sh -c "echo '$out' | grep -q 'vmm.conf:[0-9]*: threshold: expected a number'"
check "the old config stays" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^threshold: 77'"
check "the daemon still runs" kill -0 "$AGENT_PID"
# a file that does not parse at all (mid-edit) still lets the administrator in with -s,
# and without -s the client says why it falls back to the default socket
echo 'broken = ' >> "$T/vmm.conf"
out=$("$VMMANAGE" -c "$T/vmm.conf" -s "$T/vmmanage.sock" status 2>&1); rc=$?
check "with -s, status works over a file that does not parse: exit $rc" test "$rc" = 0
out=$(vmm status 2>&1); rc=$?
check "without -s: the parse error and the fallback are said ($out)" \
	sh -c "echo '$out' | grep -q 'warning: .*vmm.conf:[0-9]*: .*trying the default socket'"
sed -i '/^broken = $/d' "$T/vmm.conf"
agent_stop
check "SIGTERM removes the pid file" test ! -e "$T/vmmanage.pid"
check "and the socket" test ! -e "$T/vmmanage.sock"

# Before the first cycle ends (a sensor slow to answer), status shows the
# configured thresholds, not 0.
agent_conf 'policy = "base"' 'threshold = 50' 'lowthreshold = 4' 'daemon_interval = 60' \
	'sensor_timeout = 50' 'hosts = ["h1", "h2"]' 'base = "cheap"' 'location = "h1"'
sed -i 's|^sensor_command = .*|sensor_command = ["/bin/sleep", "44.75"]|' "$T/vmm.conf"
rm -f "$T/vmmanage.log"
agent_start
vmm status > "$T/first.out" 2>&1
check "before the first cycle: 'threshold: 50'" grep -q '^threshold: 50$' "$T/first.out"
check "and 'lowthreshold: 4'" grep -q '^lowthreshold: 4$' "$T/first.out"
check "and no cycle has ended yet" test "$(cycles)" = 0
vmm status --json > "$T/first.json" 2>&1
check "status --json: threshold 50" grep -q '"threshold":50[,}]' "$T/first.json"
# and a stop does not wait for that sensor's command: it is killed (sensor_timeout 50 s)
check "the sensor's command runs" wait_for 10 pgrep -f -x '/bin/sleep 44.75' >/dev/null
t0=$(date +%s.%N)
agent_stop
took=$(echo "$(date +%s.%N) - $t0" | bc -l)
check "the stop took under 10 s with the sensor hung ($took s)" test "$(echo "$took < 10" | bc)" = 1
check "the sensor's command is gone" sh -c "! pgrep -f -x '/bin/sleep 44.75'"
check "the stop says the sample was abandoned" grep -q 'the sample in progress is abandoned' "$T/agent.out"
finish
