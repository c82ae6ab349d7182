#!/bin/bash
# SPDX-License-Identifier: ISC
# anticipate, in the running daemon: an indicator climbing toward the threshold moves the
# VM before any sample crosses it, and the reason says where it was heading; with
# anticipate = 0 the same samples move nothing (the thesis waited for the crossing).
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

common=('policy = "threshold"' 'threshold = 50' 'tarry = 2' 'daemon_interval = 0.5'
	'cooldown = 0.5' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2"]' 'location = "h1"'
	'target_choice = "round_robin"')
# a climb toward the threshold that stops short of it; on h2 the load is flat
climb=(0 25 40 45 30 30 30 30 30 30 30 30)

agent_conf "${common[@]}" 'anticipate = 3'
values "${climb[@]}"
agent_start
wait_for 30 grep -q 'Move to h2 confirmed' "$T/vmmanage.log" || fail "a move before the crossing"
agent_stop
check "one move, to h2 ($(moves | tr '\n' ' '))" test "$(moves | tr '\n' ' ')" = "move h2 "
check "no sample was above the threshold" sh -c "! grep -qE '^value: +(5[1-9]|[6-9][0-9])' '$T/vmmanage.log'"
check "the reason says where the indicator was heading" \
	grep -qE 'Now using h2 \(indicator 45 heading above 50 \([0-9.]+ in 3 s\) for 2 cycles\)$' "$T/vmmanage.log"

# the same climb without looking ahead: it never crosses, nothing moves
agent_conf "${common[@]}" 'anticipate = 0'
rm -rf "$T/state" "$T/vmmanage.log" "$T/vmmanage.json"
values "${climb[@]}"
agent_start
wait_cycles 12 || fail "12 cycles within 30 s (got $(cycles))"
agent_stop
check "anticipate = 0: no move ($(moves | wc -l))" test "$(moves | wc -l)" = 0
check "anticipate = 0: no cycle counted" sh -c "! grep -qE '^count: +[1-9]' '$T/vmmanage.log'"
finish
