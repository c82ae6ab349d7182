#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# A migration that outlasts endpoint_timeout (the link to the target crawls) is aborted
# by the watcher on its second connection (virDomainAbortJob): the move fails as a
# timeout, transient, and the guest goes on running on the source. With the link back
# to speed the next move succeeds.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/libvirt_hosts.sh"
lv_need
need_cmd tc

lv_hosts_start h1 h2
lv_guest_start h1
lv_slow_link h2 || skip "tc cannot shape traffic here (sch_tbf)"
lv_agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.5' \
	'cooldown = 1' 'max_moves_per_hour = 0' 'endpoint_timeout = 6'
values $(yes 1 | head -500)
agent_start
wait_for 10 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qx 'location: h1 (confirmed by the endpoint)'" \
	|| fail "located on h1"
t0=$(date +%s)
out=$(vmm move 2>&1) || fail "move accepted: $out"
wait_for 40 grep -q 'Move to h2 failed' "$T/vmmanage.log" || fail "the slow move ended: $(tail -3 "$T/vmmanage.log")"
took=$(( $(date +%s) - t0 ))
line=$(grep 'Move to h2 failed' "$T/vmmanage.log")
check "aborted at endpoint_timeout, a timeout ($line)" \
	grep -q 'failed (timeout): h1 -> h2: aborted at endpoint_timeout' <<<"$line"
check "not permanent" sh -c "! echo '$line' | grep -q permanent"
check "it ended soon after the deadline of 6 s: $took s" test "$took" -le 20
check "the guest runs on h1 still ($(lv_state h1))" test "$(lv_state h1)" = running
check "and not on h2 ($(lv_state h2))" test "$(lv_state h2)" = absent
check "status: location h1" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qx 'location: h1 (confirmed by the endpoint)'"

lv_fast_link h2
sleep 1.5 # the guard's cooldown
out=$(vmm move 2>&1) || fail "second move accepted: $out"
wait_for 40 grep -qE 'Move to h2 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "at full speed the move succeeds" || fail "move at full speed: $(tail -3 "$T/vmmanage.log")"
check "virsh on h2: running ($(lv_state h2))" test "$(lv_state h2)" = running
check "virsh on h1, the source: gone ($(lv_state h1))" test "$(lv_state h1)" = absent
agent_stop
finish
