#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# The target's libvirtd is dead: each request fails with a log line that names the class
# and the host, the agent keeps sampling, requests stay within the guard's pace (no
# storm), and once the host is back the move succeeds. A CLI move while another is in
# flight is refused politely. A target whose libvirtd hangs (stopped) fails within the
# keepalive time instead of holding the move forever, and does not hold the agent's stop
# when the agent keeps an idle connection to it.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/libvirt_hosts.sh"
lv_need

lv_hosts_start h1 h2
lv_guest_start h1
lv_host_stop h2
check "h2's libvirtd is down" sh -c "! virsh -c '$(lv_uri h2)' version >/dev/null 2>&1"

COOLDOWN=4
lv_agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.5' \
	"cooldown = $COOLDOWN" 'max_moves_per_hour = 0' 'endpoint_timeout = 60' 'libvirt_keepalive = 2' \
	'retry_backoff = 3' 'retry_backoff_max = 6'
values $(yes 60 | head -500)
agent_start
wait_for 20 grep -q 'Move to h2 failed' "$T/vmmanage.log" || fail "a first failure"
line=$(grep -m1 'Move to h2 failed' "$T/vmmanage.log")
check "the failure names its class: unreachable ($line)" grep -q 'failed (unreachable): ' <<<"$line"
check "and the host and libvirt's reason" grep -qE 'target h2 \(qemu\+tcp://[0-9.]+/system\): .*(refused|connect)' <<<"$line"
lacks() { ! grep -q -- "$1" <<<"$2"; }
check "a dead host is not a permanent failure" lacks permanent "$line"

# a window of failures: the agent goes on, at the guard's pace
c0=$(cycles); r0=$(count_lines 'Requesting migration of VM' "$T/vmmanage.log"); t0=$(date +%s)
sleep 13
c1=$(cycles); r1=$(count_lines 'Requesting migration of VM' "$T/vmmanage.log"); t1=$(date +%s)
check "the agent keeps sampling while the target is down ($c0 -> $c1 cycles)" test "$c1" -gt "$c0"
max=$(( (t1 - t0) / COOLDOWN + 1 ))
check "no request storm: $((r1 - r0)) requests in $((t1 - t0)) s (at most $max with cooldown $COOLDOWN)" \
	test $((r1 - r0)) -le "$max" -a $((r1 - r0)) -ge 1
check "every request so far failed as unreachable" test \
	"$(grep -c 'Move to h2 failed (unreachable)' "$T/vmmanage.log")" = "$(count_lines 'Requesting migration of VM' "$T/vmmanage.log")"
check "the guest still runs on h1" test "$(lv_where)" = h1
check "the dead target backs off: 3 s after the first failure" \
	grep -q 'Move to h2 failed (unreachable): .*; backing off h2 for 3 s (1 failure in a row)' "$T/vmmanage.log"
check "doubling, capped at retry_backoff_max" grep -q 'backing off h2 for 6 s (3 failures in a row)' "$T/vmmanage.log"
check "meanwhile the policy's requests are held, saying why" \
	grep -q 'Suppressed move from policy: no host to move to: h2 is backing off after' "$T/vmmanage.log"
vmm status > "$T/status1"
check "status: location h1 and the last failure" grep -qE '^last request: move to h2 at .*: failed' "$T/status1"
check "the daemon runs" kill -0 "$AGENT_PID"

lv_host_restart h2
wait_for 40 grep -qE 'Move to h2 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "once h2 is back the move succeeds" || fail "move after the restart: $(tail -5 "$T/vmmanage.log")"
values $(yes 1 | head -500) # quiet from now on
wait_for 20 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^in flight: no'" || fail "no move in flight"
check "libvirt shows it on h2 (or back on h1 after one more move): $(lv_where)" test "$(lv_where)" != none
check "on one host only ($(lv_running | tr '\n' ' '))" test "$(lv_running | wc -l)" = 1

# a CLI move while one is in flight (after the guard's cooldown)
sleep "$COOLDOWN"
where=$(lv_where); other=h1; [ "$where" = h1 ] && other=h2
n0=$(log_count "Move to $other confirmed")
out1=$(vmm move 2>&1); rc1=$?
out2=$(vmm move 2>&1); rc2=$?
check "the first CLI move is accepted ($out1)" test "$rc1" = 0
check "a second one while it is in flight is refused: exit $rc2" test "$rc2" = 1
check "politely ($out2)" grep -q "refused: a move to $other is in flight" <<<"$out2"
wait_for 40 log_more "$n0" "Move to $other confirmed" \
	&& ok "the first one completes: confirmed on $other" || fail "cli move confirmed"
check "the refusal is in the log" grep -q 'Suppressed move from cli: a move is in flight' "$T/vmmanage.log"
check "libvirt agrees: $other runs it ($(lv_state "$other"))" test "$(lv_state "$other")" = running
check "and $where, the source, does not ($(lv_state "$where"))" test "$(lv_state "$where")" != running

# the next target's libvirtd hangs: TCP is accepted, nothing answers
hung=$where
pid=$(cat "$LV_DIR/$hung/libvirtd.pid")
kill -STOP "$pid"
on_exit "kill -CONT $pid"
sleep "$COOLDOWN"
n0=$(log_count "Move to $hung failed")
t0=$(date +%s)
out=$(vmm move 2>&1) || fail "the move to the hung $hung was not accepted: $out"
wait_for 40 log_more "$n0" "Move to $hung failed" || fail "the move to the hung host ended"
took=$(( $(date +%s) - t0 ))
line=$(grep "Move to $hung failed" "$T/vmmanage.log" | tail -1)
check "a hung target fails as unreachable, not answering ($line)" grep -q "failed (unreachable): target $hung .*not answering" <<<"$line"
check "within the keepalive time (2 s x 6), not forever: $took s" test "$took" -le 20
check "the VM stays on $other ($(lv_state "$other"))" test "$(lv_state "$other")" = running
kill -CONT "$pid"
check "the daemon runs" kill -0 "$AGENT_PID"
agent_stop

# a host hangs while the agent keeps an idle connection to it: the stop does not wait
# for keepalive to give up on that connection (5 s x 5 at the default libvirt_keepalive)
sed -i '/^libvirt_keepalive = /d' "$T/vmm.conf"
agent_start
wait_for 20 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^location: .* (confirmed by the endpoint)'" \
	|| fail "located: $(vmm status 2>&1 | grep location)"
wait_for 10 sh -c "[ \$(ss -Htnp state established '( dport = :16509 )' | grep -c 'pid=$AGENT_PID,') -ge 2 ]" \
	|| fail "kept connections to both hosts: $(lv_conns "$AGENT_PID")"
kill -STOP "$pid"
t0=$(date +%s.%N)
agent_stop
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
kill -CONT "$pid"
check "a stop with a hung host takes a few seconds, not keepalive's 25: $took s" \
	awk -v t="$took" 'BEGIN { exit !(t <= 8) }'
check "and says why it did not wait" grep -qE 'libvirt: [0-9]+ kept connections? did not close within 2 s \(a host does not answer\): left to close on (its|their) own' \
	"$T/vmmanage.log" "$T/agent.out"

# two names for one libvirtd (URIs that differ only by the default port): libvirt would
# refuse "to migrate guest to the same host"; we say what is wrong, once, as permanent
on=$(lv_where)
addr=$(lv_addr "$on")
sed -i '/^hosts = /d; /^libvirt_uris = /d' "$T/vmm.conf"
cat >> "$T/vmm.conf" <<EOC
hosts = ["$on", "${on}b"]
libvirt_uris = ["$on=qemu+tcp://$addr/system", "${on}b=qemu+tcp://$addr:16509/system"]
EOC
rm -rf "$T/state"
values $(yes 1 | head -100)
agent_start
wait_for 20 grep -q "Cannot ask the endpoint where the VM runs: $on and ${on}b are one libvirt host (host UUID" "$T/vmmanage.log" \
	&& ok "at start: $on and ${on}b are one libvirt host" || fail "same host at start: $(grep -i 'endpoint' "$T/vmmanage.log" | tail -2)"
out=$(vmm move 2>&1) || fail "move accepted: $out"
wait_for 20 grep -q "Move to ${on}b failed (configuration, permanent): $on and ${on}b are one libvirt host" "$T/vmmanage.log" \
	&& ok "a move between them fails as a permanent configuration error" || fail "same host move: $(tail -2 "$T/vmmanage.log")"
check "the guest was left alone on $on ($(lv_state "$on"))" test "$(lv_state "$on")" = running
agent_stop
finish
