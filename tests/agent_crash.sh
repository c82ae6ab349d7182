#!/bin/bash
# SPDX-License-Identifier: ISC
# The agent killed (kill -9) while its endpoint carries out a move: at the next start the
# request is found again (reconciled, its outcome unknown to an endpoint that cannot say
# where the VM runs) and never made again. The request is made durable before the call
# as one block, state_dir/request; the state file is written while the endpoint works.
# Then the same with a state file that cannot be replaced at all (its temporary file's
# name taken by a directory): the request record alone carries the move across the crash.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.2' \
	'cooldown = 0' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2"]' 'location = "h1"' \
	'near_best = 0'
# one sample over the threshold, then quiet: one request in all
values 99 $(yes 1 | head -300)
# the endpoint call waits for $T/mode.open (the recorder's gate), which never comes
echo gate > "$T/mode"
on_exit "touch '$T/mode.open' '$T/mode2.open'"
agent_start
wait_for 20 grep -qx 'move h2' "$T/moves" || fail "the endpoint was called: $(tail -3 "$T/vmmanage.log")"
check "the request record names the move, before the call" \
	sh -c "grep -qx 'action=move' '$T/state/request' && grep -qx 'target=h2' '$T/state/request'"
check "it is one block" test "$(stat -c %s "$T/state/request")" = 512
wait_for 10 grep -qx 'pending_target=h2' "$T/state/state" && ok "the state file follows during the call" ||
	fail "state: $(cat "$T/state/state")"
kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
# the killed agent's endpoint child may still wait at the gate: let it go
touch "$T/mode.open"

agent_start
wait_for 15 grep -q 'A move to h2 requested at [0-9]* had no answer before the restart' "$T/vmmanage.log" \
	&& ok "restarted, the agent reconciles the move to h2" || fail "reconcile: $(tail -3 "$T/vmmanage.log")"
check "status: the last request, to h2, unknown" \
	sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^last request: move to h2 at .*: unknown'"
wait_cycles $(($(cycles) + 3)) 20 || fail "the agent's cycles go on"
check "the request was not made again (one call: $(moves | tr '\n' ' '))" test "$(moves | wc -l)" = 1
agent_stop
n=$(sed -n 's/^requests=//p' "$T/state/state")

# the state file cannot be replaced: the request record alone must tell
sed -i "s|\"$T/mode\"|\"$T/mode2\"|" "$T/vmm.conf"
echo gate > "$T/mode2"
mkdir "$T/state/.state.tmp"
: > "$T/moves"
values 99 $(yes 1 | head -300)
rm -f "$T/sensor.idx"
agent_start
wait_for 20 grep -qx 'move h1' "$T/moves" || fail "the endpoint was called again: $(tail -3 "$T/agent.out")"
check "the state file could not be written" grep -q "state: .*\.state\.tmp" "$T/agent.out"
check "the state file still says $n requests, nothing pending" \
	sh -c "grep -qx 'requests=$n' '$T/state/state' && grep -qx 'pending_target=' '$T/state/state'"
kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
touch "$T/mode2.open"

agent_start
wait_for 15 grep -q "state: request $((n + 1)) (move to h1) was made after the state file was last written" "$T/agent.out" \
	&& ok "restarted, the agent finds request $((n + 1)) in the request record" || fail "start: $(tail -3 "$T/agent.out")"
wait_for 15 grep -q 'A move to h1 requested at [0-9]* had no answer before the restart' "$T/vmmanage.log" \
	&& ok "and reconciles the move to h1" || fail "reconcile: $(tail -3 "$T/vmmanage.log")"
check "status: the last request, to h1, unknown; the VM assumed on h1" \
	sh -c "'$VMMANAGE' -c '$T/vmm.conf' status > '$T/status' && grep -q '^last request: move to h1 at .*: unknown' '$T/status' &&
	grep -q '^location: h1' '$T/status'"
wait_cycles $(($(cycles) + 3)) 20 || fail "the agent's cycles go on"
check "the request was not made again (one call: $(moves | tr '\n' ' '))" test "$(moves | wc -l)" = 1
agent_stop

# a record a crash cut short (its checksum fails) announced a call never made: ignored
rmdir "$T/state/.state.tmp"
agent_start
wait_for 10 grep -qx "requests=$((n + 1))" "$T/state/state" || fail "the state file is written again"
agent_stop
sed -i "s/^request=$((n + 1))\$/request=$((n + 9))/" "$T/state/request"
check "the record now says request $((n + 9))" grep -qx "request=$((n + 9))" "$T/state/request"
: > "$T/agent.out"
agent_start
wait_cycles $(($(cycles) + 2)) 20 || fail "the agent's cycles go on"
check "a record that fails its checksum is not taken for a request" \
	sh -c "! grep -q 'state: request' '$T/agent.out' && grep -qx 'requests=$((n + 1))' '$T/state/state'"
check "status: the last request, to h1, still unknown" \
	sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^last request: move to h1 at .*: unknown'"
agent_stop
finish
