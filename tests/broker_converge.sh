#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# Migrations that do not converge, on real libvirt hosts through the broker (the link to
# the target crawls, so each migration runs long enough to be looked at):
#   - the maximum downtime raised in steps (virsh migrate-getmaxdowntime sees 50, then
#     300, then 1000 ms), with auto-converge on in the job (QEMU's capabilities);
#   - a deadline that scales with the guest's memory: endpoint_timeout 3 s plus 64 s per
#     GiB of its 64 MiB is 7 s; the job is aborted then, not at 3 s, and the guest goes
#     on running on the source;
#   - post-copy, opted in, switched to after 2 s of pre-copy;
#   - a move between sites with libvirt_tls = "never" is refused with the reason, and
#     nothing moves.
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
vm1() {
	broker_vm vm1 "libvirt_domain = \"$LV_UUID\"" 'hosts = ["h1", "h2"]' \
		"libvirt_uris = [\"h1=$(lv_uri h1)\", \"h2=$(lv_uri h2)\"]" \
		'libvirt_migrate_uri_template = "tcp://%a"' "$@"
}
broker_conf 'endpoint = "libvirt"'
on_exit "tc qdisc del dev vmmlv$(lv_index h2) root 2>/dev/null; tc qdisc del dev vmmlv$(lv_index h1) root 2>/dev/null"
jobrunning() { lv_virsh h1 domjobinfo "$LV_UUID" 2>/dev/null | grep -q '^Job type: *Unbounded'; }
downtime() { lv_virsh h1 migrate-getmaxdowntime "$LV_UUID" 2>/dev/null; }

# ---- stepped downtime and auto-converge ----
vm1 'endpoint_timeout = 120' 'libvirt_max_downtime_steps = "50 300 1000"' \
	'libvirt_max_downtime_step_interval = 2' 'libvirt_auto_converge = true' 'libvirt_stall_timeout = 0'
broker_start
lv_slow_link h2 || skip "tc cannot shape traffic here (sch_tbf)"
peer vm1 "MOVE move h2 0" > "$T/ans1" &
p=$!
wait_for 30 jobrunning || fail "no migration job"
wait_for 10 sh -c "[ \"\$(virsh -q -c '$(lv_uri h1)' migrate-getmaxdowntime '$LV_UUID')\" = 50 ]" \
	&& ok "first step: 50 ms" || fail "first step: $(downtime)"
caps=$(lv_virsh h1 qemu-monitor-command "$LV_UUID" --hmp 'info migrate_capabilities' 2>&1)
check "auto-converge is on in the job ($(grep auto-converge <<<"$caps"))" grep -q 'auto-converge: on' <<<"$caps"
wait_for 10 sh -c "[ \"\$(virsh -q -c '$(lv_uri h1)' migrate-getmaxdowntime '$LV_UUID')\" = 300 ]" \
	&& ok "then 300 ms" || fail "second step: $(downtime)"
wait_for 10 sh -c "[ \"\$(virsh -q -c '$(lv_uri h1)' migrate-getmaxdowntime '$LV_UUID')\" = 1000 ]" \
	&& ok "then 1000 ms" || fail "third step: $(downtime)"
check "each step logged" test "$(count_lines 'libvirt: maximum downtime (50|300|1000) ms after' "$T/broker.log")" = 3
lv_fast_link h2
wait "$p"
check "the move confirmed ($(head -1 "$T/ans1"))" grep -q '^DONE confirmed 0 0 [0-9.]* h2' "$T/ans1"
broker_stop

# ---- the deadline scales with the guest's memory ----
vm1 'endpoint_timeout = 3' 'libvirt_timeout_per_gib = 64' 'libvirt_stall_timeout = 0'
broker_start
lv_slow_link h1
t0=$(date +%s.%N)
out=$(peer vm1 "MOVE move h1 0")
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
check "aborted at the deadline, a timeout ($out)" \
	grep -q '^DONE failed 2 0 .*aborted at endpoint_timeout: the migration ran longer than the deadline of 7 s' <<<"$out"
check "after 3 s + 64 s/GiB x 1/16 GiB = 7 s, not 3 s ($took s)" awk -v t="$took" 'BEGIN { exit !(t >= 6.5 && t < 30) }'
check "the broker logged it" grep -q 'vm1: move to h1 failed.*deadline of 7 s' "$T/broker.log"
wait_for 20 sh -c "! virsh -q -c '$(lv_uri h2)' domjobinfo '$LV_UUID' 2>/dev/null | grep -q Unbounded" || true
check "the guest goes on running on the source h2 ($(lv_state h2)), not on h1 ($(lv_state h1))" \
	sh -c "[ '$(lv_state h2)' = running ] && [ '$(lv_state h1)' = absent ]"
lv_fast_link h1
broker_stop

# ---- post-copy, opted in ----
vm1 'endpoint_timeout = 120' 'libvirt_postcopy = true' 'libvirt_postcopy_after = 2' 'libvirt_stall_timeout = 0'
broker_start
lv_slow_link h1
out=$(peer vm1 "MOVE move h1 0")
lv_fast_link h1
if grep -q 'the switch to post-copy failed' "$T/broker.log"; then
	echo "# post-copy is not possible here: $(grep 'switch to post-copy failed' "$T/broker.log")"
	check "a failed switch is logged, and the move still ends ($out)" grep -q '^DONE' <<<"$out"
else
	check "switched to post-copy after 2 s, with the risk stated" \
		grep -q 'switched to post-copy after 2 s.*a network cut until the end loses it' "$T/broker.log"
	check "the move confirmed ($out)" grep -q '^DONE confirmed 0 0 [0-9.]* h1' <<<"$out"
	check "the guest runs on h1 ($(lv_state h1))" test "$(lv_state h1)" = running
fi
broker_stop

# ---- between sites: TLS, or refused ----
vm1 'endpoint_timeout = 60' 'libvirt_tls = "never"'
broker_start
where=$(lv_where)
out=$(peer vm1 "MOVE move h2 1")
check "a move between sites without TLS: refused, permanent, with the reason ($out)" \
	grep -q '^DONE failed 5 1 .*a move between sites must be encrypted: libvirt_tls = "never"' <<<"$out"
check "nothing moved (still on $where: $(lv_where))" test "$(lv_where)" = "$where"
broker_stop
finish
