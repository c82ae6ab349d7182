#!/bin/bash
# SPDX-License-Identifier: ISC
# The base policy in the running daemon: a quiet spell sends the VM to the base once;
# "Already at base" requests nothing; high load brings it back into the array, never to
# the base. Then Listing 4.3's sequence gives the thesis's counters in the log.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

agent_conf 'policy = "base"' 'threshold = 50' 'tarry = 2' 'lowthreshold = 1' 'lowtarry = 3' \
	'daemon_interval = 0.3' 'cooldown = 1' 'max_moves_per_hour = 0' \
	'hosts = ["h1", "h2"]' 'base = "cheap"' 'location = "h1"' 'target_choice = "round_robin"'
# (cooldown 1 s: each move has ended before the next sample, even on a busy machine)
values 0 0 0  0 0 0  60 60  60 60  5
agent_start
wait_cycles 11 || fail "11 cycles (got $(cycles))"
agent_stop
check "to the base, then back to the array, then on: $(moves | tr '\n' ' ')" \
	test "$(moves | tr '\n' ' ')" = "move_to_base cheap move h1 move h2 "
check "the second quiet spell finds it at the base" grep -q 'testvm: Already at base' "$T/vmmanage.log"
check "lowcount and lowthreshold in the block" grep -qE '^lowthreshold: +1$' "$T/vmmanage.log"

# idle at the base: the policy asks for the base every lowtarry cycles; that it is there
# already is said once per idle spell, not every time, with a count when the agent stops
rm -rf "$T/state" "$T/vmmanage.log" "$T/vmmanage.json"
agent_conf 'policy = "base"' 'threshold = 50' 'tarry = 2' 'lowthreshold = 1' 'lowtarry = 2' \
	'daemon_interval = 0.3' 'cooldown = 0' 'max_moves_per_hour = 0' \
	'hosts = ["h1", "h2"]' 'base = "cheap"' 'location = "cheap"'
values 0 0 0 0 0 0 0 0 0 0 0 0
agent_start
wait_cycles 12 || fail "12 cycles (got $(cycles))"
agent_stop
check "12 idle cycles at the base: 'Already at base' once ($(grep -c 'Already at base' "$T/vmmanage.log"))" \
	test "$(grep -c 'testvm: Already at base$' "$T/vmmanage.log")" = 1
check "the stop ends the spell and says how often it came" \
	grep -qE 'testvm: Already at base: [2-6] times in all$' "$T/vmmanage.log"
check "no request from the base" test -z "$(moves)"

# base_recall in the daemon: the base's quarter hours come from state_dir/hosts (as an
# agent that ran on earlier days wrote them); resting on the base, the VM leaves ahead of
# one that was over the threshold on two days, says why, and status shows what it knows
rm -rf "$T/state" "$T/vmmanage.log" "$T/vmmanage.json"
mkdir -p "$T/state"
now=$(date +%s)
# the quarter hour after the next: the one sampled now (a day seen fine replaces the bad
# one) is never it, even when the agent starts a slot later
soon=$(( ((10#$(date -d "@$now" +%H) * 60 + 10#$(date -d "@$now" +%M)) / 15 + 2) % 96 ))
at=$(printf '%02d:%02d' $((soon * 15 / 60)) $((soon * 15 % 60)))
printf 'day\tcheap\t%d\t%d.000\t120\t90\n' "$soon" $((now - 86000)) > "$T/state/hosts"
agent_conf 'policy = "base"' 'threshold = 50' 'tarry = 2' 'lowthreshold = 1' 'lowtarry = 100' \
	'daemon_interval = 0.3' 'cooldown = 0' 'max_moves_per_hour = 0' \
	'hosts = ["h1", "h2"]' 'base = "cheap"' 'location = "cheap"' 'base_recall = 604800' \
	'base_lead = 1800'
values $(yes 5 | head -300) # neither busy nor idle: the policy asks for nothing
agent_start
moved_ahead() { moves | grep -qE '^move h[12]$'; }
check "at the base, within base_lead of $at (over 50 there on two days), it leaves: $(moves | tr '\n' ' ')" \
	wait_for 20 moved_ahead
check "and says why" grep -q "base_lead: leaving cheap ahead of $at, when it was 90 there on two days, the last 24 h ago (threshold 50)" \
	"$T/vmmanage.log"
vmm status > "$T/status.txt"
check "status shows the quarter hour" grep -qx "base at $at: 120, 24 h ago; 90 the day before" "$T/status.txt"
check "and so does its JSON" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status --json | grep -q '\"base_day\":\[{\"at\":\"$at\",\"worst\":120,\"before\":90,'"
agent_stop
check "what it knows is written back to state_dir/hosts" \
	grep -qP "^day\tcheap\t$soon\t[0-9.]+\t120\t90$" "$T/state/hosts"

# Listing 4.3 (scenario 2, nii3): threshold 50, lowthreshold 1, lowtarry 20
rm -rf "$T/state" "$T/vmmanage.log" "$T/vmmanage.json"
agent_conf 'policy = "base"' 'threshold = 50' 'tarry = 3' 'lowthreshold = 1' 'lowtarry = 20' \
	'daemon_interval = 0.3' 'hosts = ["h1", "h2"]' 'base = "cheap"'
values 0 0 0 0 0 0 76
agent_start
wait_cycles 7 || fail "7 cycles"
agent_stop
got=$(awk '/^count:/{c=$2} /^lowcount:/{printf "%s/%s ", c, $2}' "$T/vmmanage.log" | cut -d' ' -f1-7)
check "Listing 4.3's counters: $got" test "$got" = "0/1 0/2 0/3 0/4 0/5 0/6 1/0"
check "no request in that sequence" test -z "$(moves)"
finish
