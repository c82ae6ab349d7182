#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# The libvirt endpoint moves a real QEMU guest between two real libvirt hosts, both ways
# (test T1 of the Xen report): the threshold policy decides from a scripted indicator,
# libvirt on the target shows the guest running, the log says confirmed with a duration,
# and the agent's location is what libvirt reports, at start too. An agent killed while
# its move is in flight finds out at the next start where the guest went (PITFALLS: the
# agent lives in the VM it moves).
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/libvirt_hosts.sh"
lv_need

lv_hosts_start h1 h2
lv_guest_start h1
check "the guest runs on h1 to begin with" test "$(lv_where)" = h1
# the cached location says h2: libvirt's answer must win
lv_agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 2' 'daemon_interval = 0.5' \
	'cooldown = 10' 'max_moves_per_hour = 0' 'endpoint_timeout = 60' 'location = "h2"'
values 60 60 60 60 $(seq 1 40 | sed 's/.*/1/')
agent_start
wait_for 10 grep -q 'The endpoint reports the VM on h1 (cached: h2)' "$T/vmmanage.log" \
	&& ok "at start the agent asks libvirt, which says h1, over the cached h2" || fail "located at start"

status() { vmm status 2>/dev/null; }
wait_for 40 grep -qE 'Move to h2 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "the policy's move to h2 is confirmed" || fail "move to h2 confirmed: $(grep -E 'Move|Suppr' "$T/vmmanage.log")"
check "virsh on h2: the guest is running ($(lv_state h2))" test "$(lv_state h2)" = running
check "virsh on h1: the guest is gone ($(lv_state h1))" test "$(lv_state h1)" = absent
status > "$T/status1"
lv_conns "$AGENT_PID" > "$T/conns1"
check "status: location h2, confirmed by the endpoint" grep -qx 'location: h2 (confirmed by the endpoint)' "$T/status1"
check "status: libvirt's free memory of each host, as a hint for the choice" \
	grep -qE '^host h1: .*[0-9.]+ GiB free' "$T/status1"
check "status: the measured time of the move h1 -> h2" grep -qE '^move time h1 -> h2: [0-9.]+ s mean over 1,' "$T/status1"
check "status: the last request, confirmed, with its duration" \
	grep -qE '^last request: move to h2 at .*: confirmed after [0-9.]+ s \(live migration h1 -> h2' "$T/status1"

wait_for 40 grep -qE 'Move to h1 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "the second move brings it back to h1, confirmed" || fail "move back to h1: $(grep -E 'Move|Suppr' "$T/vmmanage.log")"
check "virsh on h1: running again ($(lv_state h1))" test "$(lv_state h1)" = running
check "virsh on h2: gone ($(lv_state h2))" test "$(lv_state h2)" = absent
# opening them was most of the time from the decision to the migration call
lv_conns "$AGENT_PID" > "$T/conns2"
check "between moves the agent keeps its connections to both hosts open ($(awk '{ print $2 }' "$T/conns1" | sort -u | tr '\n' ' '))" \
	test "$(awk '{ print $2 }' "$T/conns1" | sort -u | wc -l)" = 2
check "the next move used them again and closed none ($(comm -23 "$T/conns1" "$T/conns2" | tr '\n' ' '))" \
	test -z "$(comm -23 "$T/conns1" "$T/conns2")"
wait_for 5 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qx 'location: h1 (confirmed by the endpoint)'" \
	&& ok "status: location h1" || fail "status location h1"

# h2's libvirtd restarts between moves: the connection kept to it is dead, and the next
# move opens a new one instead of failing; then back to h1 for what follows
lv_host_stop h2
lv_host_restart h2
cli_move_to() { # HOST: once the guard lets a CLI move through, it is confirmed on HOST
	local n0
	n0=$(count_lines "Move to $1 confirmed" "$T/vmmanage.log")
	wait_for 30 vmm move >/dev/null 2>&1 || fail "the CLI move to $1 was not accepted"
	wait_for 40 sh -c "[ \$(grep -c 'Move to $1 confirmed' '$T/vmmanage.log') -gt $n0 ]"
}
cli_move_to h2 && ok "after h2's libvirtd restarted, a move to h2 is confirmed" \
	|| fail "move after the restart: $(grep -E 'Move|Suppr' "$T/vmmanage.log" | tail -3)"
check "virsh on h2: running ($(lv_state h2))" test "$(lv_state h2)" = running
cli_move_to h1 || fail "back to h1: $(grep -E 'Move|Suppr' "$T/vmmanage.log" | tail -3)"

for d in $(sed -nE 's/.*Move to h[12] confirmed in ([0-9.]+) s.*/\1/p' "$T/vmmanage.log"); do
	check "a measured duration: 0 < $d s < 60" awk -v d="$d" 'BEGIN { exit !(d > 0 && d < 60) }'
done
wait_cycles 8 60 || fail "sampling goes on after the moves"
agent_stop
n=$(count_lines 'Requesting migration of VM' "$T/vmmanage.log")
check "four requests (two by the policy, two by the CLI), four moves ($n)" test "$n" = 4
check "no failed or unconfirmed move" sh -c "! grep -qE 'failed|unconfirmed' '$T/vmmanage.log'"

# killed mid-move: libvirt finishes the peer-to-peer migration without its client
values $(yes 1 | head -100)
agent_start
wait_for 10 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qx 'location: h1 (confirmed by the endpoint)'" || fail "on h1 again"
out=$(vmm move 2>&1) || fail "move accepted: $out"
in_flight() { vmm status 2>/dev/null | grep -qx 'in flight: h2'; }
check "a move to h2 is in flight" wait_for 10 in_flight
kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
check "the request was recorded before the call" grep -qx 'target=h2' "$T/state/request"
check "and the state file during it" grep -qx 'pending_target=h2' "$T/state/state"
# started again once the migration has settled (started while it ends, the outcome once
# disagreed with libvirt under ASan and load: not solved yet), the agent asks libvirt how
# the move ended and takes that outcome; it never migrates again
settled() { [ "$(lv_where)" != none ] && [ "$(lv_state h1)" != paused ] && [ "$(lv_state h2)" != paused ]; }
wait_for 30 settled || fail "the migration settled"
agent_start
wait_for 15 grep -q "A move to h2 requested before the restart (request [0-9a-f]\{16\}): asking the endpoint how it ended" "$T/vmmanage.log" \
	&& ok "restarted, the agent asks libvirt how the move ended" || fail "recover: $(tail -3 "$T/vmmanage.log")"
wait_for 60 grep -qE 'Move to h2 (confirmed|failed)' "$T/vmmanage.log" || fail "the outcome: $(tail -3 "$T/vmmanage.log")"
where=$(lv_where)
outcome=failed; [ "$where" = h2 ] && outcome=confirmed
check "the outcome the agent took is where libvirt has the VM ($where)" \
	grep -qE "Move to h2 $outcome.*found again after a restart" "$T/vmmanage.log"
check "one request in all for it: nothing migrated twice" \
	test "$(count_lines 'Requesting migration of VM' "$T/vmmanage.log")" = 5
check "status: location $where, the last request $outcome" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status > '$T/status3' &&
	grep -qx 'location: $where (confirmed by the endpoint)' '$T/status3' && grep -q '^last request: move to h2 at .*: $outcome' '$T/status3'"
agent_stop

# moved behind the agent's back (an administrator's virsh migrate): the periodic locate
# (locate_interval) finds it without any move of its own
echo 'locate_interval = 2' >> "$T/vmm.conf"
n0=$(count_lines 'Requesting migration of VM' "$T/vmmanage.log")
agent_start
wait_for 15 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qx 'location: $where (confirmed by the endpoint)'" || fail "located on $where"
other=h1; [ "$where" = h1 ] && other=h2
lv_virsh "$where" migrate --live --p2p "$LV_UUID" "$(lv_uri "$other")" "tcp://$(lv_addr "$other")" ||
	fail "virsh migrate $where -> $other"
wait_for 15 grep -q "The endpoint reports the VM on $other (cached: $where)" "$T/vmmanage.log" \
	&& ok "the periodic locate sees the VM on $other, moved by hand" || fail "periodic locate: $(grep -i endpoint "$T/vmmanage.log" | tail -2)"
n=$(count_lines 'Requesting migration of VM' "$T/vmmanage.log")
check "without a request of its own ($((n - n0)))" test "$n" = "$n0"
agent_stop
finish
