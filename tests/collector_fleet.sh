#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 120
# The collector's fleet view: `vmmanage-collector status [--json]` lists each VM heard
# over the agent protocol with its last message and cycle, its place and last move, and
# whether it is connected; a VM that says nothing for silent_after goes silent, which
# alert_command hears once ("silent firing") and once more when the VM speaks again
# ("silent resolved"); the view survives a crash and a restart; a corrupt fleet.state is said and
# the collector starts with an empty view; a link at its name is never followed; at
# most max_agent_hosts VMs are kept; the control socket is the service user's alone.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_cmd python3 nc

collector_dirs
printf '#!/bin/sh\necho "$*" >> "%s"\n' "$T/out/alerts" > "$T/alert.sh"
chmod 755 "$T/alert.sh"
port=$(free_port)
write_conf "$T/c.conf" "$port" 'silent_after = 6;' "alert_command = [\"$T/alert.sh\", \"--to\", \"ops\"];"
start_collector "$T/c.conf" "$T/out/central.log"
cctl() { "$COLLECTOR" -c "$T/c.conf" "$@"; }

# agent HOST BOOT [--stay SECONDS] MESSAGE...: a VMM1 agent sending each MESSAGE and
# waiting for the acks, then (with --stay) keeping its connection open
cat > "$T/agent.py" <<'PY'
import socket, sys, time
port, host, boot = int(sys.argv[1]), sys.argv[2], sys.argv[3]
msgs, stay = sys.argv[4:], 0
if msgs and msgs[0] == "--stay":
    stay, msgs = float(msgs[1]), msgs[2:]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(("VMM1 HELLO %s %s\n" % (host, boot)).encode())
f = s.makefile("rb")
seq = int(f.readline().split()[2])
for m in msgs:
    seq += 1
    b = m.encode()
    s.sendall(b"M %d %d %d\n" % (seq, int(time.time()), len(b)) + b + b"\n")
while msgs:
    a = f.readline().split()
    if not a or int(a[1]) >= seq:
        break
time.sleep(stay)
PY
agent() { python3 "$T/agent.py" "$port" "$@"; }
cat > "$T/field.py" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
if len(sys.argv) == 3:
    print(s[sys.argv[2]])
else:
    print([v for v in s["vms"] if v["vm"] == sys.argv[2]][0][sys.argv[3]])
PY
# field KEY, or field VM KEY: from status --json, as Python prints it
field() { cctl status --json > "$T/status.json" && python3 "$T/field.py" "$T/status.json" "$@"; }
# snap: status --json now; sfield: a field of that snapshot (the checks of one moment)
snap() { cctl status --json > "$T/snap.json"; }
sfield() { python3 "$T/field.py" "$T/snap.json" "$@"; }
alerts() { count_lines "$1" "$T/out/alerts"; }

agent vm1 00000000000000b1 'cycle mysql_slow=10 count=0 threshold=50 action=none location=h1' \
	'Now using h2 (mysql_slow past 50 for 3 cycles)' 'Move to h2 confirmed in 4.2 s'
agent vm2 00000000000000b2 --stay 60 'cycle mysql_slow=1 count=0 threshold=50 action=none location=h7' &
vm2pid=$!
on_exit "kill $vm2pid"
_vm2_connected() { cctl status | grep -Eq '^vm2 .* yes '; }
wait_for 10 _vm2_connected
cctl status > "$T/status.txt"
snap
check "status lists vm1: on h2 after its move, not connected, ok ($(grep '^vm1' "$T/status.txt"))" \
	grep -Eq '^vm1 +[0-9]+s ago +[0-9]+s ago +h2 +no +ok +1/1 +h2 confirmed' "$T/status.txt"
check "and vm2: on h7, connected ($(grep '^vm2' "$T/status.txt"))" \
	grep -Eq '^vm2 +[0-9]+s ago +[0-9]+s ago +h7 +yes +ok' "$T/status.txt"
check "status --json parses: 2 VMs known ($(sfield vms_known))" test "$(sfield vms_known)" = 2
check "4 agent lines counted, acks sent" \
	python3 -c "import json; s=json.load(open('$T/snap.json')); assert s['lines_by_protocol']['agent'] == 4 and s['counters']['acks'] >= 2"
check "by kind: 2 cycles, 1 request, 1 confirmed ($(sfield agent_messages_by_kind))" \
	python3 -c "import json; k=json.load(open('$T/snap.json'))['agent_messages_by_kind']; assert (k['cycle'], k['request'], k['confirmed'], k['failed']) == (2, 1, 1, 0), k"
check "vm1: location h2 ($(sfield vm1 location))" test "$(sfield vm1 location)" = h2
check "vm1: last move confirmed to h2, one in the last hour and day" \
	test "$(sfield vm1 last_outcome) $(sfield vm1 last_target) $(sfield vm1 moves_last_hour) $(sfield vm1 moves_last_day)" = "confirmed h2 1 1"
check "vm1: not connected, not silent yet ($(sfield vm1 connected) $(sfield vm1 silent))" \
	test "$(sfield vm1 connected) $(sfield vm1 silent)" = "False False"
check "vm1: a last cycle time" test "$(sfield vm1 last_cycle)" -gt 0
check "vm2: connected, from 127.0.0.1" test "$(sfield vm2 connected) $(sfield vm2 peer)" = "True 127.0.0.1"

# vm1 says nothing for silent_after (6 s): silent, alerted once
_silent() { [ "$(field vm1 silent)" = True ]; }
check "vm1 goes silent after 6 s" wait_for 20 _silent
check "status shows it SILENT" sh -c "'$COLLECTOR' -c '$T/c.conf' status | grep -Eq '^vm1 .* SILENT '"
check "alert_command: 'silent firing vm1', after its own arguments" \
	wait_for 10 grep -q "^--to ops silent firing vm1 nothing from vm1 for [0-9]* s" "$T/out/alerts"
check "said in the log" grep -q 'fleet: vm1 is silent' "$T/collector.err"
check "vm2, connected but silent too, is also said" wait_for 10 grep -q 'silent firing vm2' "$T/out/alerts"

# the view survives a crash, silence included: written within seconds of the change
_saved_silent() { grep -q "^vm1	[0-9]*	[0-9]*	1	h2	" "$T/state/fleet.state"; }
check "fleet.state has vm1 silent on h2 within 15 s" wait_for 15 _saved_silent
kill -9 "$CPID"
wait "$CPID" 2>/dev/null
check "fleet.state is the service user's, 0600" test "$(stat -c '%U %a' "$T/state/fleet.state")" = "nobody 600"
start_collector "$T/c.conf" "$T/out/central.log"
check "after a crash and a restart: vm1 still known, on h2, silent, its move remembered" \
	test "$(field vm1 location) $(field vm1 silent) $(field vm1 last_outcome) $(field vm1 moves_last_hour)" = "h2 True confirmed 1"
until_t=$(( $(date +%s) + 7 ))
_past() { [ "$(date +%s)" -ge "$until_t" ]; }
wait_for 10 _past
check "still fired once only, across the crash ($(alerts 'silent firing vm1'))" test "$(alerts 'silent firing vm1')" = 1

# vm1 speaks again: resolved, once
agent vm1 00000000000000b1 'cycle mysql_slow=12 count=0 threshold=50 action=none location=h2'
check "vm1 speaks again: not silent" test "$(field vm1 silent)" = False
check "alert_command: 'silent resolved vm1'" wait_for 10 grep -q '^--to ops silent resolved vm1 vm1 speaks again' "$T/out/alerts"
agent vm1 00000000000000b1 'cycle mysql_slow=13 count=0 threshold=50 action=none location=h2'
check "firing once, resolved once ($(alerts 'silent firing vm1'), $(alerts 'silent resolved vm1'))" \
	test "$(alerts 'silent firing vm1') $(alerts 'silent resolved vm1')" = "1 1"

# the control socket: the service user's alone
check "control socket: nobody's, 0600 ($(stat -c '%U %a' "$T/state/control"))" \
	test "$(stat -c '%U %a' "$T/state/control")" = "nobody 600"
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	check_fails_with "another user cannot ask for the status" 1 "control_socket .*Permission denied" \
		setpriv --reuid=daemon --regid=daemon --clear-groups "$COLLECTOR" -c "$T/c.conf" status
fi
check_fails_with "an unknown command is a usage error" 2 "usage" "$COLLECTOR" -c "$T/c.conf" stats

# a corrupt fleet.state: said, an empty view, the collector runs
kill "$CPID"
wait "$CPID" 2>/dev/null
printf 'vmmanage-collector fleet 1\nvm1\tgarbage\n' > "$T/state/fleet.state"
chown nobody "$T/state/fleet.state"
start_collector "$T/c.conf" "$T/out/central.log"
check "a corrupt fleet.state is said, with its line" \
	wait_for 10 grep -q 'fleet.state:2: not a fleet state line; starting with an empty fleet view' "$T/collector.err"
check "and the view starts empty ($(field vms_known))" test "$(field vms_known)" = 0

# a link at its name: neither read nor written through
kill "$CPID"
wait "$CPID" 2>/dev/null
echo secret > "$T/elsewhere"
rm -f "$T/state/fleet.state"
ln -s "$T/elsewhere" "$T/state/fleet.state"
start_collector "$T/c.conf" "$T/out/central.log"
check "a link at fleet.state is not read" wait_for 10 grep -q 'fleet: .*fleet.state: cannot open' "$T/collector.err"
agent vm3 00000000000000b3 'cycle x=1 count=0 threshold=5 action=none location=h9'
kill "$CPID"
wait "$CPID" 2>/dev/null
check "its target is untouched" test "$(cat "$T/elsewhere")" = secret
check "the link is replaced by the file, which has vm3" \
	sh -c "[ ! -L '$T/state/fleet.state' ] && grep -q '^vm3	' '$T/state/fleet.state'"

# bounded: max_agent_hosts VMs at most, the least recently heard forgotten, said once
echo 'max_agent_hosts = 16;' >> "$T/c.conf"
start_collector "$T/c.conf" "$T/out/central.log"
python3 - "$port" <<'PY'
import socket, sys, time
for i in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"VMM1 HELLO many%02d 00000000000000d1\n" % i)
    f = s.makefile("rb")
    seq = int(f.readline().split()[2]) + 1
    m = b"cycle x=1 count=0 threshold=5 action=none location=h1"
    s.sendall(b"M %d %d %d\n" % (seq, int(time.time()), len(m)) + m + b"\n")
    f.readline()
    s.close()
PY
snap
check "20 VMs with max_agent_hosts 16: 16 kept ($(sfield vms_known)), 5 forgotten (vm3 and the 4 oldest)" \
	python3 -c "
import json; s = json.load(open('$T/snap.json'))
names = [v['vm'] for v in s['vms']]
assert s['vms_known'] == 16 and s['counters']['fleet_evicted'] == 5, s['counters']
assert names == ['many%02d' % i for i in range(4, 20)], names"
check "said once ($(count_lines 'fleet: more than max_agent_hosts' "$T/collector.err"))" \
	test "$(count_lines 'fleet: more than max_agent_hosts' "$T/collector.err")" = 1
finish
