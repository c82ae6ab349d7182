#!/bin/bash
# SPDX-License-Identifier: ISC
# kill -9 the collector twice while an agent (logship through the test driver) streams
# 10,000 messages, restart it each time: OUTPUT holds every message exactly once, in order.
# Then replayed frames after the restarts (an old one, and exactly the last one) are still
# recognised as duplicates.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc
[ -x "$DRIVER" ] || skip "logship_driver is not built"

N=10000
PORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT" 'rate_limit = 0;'
OUT="$T/out/central.log"
start_collector "$T/c.conf" "$OUT"

# 2,500 messages a second for 4 s, each appended durably to the spool first
"$DRIVER" -c "localhost:$PORT" -s "$T/spool" -n "$N" -H agent1 -r 2500 -t 50 -v \
	> "$T/driver.out" 2> "$T/driver.err" &
DPID=$!
on_exit "kill -9 $DPID"
for pause in 1.2 1.3; do
	sleep "$pause"
	kill -9 "$CPID"; wait "$CPID" 2>/dev/null
	echo "# killed the collector with $(wc -l < "$OUT") lines in OUTPUT"
	sleep 1
	start_collector "$T/c.conf" "$OUT"
done
wait "$DPID"; rc=$?
cat "$T/driver.out"; tail -3 "$T/driver.err"
check "driver saw all $N acknowledged (rc $rc)" [ "$rc" = 0 ]
seq_of agent1 message "$OUT" > "$T/got"
seq 1 "$N" > "$T/want"
check "OUTPUT has each of the $N messages exactly once, in order" cmp -s "$T/got" "$T/want"
[ -s "$T/got" ] && ! cmp -s "$T/got" "$T/want" && { echo "# first difference:"; diff "$T/want" "$T/got" | head -5; }
check "every line has the thesis format" [ "$(grep -cvE "^$STAMP_RE agent1: message [0-9]+\$" "$OUT")" = 0 ]

# the same (host, boot, seq) again, on a new connection: an old frame and exactly the last
# one are taken but not written again; the next new frame is written, and once it is in
# OUTPUT the replays before it have been handled
boot=$(sed -n 's/.*boot=\([0-9a-f]*\).*/\1/p' "$T/driver.out")
reply=$(printf 'VMM1 HELLO agent1 %s\nM 5000 1 10\nduplicate!\nM %s 1 11\nreplay last\nM %s 1 5\nfresh\n' \
	"$boot" "$N" "$((N + 1))" | nc -q 2 127.0.0.1 "$PORT")
check "HELLO tells the last seq the collector has ($N)" grep -q "^VMM1 OK $N\$" <<<"$reply"
# acks are cumulative: "VMM1 OK $N" already covers seq 5000, so no error and no new ack
check "replayed frames are taken without error" [ -z "$(grep ERR <<<"$reply")" ]
check "the next new frame is written" wait_for 10 grep -q ' agent1: fresh$' "$OUT"
check "a replay of an old frame is not written" [ "$(grep -c 'duplicate!' "$OUT")" = 0 ]
check "a replay of exactly the last frame ($N) is not written" [ "$(grep -c 'replay last' "$OUT")" = 0 ]
finish
