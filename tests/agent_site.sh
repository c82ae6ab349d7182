#!/bin/bash
# SPDX-License-Identifier: ISC
# The site policy in the running daemon: enough big jobs at home move the VM away
# (cross-site), few bring it home; otherwise the queue is processed where it is.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

agent_conf 'policy = "site"' 'threshold = 2' 'bigjobs = "grade a"' 'daemon_interval = 0.3' \
	'cooldown = 1' 'max_moves_per_hour = 0' 'home = ["h1", "h2"]' 'away = ["aws1"]' \
	'location = "h1"'
#     home: 1 job -> process here; 3 -> move away; away: 5 -> process there; 0 -> home
values 1 3 5 0 1 1 1 1 1 1
agent_start
wait_cycles 10 || fail "10 cycles"
agent_stop
check "away and home again ($(moves | tr '\n' ' '))" \
	test "$(moves | tr '\n' ' ')" = "move_from_home aws1 move_to_home h1 "
check "processing at home is logged" grep -q 'testvm: Would process: at home now' "$T/vmmanage.log"
# home, away, home: three episodes of processing, each said once however many cycles it lasts
check "each processing episode said once ($(grep -c 'Would process:' "$T/vmmanage.log") lines)" \
	test "$(grep -c 'testvm: Would process: at home now$' "$T/vmmanage.log")" = 2 -a \
	"$(grep -c 'testvm: Would process: away from home now$' "$T/vmmanage.log")" = 1
check "processing away is logged" grep -q 'testvm: Would process: away from home now' "$T/vmmanage.log"
check "the move away in the thesis words" grep -q 'Now using aws1 —moving from home' "$T/vmmanage.log"
check "a site round trip is the policy's design, not a ping-pong" \
	bash -c "! grep -q 'ping-pong' '$T/vmmanage.log'"

# on the base (a cheap host of the home site) the site moves are not "location unknown"
rm -rf "$T/state" "$T/vmmanage.log"
agent_conf 'policy = "site"' 'threshold = 2' 'bigjobs = "grade a"' 'daemon_interval = 0.3' \
	'cooldown = 0' 'max_moves_per_hour = 0' 'home = ["h1", "h2"]' 'away = ["aws1"]' \
	'base = "cheap"' 'location = "cheap"'
values $(for i in $(seq 100); do echo 0; done)
agent_start
out=$(vmm move_to_home 2>&1); rc=$?
check "move_to_home on the base: at home already, exit 0 ($out)" \
	sh -c "test $rc = 0 && echo '$out' | grep -q 'Already at the home site (on the base)'"
out=$(vmm move_from_home 2>&1); rc=$?
check "move_from_home on the base goes away: exit 0 ($out)" test "$rc" = 0
wait_for 15 grep -q '^move_from_home aws1' "$T/moves" && ok "the endpoint ran move_from_home aws1" \
	|| fail "the endpoint ran move_from_home aws1 ($(moves | tr '\n' ' '))"
agent_stop
check "never 'location unknown' on the base" bash -c "! grep -q 'location unknown' '$T/vmmanage.log'"
finish
