#!/bin/bash
# SPDX-License-Identifier: ISC
# Every line has the documented form "EPOCH DATE HOST: MESSAGE", also when an agent sends
# an epoch that cannot be shown as a date (2^62, past year 9999, before 1970): the time
# of receipt is written instead, in both files.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc perl

PORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT"
OUT="$T/out/central.log"
start_collector "$T/c.conf" "$OUT" -j "$T/out/central.json"

before=$(date +%s)
# an agent with four frames: a normal epoch, 2^62, year 10000, and -1
perl -MIO::Socket -e '
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0], Proto => "tcp") or die;
	print $s "VMM1 HELLO epochhost b1\n";
	my $i = 0;
	for my $e ("1241613863", "4611686018427387904", "253402300800", "-1") {
		$i++; my $m = "frame $i epoch $e";
		print $s "M $i $e " . length($m) . "\n$m\n";
	}
	$s->flush;
	my $acked = 0;
	while ($acked < 4 && defined(my $l = <$s>)) { $acked = $1 if $l =~ /^A (\d+)/; }
	print "acked $acked\n";' "$PORT" > "$T/agent.out" 2>&1
after=$(date +%s)
cat "$T/agent.out"
wait_for 10 grep -q "frame 4" "$OUT"
check "the normal epoch is written as sent" [ "$(grep -cE "^$STAMP_RE epochhost: frame 1 epoch 1241613863\$" "$OUT")" = 1 ]
for i in 2 3 4; do
	line=$(grep "epochhost: frame $i " "$OUT")
	check "frame $i: a line of the documented form ($line)" grep -qE "^$STAMP_RE epochhost: frame $i epoch -?[0-9]+\$" <<<"$line"
	t=${line%% *}
	check "frame $i: stamped with the time of receipt ($t)" test "$t" -ge "$before" -a "$t" -le "$after"
done
check "every line of OUTPUT has the documented form" [ "$(grep -cvE "^$STAMP_RE [^ ]+: " "$OUT")" = 0 ]
check "the JSON epoch is the one written" [ "$(grep -c '"epoch":4611686018427387904' "$T/out/central.json")" = 0 ]
finish
