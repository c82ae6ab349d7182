#!/bin/bash
# SPDX-License-Identifier: ISC
# Out of descriptors is not a spin: at ulimit -n 64, 80 idle control clients (each back
# shortly after the agent closes it) leave the agent's log and CPU time bounded, keep
# descriptors free for the cycle, whose sensor goes on reading the known value, and
# `vmmanage status` works again once they go; the episode is logged once, with a count.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
need_cmd python3

agent_conf 'policy = "threshold"' 'threshold = 1000' 'tarry = 3' 'daemon_interval = 0.3' \
	'hosts = ["h1", "h2"]' 'location = "h1"'
values $(yes 42 | head -n 2000)
(ulimit -n 64 && exec "$VMMANAGE" -c "$T/vmm.conf" -f) >"$T/agent.out" 2>&1 &
AGENT_PID=$!
on_exit "kill $AGENT_PID; wait $AGENT_PID"
wait_for 20 test -S "$T/vmmanage.sock" || { cat "$T/agent.out"; die "agent did not start"; }
wait_cycles 2 || die "2 cycles before the clients come"

# N clients that connect and say nothing; one the agent closes comes back 0.2 s later.
cat >"$T/idle-clients.py" <<'EOF'
import socket, sys, time, select
path, n, started = sys.argv[1], int(sys.argv[2]), sys.argv[3]
slots = [None] * n          # a socket, or the time to try again
poller = select.poll()
def connect(i):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
    except OSError:         # backlog full (EAGAIN) or refused: try again later
        s.close()
        slots[i] = time.monotonic() + 0.2
        return
    slots[i] = s
    poller.register(s, select.POLLIN)
for i in range(n):
    connect(i)
open(started, "w").close()
while True:
    for fd, ev in poller.poll(50):
        i = next(k for k, s in enumerate(slots) if not isinstance(s, float) and s.fileno() == fd)
        poller.unregister(fd)
        slots[i].close()
        slots[i] = time.monotonic() + 0.2
    now = time.monotonic()
    for i, s in enumerate(slots):
        if isinstance(s, float) and s <= now:
            connect(i)
EOF
lines() { cat "$T/vmmanage.log" "$T/agent.out" 2>/dev/null | wc -l; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat"; }
c0=$(cycles) l0=$(lines) cpu0=$(cpu_ticks) t0=$(date +%s%N)
python3 "$T/idle-clients.py" "$T/vmmanage.sock" 80 "$T/started" &
flood=$!
on_exit "kill $flood"
wait_for 10 test -e "$T/started" || die "the clients did not start"
maxfds=0
_more_cycles() {
	local n
	n=$(ls "/proc/$AGENT_PID/fd" | wc -l)
	[ "$n" -gt "$maxfds" ] && maxfds=$n
	[ "$(cycles)" -ge $((c0 + 20)) ]
}
wait_for 60 _more_cycles; rc=$?
cpu1=$(cpu_ticks) t1=$(date +%s%N) l1=$(lines)
check "under the flood, 20 more cycles complete (past the clients' 5 s timeout)" test "$rc" = 0
hz=$(getconf CLK_TCK)
wall_ms=$(( (t1 - t0) / 1000000 ))
cpu_ms=$(( (cpu1 - cpu0) * 1000 / hz ))
check "CPU time bounded: ${cpu_ms} ms in ${wall_ms} ms (at most a quarter)" test $((cpu_ms * 4)) -le "$wall_ms"
# a cycle writes 5 lines; the flood itself at most a couple
check "log bounded: $((l1 - l0)) lines for $(( $(cycles) - c0 )) cycles" \
	test $((l1 - l0)) -le $(( ($(cycles) - c0) * 6 + 10 ))
check "descriptors kept free for the cycle: at most $maxfds of 64 in use" test "$maxfds" -le 48
# the daemon's own messages: stderr in the foreground
check "the episode is said once ($(count_lines 'control: refusing' "$T/agent.out"))" \
	test "$(count_lines 'control: refusing' "$T/agent.out")" = 1
# one copy of the log for both counts: the agent goes on writing it; the last block may
# be half written (its value line, not yet its end marker)
cp "$T/vmmanage.log" "$T/snap.log"
v42=$(count_lines '^value: +42$' "$T/snap.log") ends=$(count_lines '^\*\*-----\*\*$' "$T/snap.log")
check "every cycle read the sensor's value 42 ($v42 values, $ends cycles)" \
	test "$v42" = "$ends" -o "$v42" = "$((ends + 1))"
check "no sensor failure" test "$(count_lines 'unknown' "$T/vmmanage.log")" = 0
timeout 20 "$VMMANAGE" -c "$T/vmm.conf" status >"$T/busy.out" 2>&1; rc=$?
check "status during the flood answers, OK or busy, never hangs ($rc: $(tail -1 "$T/busy.out"))" \
	sh -c "[ $rc = 0 ] || { [ $rc = 1 ] && grep -q busy '$T/busy.out'; }"

kill "$flood"; wait "$flood" 2>/dev/null
_status_ok() { "$VMMANAGE" -c "$T/vmm.conf" status >"$T/status.out" 2>&1; }
wait_for 15 _status_ok; rc=$?
check "once the clients go, status works again" test "$rc" = 0
check "and shows the value" grep -q '^last samples: .*42' "$T/status.out"
wait_for 15 grep -qE 'control: accepting connections again after [0-9.]+ s: [0-9]+ refused' "$T/agent.out" &&
	ok "the episode's end is logged with a count: $(grep -o 'control: accepting.*' "$T/agent.out")" ||
	fail "the episode's end is logged with a count"

# Out of descriptors altogether: the soft limit lowered (prlimit) to the lowest free
# descriptor, so even accept fails (EMFILE). The agent gives up its spare descriptor to
# tell each client it is busy, does not spin, says so once; raised again, all recovers.
if command -v prlimit >/dev/null 2>&1; then
	low=0; while [ -e "/proc/$AGENT_PID/fd/$low" ]; do low=$((low + 1)); done
	prlimit --pid "$AGENT_PID" --nofile="$low:" || die "prlimit"
	l0=$(lines) cpu0=$(cpu_ticks) t0=$(date +%s%N)
	python3 "$T/idle-clients.py" "$T/vmmanage.sock" 20 "$T/started2" &
	flood=$!
	on_exit "kill $flood"
	wait_for 10 test -e "$T/started2" || die "the clients did not start"
	_refused_some() { grep -qE 'refusing connections: out of file descriptors' "$T/agent.out"; }
	wait_for 20 _refused_some && ok "out of descriptors: said ($(grep -o 'control: refusing connections: out of.*' "$T/agent.out"))" ||
		fail "out of descriptors: said"
	timeout 20 "$VMMANAGE" -c "$T/vmm.conf" status >"$T/emfile.out" 2>&1; rc=$?
	check "a client is told the daemon is busy ($rc: $(tail -1 "$T/emfile.out"))" \
		sh -c "[ $rc = 1 ] && grep -q 'busy: out of file descriptors' '$T/emfile.out'"
	_two_s() { [ $(( $(date +%s%N) - t0 )) -ge 2000000000 ]; }
	wait_for 10 _two_s
	cpu1=$(cpu_ticks) t1=$(date +%s%N) l1=$(lines)
	wall_ms=$(( (t1 - t0) / 1000000 )) cpu_ms=$(( (cpu1 - cpu0) * 1000 / hz ))
	check "no spin: ${cpu_ms} ms CPU in ${wall_ms} ms" test $((cpu_ms * 4)) -le "$wall_ms"
	check "log bounded: $((l1 - l0)) lines in ${wall_ms} ms" test $((l1 - l0)) -le 60
	kill "$flood"; wait "$flood" 2>/dev/null
	prlimit --pid "$AGENT_PID" --nofile=64: || die "prlimit"
	c=$(cycles)
	wait_cycles $((c + 3)) 20 || fail "cycles go on once descriptors are back"
	check "and read the value again" grep -q 'Sensor exec reads again' "$T/agent.out"
	wait_for 15 _status_ok; rc=$?
	check "status works again" test "$rc" = 0
	_ended() { grep -qE 'accepting connections again after .* [0-9]+ refused.*out of file descriptors' "$T/agent.out"; }
	wait_for 15 _ended && ok "the episode ends with its count: $(grep -o 'control: accepting.*out of file.*' "$T/agent.out")" ||
		fail "the episode ends with its count"
fi
agent_stop
finish
