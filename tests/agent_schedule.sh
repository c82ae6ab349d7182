#!/bin/bash
# SPDX-License-Identifier: ISC
# The schedule policy in the running daemon: outside working hours it asks for the base
# once and nothing else, however bad the indicator; a reload (SIGHUP) that puts now inside
# working hours gives the base policy's behaviour.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
export TZ=UTC
h=$(date -u +%H); h=${h#0}
rest_start=$(printf '%02d:00' $(( (h + 2) % 24 ))); rest_stop=$(printf '%02d:00' $(( (h + 3) % 24 )))
common=('policy = "schedule"' 'threshold = 50' 'tarry = 2' 'lowthreshold = 1' 'lowtarry = 3'
	'daemon_interval = 0.3' 'cooldown = 1' 'max_moves_per_hour = 0'
	'hosts = ["h1", "h2"]' 'base = "cheap"' 'location = "h1"' 'target_choice = "round_robin"')

agent_conf "${common[@]}" "work_hours = \"$rest_start-$rest_stop\"" 'work_days = "Mon-Sun"'
values 90 90 90 90 90 90 0 0 0 0 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90 90
agent_start
wait_cycles 8 || fail "8 cycles"
check "resting: exactly one move_to_base ($(moves | tr '\n' ' '))" test "$(moves | tr '\n' ' ')" = "move_to_base cheap "
check "the block says it rests" grep -qE '^resting: +yes$' "$T/vmmanage.log"
check "status says it rests" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^resting: yes'"

# now inside working hours: the base policy takes over at the next cycles
sed -i "s/^work_hours = .*/work_hours = \"00:00-24:00\"/" "$T/vmm.conf"
kill -HUP "$AGENT_PID"
wait_for 20 grep -q 'Reloaded' "$T/vmmanage.log" || fail "reload logged"
wait_for 20 sh -c "grep -q '^move h1' '$T/moves'" || true
agent_stop
check "working hours: high load moves it back into the array ($(moves | tr '\n' ' '))" \
	sh -c "moves=\$(tr '\n' ' ' < '$T/moves'); case \"\$moves\" in 'move_to_base cheap move h1 '*) exit 0;; *) exit 1;; esac"
check "never to the base by move" sh -c "! grep -q '^move cheap' '$T/moves'"

# rest_monitoring = false: the sensor is not run while resting
rm -rf "$T/state" "$T/vmmanage.log"
agent_conf "${common[@]}" "work_hours = \"$rest_start-$rest_stop\"" 'rest_monitoring = false'
values 1 2 3 4 5 6 7 8 9 10
agent_start
wait_cycles 6 || fail "6 cycles"
agent_stop
check "sensor run only for the first cycle ($(cat "$T/sensor.idx"))" test "$(cat "$T/sensor.idx")" = 1
finish
