#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# A restart of the broker loses no request. The broker is killed (kill -9) while a move
# it admitted migrates on real libvirt hosts (the link to the target crawls, so the
# job is seen running by virsh domjobinfo first). Restarted, it reads its record of
# moves, finds the migration again in libvirt and waits for its end; the agent, whose
# connection broke, reconnects and asks for its request's outcome by its ID instead of
# failing or asking again. The move is confirmed to the agent once, the guest runs on
# the target, and nothing runs twice: the same request ID again is answered from the
# broker's record.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/libvirt_hosts.sh"
. "$top_srcdir/tests/broker_lib.sh"
lv_need
need_cmd python3
need_cmd tc
broker_libvirt_asan

lv_hosts_start h1 h2
lv_guest_start h1
broker_key vm1
broker_vm vm1 "libvirt_domain = \"$LV_UUID\"" 'hosts = ["h1", "h2"]' \
	"libvirt_uris = [\"h1=$(lv_uri h1)\", \"h2=$(lv_uri h2)\"]" \
	'libvirt_migrate_uri_template = "tcp://%a"' 'endpoint_timeout = 240'
broker_conf 'endpoint = "libvirt"'
broker_start

agent_conf 'policy = "threshold"' 'threshold = 1000' 'tarry = 3' 'daemon_interval = 0.5' \
	'hosts = ["h1", "h2"]' 'location = "h1"' 'cooldown = 0' 'max_moves_per_hour = 0'
sed -i '/^endpoint/d; s/^hostname = .*/hostname = "vm1"/' "$T/vmm.conf"
{
	echo 'endpoint = "broker"'
	echo "broker_address = \"127.0.0.1:$BROKER_PORT\""
	echo "broker_key_file = \"$T/vm1.key\""
	echo 'endpoint_timeout = 240'
} >> "$T/vmm.conf"
values $(yes 1 | head -400)
agent_start
wait_for 20 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qx 'location: h1 (confirmed by the endpoint)'" \
	|| fail "located on h1: $(tail -3 "$T/vmmanage.log")"

# the link to h2 crawls: the migration runs long enough to be killed in the middle
lv_slow_link h2 || skip "tc cannot shape traffic here (sch_tbf)"
on_exit "tc qdisc del dev vmmlv$(lv_index h2) root 2>/dev/null"
wait_for 10 vmm move >/dev/null || fail "vmm move accepted"
jobrunning() { lv_virsh h1 domjobinfo "$LV_UUID" 2>/dev/null | grep -q '^Job type: *Unbounded'; }
wait_for 60 jobrunning && ok "the migration job runs on h1 (virsh domjobinfo)" || fail "no migration job: $(tail -3 "$T/broker.log")"
check "the broker recorded the move before it started, one block in its state_dir" \
	sh -c "grep -q ' h2 0 [0-9]* -\$' '$T/bstate/begun.vm1' && test \$(stat -c %s '$T/bstate/begun.vm1') = 512"
check "(its record of moves is written when a move ends: none yet)" test ! -e "$T/bstate/moves.vm1"
kill -9 "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null
cp "$T/broker.log" "$T/broker.log.1"
# the endpoint's own words go to the agent's daemon log (stderr in the foreground)
wait_for 20 grep -q 'asking for the outcome of request [0-9a-f]\{16\}' "$T/agent.out" \
	&& ok "the agent: the connection broke; it asks for the outcome by ID" || fail "agent: $(tail -3 "$T/agent.out")"
id=$(sed -n 's/.*asking for the outcome of request \([0-9a-f]\{16\}\).*/\1/p' "$T/agent.out" | head -1)
check "the agent did not report the move failed" sh -c "! grep -q 'Move to h2 failed' '$T/vmmanage.log'"
check "the migration goes on without the broker (domjobinfo on h1)" jobrunning

broker_start
wait_for 20 grep -q "broker: vm1: the move to h2 (request $id) was in flight when the broker stopped" "$T/broker.log" \
	&& ok "restarted, the broker reads request $id from its record" || fail "broker: $(tail -3 "$T/broker.log")"
wait_for 30 grep -q 'libvirt: found again: a migration job of .* runs on h1' "$T/broker.log" \
	&& ok "and finds its migration job in libvirt" || fail "broker: $(tail -3 "$T/broker.log")"
lv_fast_link h2
wait_for 120 grep -qE 'Move to h2 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "the agent: move to h2 confirmed" || fail "agent: $(grep -E 'Move|broker' "$T/vmmanage.log" | tail -3)"
check "the broker: confirmed, found again after the restart" \
	grep -qE 'broker: vm1: move to h2 confirmed in [0-9.]+ s, on h2: found again after a restart' "$T/broker.log"
check "virsh: the guest runs on h2 ($(lv_state h2)), not on h1 ($(lv_state h1))" \
	sh -c "[ '$(lv_state h2)' = running ] && [ '$(lv_state h1)' = absent ]"
# the agent has logged the move once; two more cycles after it and nothing more may come
wait_cycles $(($(cycles) + 2)) 20 || fail "the agent's cycles went on after the move"
check "the agent logged the confirmed move exactly once" \
	test "$(count_lines 'Move to h2 confirmed' "$T/vmmanage.log")" = 1
check "the restarted broker admitted nothing: no second migration" \
	test "$(count_lines 'admitted' "$T/broker.log")" = 0
check "one admission in all" test "$(count_lines 'vm1: move to h2 admitted' "$T/broker.log.1")" = 1

# the same request again, after the restart: answered from the record, not run
out=$(peer vm1 "MOVE move h2 0 $id")
check "MOVE with request $id again: the recorded answer ($out)" grep -q '^DONE confirmed 0 0 [0-9.]* h2' <<<"$out"
check "the broker says so" grep -q "request $id (move to h2) asked again: answered from the record, not run again" "$T/broker.log"
out=$(peer vm1 "OUTCOME $id")
check "OUTCOME $id: confirmed on h2" grep -q '^DONE confirmed 0 0 [0-9.]* h2' <<<"$out"
out=$(peer vm1 "OUTCOME 0123456789abcdef")
check "OUTCOME of an ID never admitted: UNKNOWN ($out)" test "$out" = UNKNOWN
check "still nothing admitted, the guest on h2" \
	sh -c "[ '$(count_lines admitted "$T/broker.log")' = 0 ] && [ '$(lv_state h2)' = running ]"
agent_stop
broker_stop
finish
