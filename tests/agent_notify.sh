#!/bin/bash
# SPDX-License-Identifier: ISC
# Under a Type=notify unit: the collector says READY=1 once it listens; the agent (in the foreground, as the unit runs it) says
# READY=1 once its control socket answers, pets the watchdog while its loop turns,
# brackets a reload with RELOADING=1 and READY=1, and says STOPPING=1 on SIGTERM. The
# messages come from libsystemd's sd_notify; tests/notify_listen.py plays the manager.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_cmd python3 nc

python3 "$top_srcdir/tests/notify_listen.py" "$T/notify" "$T/heard" &
listener=$!
on_exit "kill $listener"
wait_for 10 grep -q '^listening' "$T/heard" || die "the listener did not start"

agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.2' \
	'hosts = ["h1", "h2"]' 'location = "h1"'
values 1 2 3 4 5 6 7 8 9 10
NOTIFY_SOCKET="$T/notify" WATCHDOG_USEC=900000 "$VMMANAGE" -c "$T/vmm.conf" -f > "$T/agent.out" 2>&1 &
AGENT_PID=$!
on_exit "kill $AGENT_PID"

wait_for 20 grep -q '^READY=1' "$T/heard" || die "READY=1 never arrived: $(cat "$T/heard" "$T/agent.out")"
check "READY=1 comes once the control socket answers" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^location: h1'"
check "READY=1 names the daemon as the main pid ($(grep -m1 '^READY=1' "$T/heard"))" \
	grep -q "^READY=1|MAINPID=$AGENT_PID|" "$T/heard"
watchdogs() { count_lines '^WATCHDOG=1$' "$T/heard"; }
_watchdogs_ge() { [ "$(watchdogs)" -ge "$1" ]; }
check "the watchdog is petted while the loop turns" wait_for 20 _watchdogs_ge 4

kill -HUP "$AGENT_PID"
check "SIGHUP: RELOADING=1" wait_for 20 grep -q '^RELOADING=1' "$T/heard"
check "and READY=1 after it, saying reloaded" \
	wait_for 20 sh -c "sed -n '/^RELOADING=1/,\$p' '$T/heard' | grep -q '^READY=1.*STATUS=reloaded'"

# A configuration that does not load: still READY=1 after RELOADING=1, saying so.
cp "$T/vmm.conf" "$T/vmm.conf.good"
echo 'threshold = ' >> "$T/vmm.conf"
"$VMMANAGE" -c "$T/vmm.conf.good" reload > "$T/reload.out" 2>&1
check "a failed reload: READY=1 again, saying it failed" \
	wait_for 20 grep -q '^READY=1.*STATUS=reload failed' "$T/heard"
cp "$T/vmm.conf.good" "$T/vmm.conf"

kill "$AGENT_PID"
wait "$AGENT_PID"; rc=$?
check "SIGTERM: exit 0 ($rc)" test "$rc" = 0
check "STOPPING=1 before it ends" grep -q '^STOPPING=1' "$T/heard"

# No manager asked (the SysV script, a forking start): no socket, no message, no error.
: > "$T/heard2"
env -u NOTIFY_SOCKET WATCHDOG_USEC=900000 "$VMMANAGE" -c "$T/vmm.conf" -f > "$T/agent2.out" 2>&1 &
pid2=$!
on_exit "kill $pid2"
check "it starts without NOTIFY_SOCKET" wait_for 20 test -S "$T/vmmanage.sock"
kill "$pid2"; wait "$pid2"; rc=$?
check "without NOTIFY_SOCKET it runs and stops as before ($rc)" test "$rc" = 0
check "and says nothing of the manager ($(grep -ci notify "$T/agent2.out"))" sh -c "! grep -qi 'notify\|watchdog' '$T/agent2.out'"

# The collector, as its unit runs it: READY=1 once it listens, with its own pid.
: > "$T/heard"
collector_dirs
port=$(free_port)
write_conf "$T/collector.conf" "$port"
NOTIFY_SOCKET="$T/notify" WATCHDOG_USEC=900000 "$COLLECTOR" -f -c "$T/collector.conf" -o "$T/out/central.log" 2> "$T/collector.err" &
cpid=$!
on_exit "kill $cpid"
check "the collector: READY=1 with its pid" wait_for 20 grep -q "^READY=1|MAINPID=$cpid|" "$T/heard"
check "and by then it listens" port_open "$port"
check "its loop pets the watchdog too" wait_for 20 _watchdogs_ge 4
kill "$cpid"; wait "$cpid"
check "and it says STOPPING=1" grep -q '^STOPPING=1' "$T/heard"
finish
