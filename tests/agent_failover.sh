#!/bin/bash
# SPDX-License-Identifier: ISC
# collector = [A, B]: the agent sends to the first collector that answers, goes on to
# the next when one dies, and back to the first after collector_failback. Each collector
# gets each message at most once; across a failover a message may reach both (at least
# once), and (host, boot, seq) in the JSON output tells the copies apart: together they
# hold every message the agent wrote, none missing.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_cmd python3 nc

# the collectors' own directories, for their user (the agent's state_dir stays root's)
mkdir -p "$T/out" "$T/stateA" "$T/stateB" && chown nobody "$T/out" "$T/stateA" "$T/stateB"
pa=$(free_port); pb=$(free_port)
printf 'listen = ["127.0.0.1:%s"]\nstate_dir = "%s"\nuser = "nobody"\n' "$pa" "$T/stateA" > "$T/A.conf"
printf 'listen = ["127.0.0.1:%s"]\nstate_dir = "%s"\nuser = "nobody"\n' "$pb" "$T/stateB" > "$T/B.conf"
start() { # NAME: a collector writing $T/out/NAME.log and NAME.json
	"$COLLECTOR" -f -c "$T/$1.conf" -o "$T/out/$1.log" -j "$T/out/$1.json" 2>> "$T/$1.err" &
	eval "pid_$1=$!"
	on_exit "kill -9 $!"
	local port; port=$(sed -n 's/.*"127.0.0.1:\([0-9]*\)".*/\1/p' "$T/$1.conf")
	wait_for 20 port_open "$port" || die "collector $1 did not start: $(cat "$T/$1.err")"
}
lines() { count_lines "testvm: cycle" "$T/out/$1.log"; }
_lines_ge() { [ "$(lines "$1")" -ge "$2" ]; }

agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.2' \
	'hosts = ["h1", "h2"]' 'location = "h1"' 'collector_failback = 2' \
	"collector = [\"127.0.0.1:$pa\", \"127.0.0.1:$pb\"]"
values $(yes 10 | head -2000)

# A is down: everything goes to B, and the failover is said once.
start B
agent_start
check "A down: cycles reach B" wait_for 30 _lines_ge B 5
check "status names B as the collector it talks to" \
	sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^collector: 127.0.0.1:$pb (connected'"
check "the failover is said once ($(grep -c "trying 127.0.0.1:$pb" "$T/agent.out"))" \
	test "$(grep -c "trying 127.0.0.1:$pb" "$T/agent.out")" = 1

# A comes up: after collector_failback with nothing in flight, the agent goes back.
start A
check "back to the first collector once it is up" wait_for 30 _lines_ge A 5
check "status names A" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^collector: 127.0.0.1:$pa (connected'"

# A dies hard in the middle: on to B within the ack timeout.
n=$(lines B)
kill -9 "$pid_A"
_b_grows() { [ "$(lines B)" -gt "$((n + 5))" ]; }
check "A killed: cycles reach B again" wait_for 40 _b_grows
agent_stop

# Each collector: no message twice. Together: every seq of the agent's boot, none missing.
python3 - "$T/out/A.json" "$T/out/B.json" > "$T/seqs" <<'EOF'
import json, sys
per = []
for f in sys.argv[1:]:
    seqs = [(o['boot'], o['seq']) for o in map(json.loads, open(f)) if o.get('host') == 'testvm']
    per.append(seqs)
    print('dups', f.rsplit('/', 1)[1], len(seqs) - len(set(seqs)))
allseq = set(per[0]) | set(per[1])
boots = {b for b, _ in allseq}
print('boots', len(boots))
nums = sorted(s for _, s in allseq)
print('missing', len(set(range(1, nums[-1] + 1)) - set(nums)), 'of', nums[-1])
print('both', len(set(per[0]) & set(per[1])))
EOF
check "A got no message twice" grep -qx 'dups A.json 0' "$T/seqs"
check "B got no message twice" grep -qx 'dups B.json 0' "$T/seqs"
check "one boot of the spool" grep -qx 'boots 1' "$T/seqs"
check "together every message, none missing ($(grep missing "$T/seqs"))" grep -q '^missing 0 of [1-9]' "$T/seqs"
check "the Stopping event reached a collector" \
	sh -c "grep -q 'testvm: Stopping VMManage' '$T/out/B.log' || grep -q 'testvm: Stopping VMManage' '$T/out/A.log'"
finish
