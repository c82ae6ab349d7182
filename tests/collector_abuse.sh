#!/bin/bash
# SPDX-License-Identifier: ISC
# Many clients and bad clients at once: 5,000 concurrent connections, 100 that stall in
# the middle of a line, one that never reads its acks, a 1 MiB line, binary garbage,
# CR/LF and ANSI escape injection, a source outside `allow`. The collector keeps serving
# everyone and writes only what it should.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc perl ss
[ -x "$LOADGEN" ] || skip "collector_loadgen is not built"
ulimit -n 20000 2>/dev/null || skip "cannot raise the open files limit to 20000"

PORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT" 'allow = ["127.0.0.1/32", "::1/128"];' 'idle_timeout = 30;' 'max_clients = 12000;' 'rate_limit = 100000;'
OUT="$T/out/central.log"
start_collector "$T/c.conf" "$OUT"

# 100 clients that send half a line and then nothing (held up to 90 s; idle_timeout is
# 30 s, long enough for the 5,000 below to be served while they stall, even under ASan
# on a busy machine)
"$LOADGEN" -m stall -p "$PORT" -c 100 -S 90 > "$T/stall.out" &
STALL=$!
# one agent that sends 20,000 frames and never reads an ack; it keeps its connection
# until the test has seen them all written (closing with unread acks would reset it)
perl -MIO::Socket -e '
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0], Proto => "tcp") or die;
	print $s "VMM1 HELLO noread b0\n";
	for my $i (1..20000) { my $m = "frame $i"; print $s "M $i 1241613863 ".length($m)."\n$m\n"; }
	$s->flush;
	for (1..1200) { last if -e $ARGV[1]; select(undef, undef, undef, 0.1); }' "$PORT" "$T/noread.done" &
NOREAD=$!
# all of them are connected before the 5,000 come
clients_connected() { [ "$(ss -Htn state established "( dport = :$PORT )" | wc -l)" -ge "$1" ]; }
wait_for 30 clients_connected 101 || fail "the 100 stalled clients and the one that reads no acks connect"

# 5,000 connections at once, 2 lines each, waiting until all 10,000 are in OUTPUT
"$LOADGEN" -p "$PORT" -c 5000 -n 2 -w "$OUT" -e 10000 > "$T/many.out"
rc=$?
cat "$T/many.out"
check "5,000 concurrent connections all served (rc $rc)" [ "$rc" = 0 ]
check "their 10,000 lines are in OUTPUT" [ "$(grep -cE "^$STAMP_RE lg[0-9]+: line [12] of connection [0-9]+ x*\$" "$OUT")" = 10000 ]
check "while 100 clients stall mid-line" clients_connected 101

perl -e 'print "big: ", "A" x (1 << 20), "\nbig: after\n"' | nc -N 127.0.0.1 "$PORT"
head -c 200000 /dev/urandom | nc -N 127.0.0.1 "$PORT"
printf 'evil: ok\r\033]0;pwned\007\033[2J tail\nforged: second line\n' | nc -N 127.0.0.1 "$PORT"
echo "intruder: should not be written" | nc -N -s 127.0.0.2 127.0.0.1 "$PORT"
echo "alive: still serving" | nc -N ::1 "$PORT"
wait_for 10 grep -q "alive: still serving" "$OUT"

big=$(grep -E "^$STAMP_RE big: A+ \[truncated\]\$" "$OUT")
check "1 MiB line cut to max_line and marked" [ -n "$big" ]
msg=${big#*big: }
# max_line counts the line as received, "big: " included
check "cut line holds max_line bytes (${#msg} of message with the marker)" [ "${#msg}" = $((8192 - 5 + 12)) ]
check "the line after the 1 MiB line is written whole" [ "$(count_exact big after "$OUT")" = 1 ]
check "ANSI escape and CR escaped, nothing raw" [ "$(count_exact evil 'ok\\r\\e\]0;pwned\\x07\\e\[2J tail' "$OUT")" = 1 ]
check "no raw control character after garbage" [ "$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$OUT")" = 0 ]
check "non-allowed source address wrote nothing" [ "$(grep -c intruder "$OUT")" = 0 ]
check "refusal logged" grep -q "refused 127.0.0.2: not in allow" "$T/collector.err"
check "collector alive after all that" kill -0 "$CPID"

noread_written() { [ "$(grep -cE "^1241613863 .* noread: frame [0-9]+\$" "$OUT")" = 20000 ]; }
check "the client that reads no acks still got its 20,000 frames written" wait_for 60 noread_written
touch "$T/noread.done"
wait "$NOREAD"
wait "$STALL"
cat "$T/stall.out"
check "stalled clients closed by idle_timeout" grep -q "closed_by_peer=100" "$T/stall.out"
check "their partial lines were not written" [ "$(grep -c 'stall[0-9]*:' "$OUT")" = 0 ]
check "every line of OUTPUT has the thesis format" [ "$(grep -cvE "^$STAMP_RE [^ ]+: " "$OUT")" = 0 ]
finish
