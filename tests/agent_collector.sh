#!/bin/bash
# SPDX-License-Identifier: ISC
# The agent's events reach vmmanage-collector in the thesis format, with the cycle's
# values in a compact line; a collector that is down costs nothing: the events wait in
# the spool and arrive once it is up, each once.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
COLLECTOR=$top_builddir/src/collector/vmmanage-collector
port=$(free_port)
printf 'listen = ["127.0.0.1:%s"]\nstate_dir = "%s"\n' "$port" "$T/cstate" > "$T/collector.conf"
mkdir -p "$T/cstate" && chown nobody "$T/cstate"

agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 2' 'daemon_interval = 0.2' \
	'cooldown = 0' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2"]' 'location = "h1"' \
	"collector = \"127.0.0.1:$port\""
values 60 60 1 1 1 1 1 1 1 1 1 1 1 60 60 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
agent_start        # the collector is not up yet
wait_cycles 5 || fail "5 cycles"
check "status: not connected, messages spooled" \
	sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qE '^collector: 127.0.0.1:$port \(not connected.*[1-9][0-9]* messages spooled'"
# the collector opens its output as its user (nobody, when started as root)
touch "$T/central.log" && chown nobody "$T/central.log" 2>/dev/null
"$COLLECTOR" -c "$T/collector.conf" -f -o "$T/central.log" 2>"$T/collector.err" &
cpid=$!
on_exit "kill $cpid"
wait_for 20 grep -q 'testvm: Move to h2 confirmed' "$T/central.log" || fail "events arrive after the collector starts"
wait_cycles 20 || fail "20 cycles"
agent_stop
# the agent's last event, after every cycle's: then the collector has written them all
wait_for 20 grep -q 'testvm: Stopping VMManage' "$T/central.log" || fail "the stop event arrives"
kill "$cpid"; wait "$cpid" 2>/dev/null
re='^[0-9]+ [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [A-Z]+ [0-9]{4} testvm: '
check "thesis line format" grep -qE "${re}Requesting migration of VM: just moving$" "$T/central.log"
check "start and stop" sh -c "grep -qE '${re}Starting VMManage' '$T/central.log' && grep -qE '${re}Stopping VMManage' '$T/central.log'"
check "cycle values in a compact line" grep -qE "${re}cycle exec=60 count=1 threshold=50 action=none location=h1$" "$T/central.log"
check "each event once: one 'Move to h2 confirmed'" test "$(grep -c 'Move to h2 confirmed' "$T/central.log")" = 1
n_cycles=$(grep -c '^\*\*-----\*\*$' "$T/vmmanage.log")
n_central=$(grep -c ' testvm: cycle ' "$T/central.log")
check "every cycle reached the collector exactly once ($n_central of $n_cycles)" test "$n_central" = "$n_cycles"
finish
