#!/bin/bash
# The site policy in the running daemon: enough big jobs at home move the VM away
# (cross-site), few bring it home; otherwise the queue is processed where it is.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

agent_conf 'policy = "site"' 'threshold = 2' 'bigjobs = "grade a"' 'daemon_interval = 0.3' \
	'cooldown = 1' 'max_moves_per_hour = 0' 'home = ["h1", "h2"]' 'away = ["aws1"]' \
	'location = "h1"'
#     home: 1 job -> process here; 3 -> move away; away: 5 -> process there; 0 -> home
values 1 3 5 0 1
agent_start
wait_cycles 5 || fail "5 cycles"
agent_stop
check "away and home again ($(moves | tr '\n' ' '))" \
	test "$(moves | tr '\n' ' ')" = "move_from_home aws1 move_to_home h1 "
check "processing at home is logged" grep -q 'testvm: Would process: at home now' "$T/vmmanage.log"
check "processing away is logged" grep -q 'testvm: Would process: away from home now' "$T/vmmanage.log"
check "the move away in the thesis words" grep -q 'Now using aws1 —moving from home' "$T/vmmanage.log"
finish
