#!/bin/bash
# SPDX-License-Identifier: ISC
# A full disk: the collector must stop reading (backpressure) rather than pile lines up
# in memory (53 MiB before), say so once rather than every turn of its loop, try again
# on a timer, and when space comes back write the agent's frames, which wait for their
# acks, ahead of a flood of unsigned lines that keeps coming.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
# built with AddressSanitizer (VMM_SANITIZE, or the binary says so)
asan() { [ "${VMM_SANITIZE:-no}" = yes ] || ldd "$COLLECTOR" 2>/dev/null | grep -q libasan; }
need_root
need_cmd nc perl mount umount
! asan || export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"

PORT=$(free_port)
collector_dirs
mount -t tmpfs -o size=4m,mode=0755 vmm-diskfull "$T/out" || skip "cannot mount a tmpfs"
on_exit "umount -l '$T/out'"
chown nobody "$T/out"
write_conf "$T/c.conf" "$PORT" "rate_limit = 0;"
OUT="$T/out/central.log"
start_collector "$T/c.conf" "$OUT"
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$CPID/status"; }

echo "diskhost: before" | nc -N 127.0.0.1 "$PORT"
wait_for 10 grep -q "diskhost: before" "$OUT"
# fill the file system
dd if=/dev/zero of="$T/out/filler" bs=64k 2>/dev/null
base=$(kib VmRSS)

# a flood of unsigned lines, as fast as the collector takes them
cat > "$T/flood.pl" <<'PERL'
use IO::Socket;
$SIG{PIPE} = 'IGNORE';
# eight connections, one child process each; TERM to the parent ends them all
my @kids;
for (1 .. 8) { my $p = fork(); if ($p == 0) { @kids = (); last; } push @kids, $p; }
if (@kids) { $SIG{TERM} = sub { kill 'TERM', @kids; exit 0 }; 1 while wait() > 0; exit 0; }
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0], Proto => "tcp") or die "$!";
my $chunk = join("", map { "flood: line $_ " . ("x" x 200) . "\n" } 1 .. 300);
my ($sent, $f) = (0, "$ARGV[1].$$");
while (1) {
	my $n = syswrite($s, $chunk); defined($n) or last; $sent += $n;
	open(my $o, ">", "$f.tmp") or die; print $o "$sent\n"; close $o; rename("$f.tmp", $f);
}
PERL
perl "$T/flood.pl" "$PORT" "$T/flood" &
FLOOD=$!
on_exit "kill $FLOOD"
# an agent with 20 frames, waiting up to 60 s for their acks
cat > "$T/agent.pl" <<'PERL'
use IO::Socket;
my ($port, $n) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp") or die "$!";
$s->autoflush(1);
print $s "VMM1 HELLO diskagent b1\n"; <$s>;
for my $i (1 .. $n) { my $m = "frame $i"; print $s "M $i 1241613863 " . length($m) . "\n$m\n"; }
my $a = 0;
local $SIG{ALRM} = sub { print "A $a\n"; exit 1 }; alarm 60;
while ($a < $n && defined(my $l = <$s>)) { $a = $1 if $l =~ /^A (\d+)/; }
print "A $a\n";
PERL
perl "$T/agent.pl" "$PORT" 20 > "$T/agent.out" &
AGENT=$!
on_exit "kill $AGENT"

wait_for 10 grep -q "No space left on device" "$T/collector.err" ||
	die "the collector never said it cannot write: $(tail -3 "$T/collector.err")"
sent() { cat "$T"/flood.*[0-9] 2>/dev/null | awk '{n += $1} END {print n + 0}'; }
# the socket buffers fill: until what the flood has sent stops growing for half a second
sent_settled() { local a; a=$(sent); sleep 0.5; [ "$(sent)" = "$a" ]; }
wait_for 30 sent_settled || die "the flood never stopped: the collector goes on reading"
sent0=$(sent)
sleep 3 # a window to measure: the flood and the agent go on, does the collector read?
sent1=$(sent)
rss=$(kib VmRSS)
check "it stopped reading: the flood could send $(( (sent1 - sent0) / 1024 )) KiB in 3 s" \
	[ $((sent1 - sent0)) -lt $((512 * 1024)) ]
echo "# RSS: $base KiB with the disk just full, $rss KiB 3 s later"
check "so resident size grew by $((rss - base)) KiB only" [ $((rss - base)) -lt $((24 * 1024)) ]
check "it says it stops reading" grep -q "not reading from clients until it can write again" "$T/collector.err"
check "it said so once ($(grep -c 'No space left on device' "$T/collector.err") lines)" \
	[ "$(grep -c 'No space left on device' "$T/collector.err")" = 1 ]

rm -f "$T/out/filler"
wait "$AGENT"; rc=$?
check "space back, the flood still on: the agent's 20 frames are acknowledged ($rc, $(cat "$T/agent.out"))" \
	grep -q "^A 20$" "$T/agent.out"
check "and written once each" [ "$(grep -c 'diskagent: frame' "$OUT")" = 20 ]
check "every line of OUTPUT has the documented form (no line cut by the full disk)" \
	[ "$(grep -cvE "^$STAMP_RE [^ ]+: " "$OUT")" = 0 ]
# the flood may have filled the disk again: stop it and make room as copytruncate would
kill "$FLOOD"; wait "$FLOOD" 2>/dev/null
: > "$OUT"
check "when all is written the end of the episode is logged with a count" wait_for 10 \
	grep -qE "output: writing again after [0-9]+ s; [0-9]+ attempts failed" "$T/collector.err"
check "the collector is alive" kill -0 "$CPID"
finish
