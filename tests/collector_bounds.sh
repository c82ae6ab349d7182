#!/bin/bash
# SPDX-License-Identifier: ISC
# Unfinished frames have a global budget: 3,000 connections each holding a 64 KiB agent
# frame that never ends (195 MiB before) keep the collector within max_partial_bytes
# (16 MiB here) plus one turn's reads: past it, the connections holding the most are
# closed, logged once when it starts and once with a count when it ends. An agent is
# served all along.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
# built with AddressSanitizer (VMM_SANITIZE, or the binary says so)
asan() { [ "${VMM_SANITIZE:-no}" = yes ] || ldd "$COLLECTOR" 2>/dev/null | grep -q libasan; }
need_root
need_cmd nc perl
ulimit -n 20000 2>/dev/null || skip "cannot raise the open files limit to 20000"
# ASan keeps freed memory in quarantine (256 MiB by default): keep it small so that the
# resident size says what the collector holds; its redzones and size classes still cost
# more, hence the wider bounds (the unbounded collector took 195 MiB, 290 MiB under ASan)
now_max=40 peak_max=64
if asan; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8:allocator_release_to_os_interval_ms=100"
	now_max=80 peak_max=120
fi

PORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT" 'max_partial_bytes = 16777216;' 'max_clients = 12000;' 'idle_timeout = 120;'
OUT="$T/out/central.log"
start_collector "$T/c.conf" "$OUT"
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$CPID/status"; }

cat > "$T/agent.pl" <<'PERL'
use IO::Socket;
my ($port, $host, $n) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp") or die "$!";
$s->autoflush(1);
print $s "VMM1 HELLO $host b1\n"; <$s>;
for my $i (1 .. $n) { my $m = "frame $i"; print $s "M $i 1241613863 " . length($m) . "\n$m\n"; }
my $a = 0;
while ($a < $n && defined(my $l = <$s>)) { $a = $1 if $l =~ /^A (\d+)/; }
print "A $a\n";
PERL
# hold.pl PORT N READY: N connections, each a HELLO and 64 KiB of a 65536-byte frame that
# never ends; then holds them until killed
cat > "$T/hold.pl" <<'PERL'
use IO::Socket;
$SIG{PIPE} = 'IGNORE';
my ($port, $n, $ready) = @ARGV;
my @s; my $part = "x" x 65500;
for my $i (1 .. $n) {
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp") or last;
	$s->autoflush(1);
	syswrite($s, "VMM1 HELLO hold$i b1\nM 1 1241613863 65536\n$part");
	push @s, $s;
}
open(my $f, ">", $ready); print $f scalar(@s), "\n"; close $f;
sleep 1000;
PERL

out=$(perl "$T/agent.pl" "$PORT" boundagent 5)
check "an agent is served before ($out)" grep -q "^A 5$" <<<"$out"
base=$(kib VmRSS)
perl "$T/hold.pl" "$PORT" 3000 "$T/ready" &
HOLD=$!
on_exit "kill $HOLD"
wait_for 120 test -s "$T/ready" || die "the 3,000 connections were not made"
check "3,000 connections sent their unfinished frames ($(cat "$T/ready"))" [ "$(cat "$T/ready")" = 3000 ]
wait_for 10 grep -q "over max_partial_bytes" "$T/collector.err"
out=$(perl "$T/agent.pl" "$PORT" boundagent2 5)
check "an agent is served during ($out)" grep -q "^A 5$" <<<"$out"
rss=$(kib VmRSS) hwm=$(kib VmHWM)
echo "# RSS: $base KiB at the start, $rss KiB now, $hwm KiB at the most"
check "resident size stays within the budget and one turn's reads ($((rss - base)) KiB more)" \
	[ $((rss - base)) -lt $((now_max * 1024)) ]
check "and never went far past it ($((hwm - base)) KiB more at the most)" [ $((hwm - base)) -lt $((peak_max * 1024)) ]
check "the collector says so once" [ "$(grep -c 'over max_partial_bytes' "$T/collector.err")" = 1 ]
kill "$HOLD"; wait "$HOLD" 2>/dev/null
wait_for 10 grep -q "unfinished frames back to" "$T/collector.err"
check "and once more, with a count, when it is over" \
	grep -qE "memory: unfinished frames back to [0-9]+ bytes; [0-9]+ connections were closed for max_partial_bytes" "$T/collector.err"
check "no unfinished frame was written" [ "$(grep -c 'hold[0-9]*:' "$OUT")" = 0 ]
check "the collector is alive" kill -0 "$CPID"
finish
