#!/bin/bash
# SPDX-License-Identifier: ISC
# An agent's clock off the collector's: ahead is said at once, behind only for a live
# stream (not a spool sent late), once per episode, and again when it agrees; the JSON
# copy carries the receipt time beside the agent's.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_cmd python3 nc

collector_dirs
port=$(free_port)
write_conf "$T/c.conf" "$port" 'max_clock_skew = 300;'
start_collector "$T/c.conf" "$T/out/central.log" -j "$T/out/central.json"

# agent PORT HOST BOOT STEPS: an agent of the VMM1 protocol; each step "OFFSET COUNT
# PAUSE" sends COUNT frames stamped now+OFFSET, PAUSE seconds apart.
agent() {
	python3 - "$@" <<'EOF'
import socket, sys, time
port, host, boot = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(("VMM1 HELLO %s %s\n" % (host, boot)).encode())
f = s.makefile("rb")
last = int(f.readline().split()[2])
seq = last
for step in sys.argv[4:]:
    off, count, pause = step.split()
    for i in range(int(count)):
        seq += 1
        msg = ("line %d" % seq).encode()
        s.sendall(b"M %d %d %d\n" % (seq, int(time.time()) + int(off), len(msg)) + msg + b"\n")
        if float(pause) > 0:
            time.sleep(float(pause))
while True:
    a = f.readline().split()
    if not a or int(a[1]) >= seq:
        break
EOF
}
warnings() { count_lines "agent $1 .*its clock is" "$T/collector.err"; }

# 10 minutes ahead: said at once, once for the five frames
agent "$port" ahead 00000000000000a1 "600 5 0"
check "a clock 600 s ahead is said ($(grep -o 'its clock is [0-9]* s [a-z ]*' "$T/collector.err" | head -1))" \
	grep -Eq 'agent ahead .*its clock is 60[0-2] s ahead of the collector' "$T/collector.err"
check "once, not per frame ($(warnings ahead))" test "$(warnings ahead)" = 1

# a spool sent late: stamps from an hour ago rushing by, then live ones: no warning
agent "$port" late 00000000000000a2 "-3600 40 0" "-3000 40 0" "0 4 1"
check "a backlog sent late is no skew ($(warnings late))" test "$(warnings late)" = 0

# 10 minutes behind, live (a frame a second for 12 s): said once; then right again
agent "$port" behind 00000000000000a3 "-600 13 1" "0 12 1"
check "a clock 600 s behind, live, is said once ($(warnings behind))" test "$(warnings behind)" = 1
check "as behind" grep -Eq 'agent behind .*its clock is 60[0-2] s behind the collector' "$T/collector.err"
check "and when it agrees again, that too" grep -q 'agent behind .*its clock agrees with the collector.s again' "$T/collector.err"

# the JSON copy: the agent's time and the receipt
python3 - "$T/out/central.json" > "$T/json.check" <<'EOF'
import json, sys, time
for o in map(json.loads, open(sys.argv[1])):
    if o["host"] == "ahead":
        print("ahead", o["epoch"] - o["received"])
        break
EOF
check "JSON: epoch is the agent's, received the collector's ($(cat "$T/json.check"))" \
	sh -c "read -r h d < '$T/json.check' && [ \"\$d\" -ge 598 ] && [ \"\$d\" -le 602 ]"
now=$(date +%s)
check "the text line keeps the agent's time" \
	sh -c "grep 'ahead: line 1\$' '$T/out/central.log' | awk -v now=$now '{ exit !(\$1 - now > 500) }'"
finish
