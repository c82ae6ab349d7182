#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 300
# vmmanage-broker with the exec endpoint (no hypervisor needed): the agent's broker
# endpoint moves its VM through it; a wrong key, a request replayed in its session or in
# a new one, and a host outside the VM's own are refused and nothing moves; three VMs
# asking for one target with max_incoming 1: one at a time, the others told to retry;
# the moves-per-hour budget, per VM and per tenant; drain and undrain; -t; a dead broker costs the agent a
# timeout and a log line.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/broker_lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_cmd python3 nc

for vm in vm1 vm2 vm3; do
	broker_key "$vm"
	broker_vm "$vm" "endpoint_command = [\"$top_srcdir/tests/recorder\", \"$T/moves.$vm\", \"$T/mode\"]" \
		'hosts = ["h1", "h2"]' 'base = "b1"'
done
echo 'moves_per_hour = 2' >> "$T/vms/vm3.conf"
# the broker's events go to a collector too
cport=$(free_port)
collector_dirs
write_conf "$T/collector.conf" "$cport"
start_collector "$T/collector.conf" "$T/out/central.log"
broker_conf 'endpoint = "exec"' 'max_incoming = 1' 'retry_after = 7' 'client_timeout = 3' \
	"collector = \"127.0.0.1:$cport\"" 'hostname = "broker1"' "state_dir = \"$T/bstate\""

# ---- -t ----
out=$("$BROKER" -c "$T/broker.conf" -t 2>&1)
check "-t: the configuration is good, 3 VMs ($out)" grep -q 'ok (3 VMs, endpoint exec)' <<<"$out"
cp "$T/broker.conf" "$T/bad.conf"
echo 'max_incomming = 2' >> "$T/bad.conf"
check_fails_with "-t: an unknown key, named with file and line" 1 "bad.conf:[0-9]+: unknown key 'max_incomming'" \
	"$BROKER" -c "$T/bad.conf" -t
chmod 644 "$T/broker.keys"
check_fails_with "-t: a keys_file readable by others" 1 "keys_file .*readable by others" \
	"$BROKER" -c "$T/broker.conf" -t
chmod 600 "$T/broker.keys"
echo 'hostz = ["h3"]' >> "$T/vms/vm2.conf"
check_fails_with "-t: an unknown key in a VM's file, named with file and line" 1 "vm2.conf:[0-9]+: unknown key 'hostz' \(did you mean 'hosts'" \
	"$BROKER" -c "$T/broker.conf" -t
sed -i '/hostz/d' "$T/vms/vm2.conf"
if [ -e "$MODULE_DIR/endpoints/libvirt.so" ]; then
	mkdir -p "$T/example.d"
	cp "$top_srcdir/conf/broker-vm.conf" "$T/example.d/web1.conf"
	{ grep -vE '^(keys_file|vm_dir)' "$top_srcdir/conf/broker.conf"
	  echo "keys_file = \"$T/broker.keys\""; echo "vm_dir = \"$T/example.d\""
	  echo "module_dir = \"$MODULE_DIR\""; } > "$T/example.conf"
	out=$("$BROKER" -c "$T/example.conf" -t 2>&1)
	check "conf/broker.conf and conf/broker-vm.conf load with -t ($out)" grep -q 'ok (1 VM, endpoint libvirt)' <<<"$out"
fi

# two VMs of tenant beta, which may move twice an hour between them
for vm in vm4 vm5; do
	broker_key "$vm"
	broker_vm "$vm" "endpoint_command = [\"$top_srcdir/tests/recorder\", \"$T/moves.$vm\", \"$T/nomode\"]" \
		'hosts = ["h1", "h2"]' 'tenant = "beta"'
done
# and vm6, whose agent is killed during its move
broker_key vm6
broker_vm vm6 "endpoint_command = [\"$top_srcdir/tests/recorder\", \"$T/moves.vm6\", \"$T/mode6\"]" \
	'hosts = ["h1", "h2"]'
echo 'tenant_moves_per_hour = 2' >> "$T/broker.conf"
broker_start

# ---- the agent's broker endpoint: no hypervisor URI or credential in its config ----
agent_conf 'policy = "threshold"' 'threshold = 1000' 'tarry = 3' 'daemon_interval = 0.5' \
	'hosts = ["h1", "h2"]' 'location = "h1"' 'cooldown = 0' 'max_moves_per_hour = 0'
# $T/state is the collector's
sed -i "/^endpoint/d; s/^hostname = .*/hostname = \"vm1\"/; s|^state_dir = .*|state_dir = \"$T/astate\"|" "$T/vmm.conf"
{
	echo 'endpoint = "broker"'
	echo "broker_address = \"127.0.0.1:$BROKER_PORT\""
	echo "broker_key_file = \"$T/vm1.key\""
	echo 'broker_connect_timeout = 2'
	echo 'endpoint_timeout = 30'
	echo "collector = \"127.0.0.1:$cport\""
} >> "$T/vmm.conf"
values $(yes 1 | head -200)
check "the agent's config names no URI, command or hypervisor" sh -c "! grep -qiE '^libvirt_|qemu[+:]|^endpoint_command' '$T/vmm.conf'"
agent_start
# the exec endpoint cannot locate: the broker says so, and the agent keeps its h1
wait_for 15 grep -q 'the broker cannot tell: cannot tell where the VM runs: the exec endpoint cannot locate' "$T/vmmanage.log" \
	&& ok "the agent asks the broker where it runs at start" || fail "locate at start"
wait_for 10 vmm move >/dev/null || fail "vmm move accepted"
wait_for 15 grep -qE 'Move to h2 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "the agent: move to h2 confirmed, timed" || fail "agent confirmed: $(grep -E 'Move|broker' "$T/vmmanage.log" | tail -3)"
check "the broker: admitted, then confirmed with its time" \
	grep -qE 'broker: vm1: move to h2 confirmed in [0-9.]+ s, on h2' "$T/broker.log"
check "the broker ran the endpoint once: move h2" test "$(cat "$T/moves.vm1")" = "move h2"
wait_for 10 grep -qE "^$STAMP_RE broker1: vm1: move to h2 confirmed in [0-9.]+ s, on h2" "$T/out/central.log" \
	&& ok "the collector has the broker's view of the move beside the agent's" \
	|| fail "broker event at the collector: $(tail -3 "$T/out/central.log")"
wait_for 10 grep -qE "^$STAMP_RE vm1: Move to h2 confirmed in [0-9.]+ s" "$T/out/central.log" \
	&& ok "and the agent's own" || fail "agent event at the collector: $(grep vm1: "$T/out/central.log" | tail -2)"
check "and its admission" grep -qE "^$STAMP_RE broker1: vm1: move to h2 admitted \(asked from 127.0.0.1\)" "$T/out/central.log"

# ---- an agent killed during its move and started again: it asks the broker how that
# request ended (OUTCOME, by the ID it recorded before the call), waits for the end, and
# nothing moves twice ----
sed -e 's/^hostname = .*/hostname = "vm6"/' -e "s|^broker_key_file = .*|broker_key_file = \"$T/vm6.key\"|" \
	-e "s|^state_dir = .*|state_dir = \"$T/a6state\"|" -e "s|^log_file = .*|log_file = \"$T/vm6.log\"|" \
	-e "s|^pid_file = .*|pid_file = \"$T/vm6.pid\"|" -e "s|^control_socket = .*|control_socket = \"$T/vm6.sock\"|" \
	-e '/^collector/d' "$T/vmm.conf" > "$T/vm6.conf"
vm6() { "$VMMANAGE" -c "$T/vm6.conf" "$@"; }
vm6_start() {
	"$VMMANAGE" -c "$T/vm6.conf" -f > "$T/vm6.out" 2>&1 &
	VM6_PID=$!
	on_exit "kill $VM6_PID"
	wait_for 20 test -S "$T/vm6.sock" || fail "vm6's agent started: $(tail -3 "$T/vm6.out")"
}
echo gate > "$T/mode6"
vm6_start
wait_for 10 vm6 move >/dev/null || fail "vm6: move accepted"
wait_for 15 grep -qx 'move h2' "$T/moves.vm6" || fail "the broker runs vm6's move: $(tail -3 "$T/vm6.log")"
kill -KILL "$VM6_PID"; wait "$VM6_PID" 2>/dev/null
id=$(sed -n 's/^id=\([0-9a-f]\{16\}\)$/\1/p' "$T/a6state/request")
check "the request's ID was recorded before the call ($id)" test -n "$id"
vm6_start
wait_for 15 grep -q "A move to h2 requested before the restart (request $id): asking the endpoint how it ended" "$T/vm6.log" \
	&& ok "restarted, the agent asks the broker how request $id ended" || fail "recover: $(tail -3 "$T/vm6.log")"
check "while the move runs, status says it is in flight" sh -c "'$VMMANAGE' -c '$T/vm6.conf' status | grep -qx 'in flight: h2'"
wait_for 15 grep -q "broker: vm6: request $id (move to h2) asked again while it runs: answered when it ends" "$T/broker.log" \
	&& ok "the broker holds the question until the move ends" || fail "OUTCOME at the broker: $(grep vm6 "$T/broker.log" | tail -2)"
touch "$T/mode6.open"
wait_for 40 grep -qE 'Move to h2 confirmed in [0-9.]+ s' "$T/vm6.log" \
	&& ok "once the move has ended, the agent takes the broker's answer: confirmed" \
	|| fail "outcome after the restart: $(grep -E 'Move|reconcile|endpoint' "$T/vm6.log" | tail -3)"
check "nothing said it failed or was unknown" sh -c "! grep -qE 'Move to h2 failed|somewhere unknown' '$T/vm6.log'"
vm6 status > "$T/status6"
check "status: on h2, the last request confirmed ($(grep -E '^(location|last request):' "$T/status6" | tr '\n' ' '))" \
	sh -c "grep -qx 'location: h2 (confirmed by the endpoint)' '$T/status6' && grep -q '^last request: move to h2 at .*: confirmed' '$T/status6'"
check "the broker ran the move once" test "$(cat "$T/moves.vm6")" = "move h2"
check "the agent asked for it once" test "$(count_lines 'Requesting migration of VM' "$T/vm6.log")" = 1
kill "$VM6_PID"; wait "$VM6_PID" 2>/dev/null
# killed before its MOVE reached the broker (stopped, it does not answer the handshake):
# started again, the agent hears that the request was never taken, and counts no failure
kill -STOP "$BROKER_PID"
on_exit "kill -CONT $BROKER_PID"
vm6_start
wait_for 20 vm6 move >/dev/null || fail "vm6: the second move accepted"
kill -KILL "$VM6_PID"; wait "$VM6_PID" 2>/dev/null
kill -CONT "$BROKER_PID"
id2=$(sed -n 's/^id=\([0-9a-f]\{16\}\)$/\1/p' "$T/a6state/request")
check "a new request, to h1, recorded before the call ($id2)" \
	sh -c "[ -n '$id2' ] && [ '$id2' != '$id' ] && grep -qx 'target=h1' '$T/a6state/request'"
vm6_start
wait_for 20 grep -q "The move to h1 requested before the restart was never made: the broker has no record of it" "$T/vm6.log" \
	&& ok "restarted, the agent hears from the broker that request $id2 was never taken" \
	|| fail "never made: $(grep -E 'reconcile|Move|restart' "$T/vm6.log" | tail -3)"
vm6 status > "$T/status6b"
check "status: the last request was not made, and no move failed ($(grep -E '^(last request|requests)' "$T/status6b" | tr '\n' ' '))" \
	sh -c "grep -q '^last request: move to h1 at .*: not made' '$T/status6b' && grep -q 'failed 0)' '$T/status6b'"
check "no failure, backoff or alert for h1" sh -c "! grep -qE 'Move to h1 failed|backing off h1' '$T/vm6.log'"
check "the broker ran nothing for it" test "$(cat "$T/moves.vm6")" = "move h2"
kill "$VM6_PID"; wait "$VM6_PID" 2>/dev/null
# refused: the agent logs the broker's reason and retry-after as a refusal, not a failure,
# and its guard sends nothing more before the retry-after, however often the policy asks
agent_stop
sed -i 's/^threshold = .*/threshold = 0.5/' "$T/vmm.conf"
bctl drain h1 >/dev/null
agent_start
refused_re='Move to h1 refused by the provider: h1 is being drained for maintenance; no new request for 7 s'
wait_for 15 grep -qE "$refused_re" "$T/vmmanage.log" \
	&& ok "a refused move: the agent logs it as refused, with the broker's reason and retry-after" \
	|| fail "refused in the agent: $(grep Move "$T/vmmanage.log" | tail -2)"
# refusal N: wait for the agent's Nth, and note when in refusal_at
refusal() {
	wait_for 30 sh -c "[ \$(grep -cE '$refused_re' '$T/vmmanage.log') -ge $1 ]" || fail "refusal $1 came"
	refusal_at=$(date +%s.%N)
}
# held_7s WHAT FROM TO: the request at TO came at least 6 s after FROM (the 7 s retry-after)
held_7s() {
	local gap
	gap=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", b - a }')
	check "$1 ($gap s)" awk -v g="$gap" 'BEGIN { exit !(g >= 6) }'
}
broker_refused() { grep -c 'broker: vm1: move to h1 refused' "$T/broker.log"; }
t1=$(date +%s.%N)
refusal 2
t2=$refusal_at
held_7s "the next request only after the retry-after of 7 s, though the policy asked every 1.5 s" "$t1" "$t2"
check "the broker refused exactly two requests of vm1 meanwhile" test "$(broker_refused)" = 2
held='Suppressed move to h1 from policy: the provider refused the last request (h1 is being drained for maintenance): no new one before its retry-after of 7 s'
check "the held requests are logged once per episode ($(grep -cF "$held" "$T/vmmanage.log") lines)" \
	test "$(grep -cF "$held" "$T/vmmanage.log")" -le 3
check "with a count when it ends" grep -qF "$held: " "$T/vmmanage.log"
"$VMMANAGE" -c "$T/vmm.conf" status > "$T/status.refused"
check "no refusal counts as a failed move" grep -q 'failed 0)' "$T/status.refused"
check "status counts the refusals apart" grep -qE '^refused by the provider: [2-9]' "$T/status.refused"
check "no backing off h1, no breaker" sh -c "! grep -qE 'backing off h1|breaker' '$T/vmmanage.log'"
# a restart inside the second retry-after does not ask again before it ends
agent_stop
agent_start
wait_for 10 grep -qE 'The provider refused the last request before the restart \(h1 is being drained for maintenance\): no new one for [0-7] s$' "$T/vmmanage.log" \
	&& ok "restarted inside the retry-after: the agent still holds, and says so" \
	|| fail "the refusal across a restart: $(tail -3 "$T/vmmanage.log")"
refusal 3
held_7s "after the restart, the next request only when the 7 s were over" "$t2" "$refusal_at"
check "the broker refused three requests of vm1 in all" test "$(broker_refused)" = 3
agent_stop
bctl undrain h1 >/dev/null
sed -i 's/^threshold = .*/threshold = 1000/' "$T/vmm.conf"
check "nothing ran for it" test "$(cat "$T/moves.vm1")" = "move h2"

# ---- a wrong key: refused, nothing moves ----
cp "$T/vm1.key" "$T/good.key"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$T/wrong.key"
cp "$T/wrong.key" "$T/vm1.key"
out=$(peer vm1 "MOVE move h1 0")
check "a wrong key: authentication failed ($out)" test "$out" = "BROKER-ERR authentication failed"
agent_start
wait_for 10 vmm move >/dev/null || fail "vmm move accepted"
wait_for 15 grep -qE 'Move to h[12] failed \(configuration, permanent\): broker .*: authentication failed' "$T/vmmanage.log" \
	&& ok "the agent with a wrong key: the move fails, and it says why" || fail "wrong key in the agent: $(grep -E 'Move' "$T/vmmanage.log" | tail -2)"
agent_stop
cp "$T/good.key" "$T/vm1.key"
out=$(python3 "$top_srcdir/tests/broker_peer.py" "$BROKER_PORT" nosuchvm "$(cat "$T/vm2.key")" "WHERE")
check "a VM the broker does not know: the same answer ($out)" test "$out" = "BROKER-ERR authentication failed"
check "nothing moved for either" test "$(cat "$T/moves.vm1")" = "move h2"

# ---- replays: in the same session, and a recorded session on a new connection ----
out=$(peer vm1 --twice "MOVE move h1 0")
check "a request replayed in its session: refused ($(tail -1 <<<"$out"))" \
	grep -qx 'BROKER-ERR request 1 replayed or out of order (expected 2)' <<<"$out"
check "it ran once" test "$(grep -c . "$T/moves.vm1")" = 2
pport=$(free_port)
mkdir -p "$T/tap"
python3 "$top_srcdir/tests/wire_peer.py" proxy "$pport" "$BROKER_PORT" "$T/tap" &
on_exit "kill $!"
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $pport)).close()" || fail "proxy up"
out=$(python3 "$top_srcdir/tests/broker_peer.py" "$pport" vm1 "$(broker_keyhex vm1)" "MOVE move h2 0")
check "through an eavesdropper: a move to h2 ($out)" grep -q '^DONE confirmed' <<<"$out"
rec=$(ls "$T"/tap/c2s.* | tail -1)
out=$(python3 "$top_srcdir/tests/wire_peer.py" replay "$BROKER_PORT" "$rec")
check "the recorded session replayed on a new connection: refused" grep -q 'VMB1 ERR authentication failed' <<<"$out"
out=$(python3 "$top_srcdir/tests/wire_peer.py" replay "$BROKER_PORT" "$rec" skip-auth)
check "replayed without its AUTH: refused" grep -q 'VMB1 ERR expected "AUTH mac"' <<<"$out"
check "three moves ran, no more" test "$(grep -c . "$T/moves.vm1")" = 3

# ---- outside the VM's hosts ----
out=$(peer vm1 "MOVE move h9 0" "MOVE move_to_base b1 0")
check "a host outside the VM's hosts: refused, with a reason and a retry-after" \
	grep -qx "REFUSED 3600 h9 is not one of this VM's hosts" <<<"$out"
check "its base is one of them" grep -q '^DONE confirmed 0 0 [0-9.]* b1' <<<"$out"
check "h9 never reached the endpoint" sh -c "! grep -q h9 '$T/moves.vm1'"

# ---- three VMs, one target, max_incoming 1 ----
echo gate > "$T/mode"
asks=()
for vm in vm1 vm2 vm3; do peer "$vm" "MOVE move h2 0" > "$T/ask.$vm" & asks+=($!); done
wait_for 20 sh -c "[ \$(grep -l . '$T'/ask.vm* 2>/dev/null | wc -l) -ge 2 ]" || fail "two answers before the gate opens"
check "while one migrates to h2, the two others are told to retry" \
	test "$(grep -l "REFUSED 7 h2 already takes 1 incoming migration (max_incoming 1)" "$T"/ask.vm* | wc -l)" = 2
bctl status > "$T/status"
check "status: h2 takes 1 of 1" grep -qx 'host h2: incoming 1/1, open' "$T/status"
touch "$T/mode.open"
wait "${asks[@]}"
check "the admitted one is confirmed" test "$(grep -l '^DONE confirmed' "$T"/ask.vm* | wc -l)" = 1
rm -f "$T/mode" "$T/mode.open"
for vm in vm1 vm2 vm3; do
	grep -q '^DONE' "$T/ask.$vm" || peer "$vm" "MOVE move h2 0" > "$T/ask.$vm"
done
check "asked again, each is admitted in turn" test "$(grep -l '^DONE confirmed' "$T"/ask.vm* | wc -l)" = 3

# ---- an agent that goes away during its move: the move goes on, the broker stays idle ----
echo gate > "$T/mode"
timeout 2 python3 "$top_srcdir/tests/broker_peer.py" "$BROKER_PORT" vm2 "$(broker_keyhex vm2)" "MOVE move h1 0" >/dev/null
cpu() { awk '{ print $14 + $15 }' "/proc/$BROKER_PID/stat"; }
c0=$(cpu); sleep 2; c1=$(cpu)
check "while the move of a departed agent runs, the broker does not spin ($((c1 - c0)) ticks in 2 s)" test $((c1 - c0)) -lt 20
touch "$T/mode.open"
wait_for 60 grep -q 'broker: vm2: move to h1 confirmed' "$T/broker.log" \
	&& ok "the move of the departed agent still ends, logged" || fail "departed agent's move"
rm -f "$T/mode" "$T/mode.open"

# ---- the budget: vm3 may move twice an hour ----
out=$(peer vm3 "MOVE move h1 0" "MOVE move h2 0")
check "vm3's third move in the hour is refused, retry in about an hour" \
	grep -qE '^REFUSED 3[0-9]{3} this VM moved 2 times in the last hour \(moves_per_hour 2\)' <<<"$out"

# ---- the tenant's budget: beta's VMs share two moves an hour ----
out=$(peer vm4 "MOVE move h2 0"; peer vm5 "MOVE move h2 0"; peer vm5 "MOVE move h1 0")
check "two moves of the tenant's VMs admitted ($(head -2 <<<"$out" | cut -c1-20 | tr '\n' ' '))" \
	test "$(grep -c '^DONE confirmed' <<<"$out")" = 2
check "the third, of a VM with moves to spare, refused for its tenant, retry in about an hour" \
	grep -qE '^REFUSED 3[0-9]{3} tenant beta moved 2 times in the last hour \(tenant_moves_per_hour 2\)' <<<"$out"
check "nothing ran for it" test "$(cat "$T/moves.vm5")" = "move h2"
bctl status > "$T/status.tenant"
check "status: tenant beta has spent its two moves" grep -qx 'tenant beta: moves in the last hour 2/2' "$T/status.tenant"
check "status: vm5 names its tenant" \
	grep -qE '^vm vm5: on [^,]+, moves in the last hour 1/[0-9]+, in flight: none, tenant beta$' "$T/status.tenant"
bctl status --json > "$T/status.tenant.json"
check "status --json: the tenant's budget and each VM's tenant" python3 -c "
import json; s = json.load(open('$T/status.tenant.json'))
assert s['tenants'] == [{'tenant': 'beta', 'moves_last_hour': 2, 'moves_per_hour': 2}], s['tenants']
t = {v['vm']: v['tenant'] for v in s['vms']}
assert t['vm4'] == 'beta' and t['vm5'] == 'beta' and t['vm1'] is None, t"

# ---- drain and undrain ----
out=$(bctl drain h1)
check "drain h1 ($out)" test "$out" = "draining h1"
check "status: h1 draining" sh -c "'$BROKER' -c '$T/broker.conf' status | grep -qx 'host h1: incoming 0/1, draining'"
out=$(peer vm2 "MOVE move h1 0")
check "a move to a draining host: refused ($out)" test "$out" = "REFUSED 7 h1 is being drained for maintenance"
check_fails_with "drain of a host nobody uses" 1 "error: h7 is no host of any VM" bctl drain h7
bctl undrain h1 >/dev/null
out=$(peer vm2 "MOVE move h1 0")
check "after undrain, admitted ($out)" grep -q '^DONE confirmed 0 0 [0-9.]* h1' <<<"$out"
# with a deadline: past it the provider moves what is left itself, and says so
check_fails_with "drain with a deadline that is no duration" 1 "error: --deadline: expected seconds" \
	bctl drain h1 --deadline soon
on_h1=$(bctl status | grep -c '^vm .*: on h1,')
out=$(bctl drain h1 --deadline 2s)
check "drain h1 --deadline 2s ($out; $on_h1 VMs on it)" test "$out" = "draining h1, deadline 2 s"
check "status: the drain's deadline ($(bctl status | grep '^host h1'))" \
	sh -c "'$BROKER' -c '$T/broker.conf' status | grep -qE '^host h1: incoming [01]/1, draining, deadline (in [0-2] s|passed)$'"
check "status --json: the seconds to the deadline" python3 -c "
import json, subprocess
s = json.loads(subprocess.run(['$BROKER', '-c', '$T/broker.conf', 'status', '--json'], capture_output=True, check=True).stdout)
h = [h for h in s['hosts'] if h['host'] == 'h1'][0]
assert h['draining'] and 0 <= h['drain_deadline_in'] <= 2, h
assert all(x['drain_deadline_in'] is None for x in s['hosts'] if x['host'] != 'h1'), s['hosts']"
wait_for 30 grep -qE 'broker: vm2: still on h1 past its drain deadline: the provider moves it to (h2|b1)$' "$T/broker.log" \
	&& ok "past the deadline, the broker moves vm2 off h1 itself, and logs it" || fail "eviction: $(tail -3 "$T/broker.log")"
wait_for 40 sh -c "! '$BROKER' -c '$T/broker.conf' status | grep -q '^vm .*: on h1,'" \
	&& ok "every VM left h1 (one at a time: max_incoming 1)" || fail "still on h1: $(bctl status | grep 'on h1')"
check "vm2's last move: off h1, where h1's other VM was not sent at the same time ($(tail -1 "$T/moves.vm2"))" \
	grep -qxE 'move (h2|b1)' <(tail -1 "$T/moves.vm2")
bctl undrain h1 >/dev/null
# ---- a peer that trickles its handshake a byte a second: closed after client_timeout ----
t0=$(date +%s)
python3 -c "import socket, sys, time
s = socket.create_connection(('127.0.0.1', $BROKER_PORT))
try:
    for b in b'VMB1 HELLO vm1 b1 ' + b'0' * 64:
        s.sendall(bytes([b])); time.sleep(1)
    print('never closed')
except OSError:
    print('closed')" > "$T/trickle" 2>&1
check "closed within client_timeout of the connect, not kept alive by each byte ($(cat "$T/trickle"), $(( $(date +%s) - t0 )) s)" \
	sh -c "grep -qx closed '$T/trickle' && [ $(( $(date +%s) - t0 )) -le 10 ]"

# ---- a flood of wrong keys: logged once per episode, with a count ----
n0=$(count_lines 'authentication as vm1 failed' "$T/broker.log")
for i in $(seq 30); do
	python3 "$top_srcdir/tests/broker_peer.py" "$BROKER_PORT" vm1 "$(cat "$T/wrong.key")" WHERE >/dev/null
done
wait_for 40 grep -qE 'broker: [0-9]+ more refused in the last episode; the last: 127.0.0.1: authentication as vm1 failed' "$T/broker.log" \
	&& ok "30 wrong keys: the episode ends with a count and the last" || fail "episode end: $(tail -2 "$T/broker.log")"
n1=$(count_lines 'authentication as vm1 failed' "$T/broker.log")
check "they took at most two lines of the log ($((n1 - n0)))" test $((n1 - n0)) -le 2
# stopped with an agent in the middle of its handshake: it ends cleanly (exit 0, which
# under the sanitizers also means nothing leaked)
python3 -c "import socket, sys, time
s = socket.create_connection(('127.0.0.1', $BROKER_PORT))
s.sendall(b'VMB1 HELLO vm1 b1 ' + b'0' * 64 + b'\\n')
open(sys.argv[1], 'w').write(s.makefile('rb').readline().decode())
time.sleep(30)" "$T/half" &
halfpid=$!
on_exit "kill $halfpid"
wait_for 10 grep -q CHALLENGE "$T/half" || fail "a half-open session"
broker_stop

# ---- as a daemon: detached, its pid file, the CLI, SIGTERM ----
"$BROKER" -c "$T/broker.conf" > "$T/daemon.out" 2>&1
rc=$?
check "started as a daemon, the parent exits 0 once it is ready ($rc)" test "$rc" = 0
pid=$(cat "$T/broker.pid" 2>/dev/null)
on_exit "kill $pid"
check "its pid file names a live process ($pid)" kill -0 "$pid"
check "the CLI reaches it" sh -c "'$BROKER' -c '$T/broker.conf' status | grep -q '^vm vm1: '"
kill "$pid"
wait_for 10 sh -c "! kill -0 $pid" && ok "SIGTERM ends it" || fail "still running after SIGTERM"
check "its pid file and control socket are gone" sh -c "[ ! -e '$T/broker.pid' ] && [ ! -e '$T/broker.sock' ]"
"$BROKER" -c "$T/broker.conf" > "$T/daemon.out" 2>&1 && pid=$(cat "$T/broker.pid") && on_exit "kill $pid"
check_fails_with "a second broker on the same pid file and port" 1 "listen|already running" "$BROKER" -c "$T/broker.conf"
kill "$pid"
wait_for 10 sh -c "! kill -0 $pid" || fail "second daemon stopped"

# ---- a dead broker: a timeout and a log line ----
dport=$(free_port)
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $dport)); s.listen(5); time.sleep(60)" &
on_exit "kill $!"
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $dport)).close()" || fail "the silent peer listens"
sed -i "s/^broker_address = .*/broker_address = \"127.0.0.1:$dport\"/" "$T/vmm.conf"
agent_start
wait_for 15 grep -q 'Cannot ask the endpoint where the VM runs: broker 127.0.0.1:[0-9]*: no challenge' "$T/vmmanage.log" \
	&& ok "at start: the locate gives up after broker_connect_timeout, with a log line" || fail "locate timeout: $(tail -2 "$T/vmmanage.log")"
t0=$(date +%s)
wait_for 10 vmm move >/dev/null || fail "vmm move accepted"
wait_for 15 grep -qE 'Move to h[12] failed \(timeout\): broker 127.0.0.1:[0-9]+: no challenge' "$T/vmmanage.log" \
	&& ok "a broker that never answers: the move fails after broker_connect_timeout ($(( $(date +%s) - t0 )) s)" \
	|| fail "dead broker: $(grep -E 'Move|broker' "$T/vmmanage.log" | tail -2)"
check "the agent still answers" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status >/dev/null"
agent_stop

# ---- the hosts' load and drains, as the broker answers them, rule the agent's choice ----
# (a scripted broker: a real one's hosts here cannot be made to differ) h2 is the idlest
# but draining, h3 the next in the array but busy, h4 idle enough: the agent goes to h4
fport=$(free_port)
printf '%s\n' 'HOST h1 8589934592 0.500 0' 'HOST h2 8589934592 0.950 1' \
	'HOST h3 8589934592 0.100 0' 'HOST h4 8589934592 0.600 0' > "$T/fake.hosts"
python3 "$top_srcdir/tests/broker_fake.py" "$fport" vm1 "$(broker_keyhex vm1)" h1 "$T/fake.hosts" "$T/fake.moves" &
on_exit "kill $!"
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $fport)).close()" || fail "the scripted broker listens"
rm -rf "$T/astate"
: > "$T/vmmanage.log"
sed -i -e "s/^broker_address = .*/broker_address = \"127.0.0.1:$fport\"/" -e 's/^threshold = .*/threshold = 0.5/' \
	-e 's/^hosts = .*/hosts = ["h1", "h2", "h3", "h4"]/' "$T/vmm.conf"
agent_start
wait_for 20 grep -qE 'Move to h[0-9] confirmed' "$T/vmmanage.log" || fail "no move: $(tail -3 "$T/vmmanage.log")"
check "the agent chose h4: idle enough, not h3 (the next in the array, busy) nor h2 (idlest, draining) ($(grep -o 'Chose .*' "$T/vmmanage.log" | head -1))" \
	test "$(head -1 "$T/fake.moves")" = "move h4"
check "status: the hosts' idle CPU, as the broker said" \
	sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qE '^host h3: .*CPU 10% idle'"
agent_stop
finish
