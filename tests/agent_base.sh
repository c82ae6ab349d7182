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
