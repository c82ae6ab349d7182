#!/bin/bash
# SPDX-License-Identifier: ISC
# seq.state is bounded: without keys, anyone can make up agent host names. 2,000 of them
# keep at most max_agent_hosts hosts (the least recently seen are forgotten), while a
# real agent that keeps sending stays known: across a restart it is told its last seq
# and a resent frame is not written twice. A batch appends a small journal record
# instead of rewriting the file. The crash guarantees hold with the journal: a torn
# last record is dropped, and a batch that did not reach OUTPUT whole is cut off and its
# hosts go back to their seq before it.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc perl

PORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT" 'max_agent_hosts = 100;'
OUT="$T/out/central.log"
STATE="$T/state/seq.state"
# start: listening comes before the recovery, "listening on ... writing" after it
starts=0
ready() { [ "$(grep -c 'listening on' "$T/collector.err")" -ge "$starts" ]; }
start() {
	starts=$((starts + 1))
	start_collector "$T/c.conf" "$OUT"
	wait_for 10 ready || die "not ready"
}
start

# agent.pl PORT HOST BOOT FIRST LAST: sends frames FIRST..LAST on one connection and
# prints the HELLO reply and the last ack
cat > "$T/agent.pl" <<'PERL'
use IO::Socket;
my ($port, $host, $boot, $first, $last) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp") or die "$!";
$s->autoflush(1);
print $s "VMM1 HELLO $host $boot\n";
my $ok = <$s>; print $ok;
for my $i ($first .. $last) { my $m = "frame $i"; print $s "M $i 1241613863 " . length($m) . "\n$m\n"; }
my $a = 0;
while ($a < $last && defined(my $l = <$s>)) { $a = $1 if $l =~ /^A (\d+)/; }
print "A $a\n";
PERL
# fakes.pl PORT N: N made-up hosts, one frame each; every 100 of them the real agent
# (one connection held open) sends a frame
cat > "$T/fakes.pl" <<'PERL'
use IO::Socket;
my ($port, $n) = @ARGV;
sub conn { my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp") or die "$!"; $s->autoflush(1); $s }
my $real = conn(); print $real "VMM1 HELLO realagent b1\n"; my $ok = <$real>;
my $rs = 5;
for my $i (1 .. $n) {
	my $s = conn();
	print $s "VMM1 HELLO fake$i b1\nM 1 1241613863 4\nfake\n";
	while (defined(my $l = <$s>)) { last if $l =~ /^A 1/; }
	close $s;
	if ($i % 100 == 0) {
		$rs++; my $m = "frame $rs";
		print $real "M $rs 1241613863 " . length($m) . "\n$m\n";
		while (defined(my $l = <$real>)) { last if $l =~ /^A $rs$/; }
	}
}
print "real $rs\n";
PERL

out=$(perl "$T/agent.pl" "$PORT" realagent b1 1 5)
check "the real agent's first 5 frames are acknowledged ($out)" grep -q "^A 5$" <<<"$out"
size0=$(stat -c %s "$STATE")
out=$(perl "$T/fakes.pl" "$PORT" 2000)
check "2,000 made-up hosts and 20 more real frames acknowledged ($out)" grep -q "^real 25$" <<<"$out"
size1=$(stat -c %s "$STATE")
per=$(( (size1 - size0) / 2020 ))
check "a batch appends a record of its own hosts only ($per bytes a batch on average)" [ "$per" -lt 200 ]

kill "$CPID"; wait "$CPID" 2>/dev/null
start
hosts=$(tail -n +3 "$STATE" | grep -vc '^@')
check "after a restart seq.state holds at most max_agent_hosts hosts ($hosts)" [ "$hosts" -le 100 ]
check "and is small ($(stat -c %s "$STATE") bytes)" [ "$(stat -c %s "$STATE")" -lt 40000 ]
check "the real agent is among them" grep -q "^realagent b1 25 " "$STATE"
check "the earliest made-up host was forgotten" sh -c "! grep -q '^fake1 ' '$STATE'"
out=$(perl "$T/agent.pl" "$PORT" realagent b1 24 27)
check "the real agent is told its last seq after the restart ($out)" grep -q "^VMM1 OK 25$" <<<"$out"
check "its resent frames 24 and 25 are not written twice" \
	[ "$(grep -c 'realagent: frame 24$' "$OUT") $(grep -c 'realagent: frame 25$' "$OUT")" = "1 1" ]
check "its new frames 26 and 27 are written" [ "$(grep -c 'realagent: frame 2[67]$' "$OUT")" = 2 ]

# a crash in the middle of a batch: its record is in the journal, half of it in OUTPUT,
# and a second record torn in the middle of being appended
kill "$CPID"; wait "$CPID" 2>/dev/null
read -r dev ino size < <(stat -c '%d %i %s' "$OUT")
printf '1241613863 Wed May  6 14:44:23 UTC 2009 realagent: frame 2' >> "$OUT"
printf '@ %s %s %s %s 2\nrealagent b1 30 b1 27\nnewagent b9 3 - 0\n@ %s %s' \
	"$dev" "$ino" "$size" $((size + 200)) "$dev" "$ino" >> "$STATE"
start
check "the torn record is dropped, and said so" grep -q "dropped an incomplete last record" "$T/collector.err"
check "the partial batch is cut off OUTPUT" grep -q "removed a partly written batch" "$T/collector.err"
check "OUTPUT is back to its size before the batch" [ "$(stat -c %s "$OUT")" = "$size" ]
out=$(perl "$T/agent.pl" "$PORT" realagent b1 28 30)
check "the batch's host goes back to its seq before it ($out)" grep -q "^VMM1 OK 27$" <<<"$out"
check "and frames 28..30 are written once" [ "$(grep -c 'realagent: frame \(28\|29\|30\)$' "$OUT")" = 3 ]
out=$(perl "$T/agent.pl" "$PORT" newagent b9 1 1)
check "a host new in that batch is unknown again ($out)" grep -q "^VMM1 OK 0$" <<<"$out"
finish
