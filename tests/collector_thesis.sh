#!/bin/bash
# SPDX-License-Identifier: ISC
# The thesis protocol end to end: the thesis's Perl client (Listing 3.6, pointed at our
# port) and nc one-shot lines land in OUTPUT in the thesis format (Listing 4.1); the date is
# date(1)'s in the collector's time zone; IPv6; JSON; escaping; privileges; SIGHUP; SIGTERM.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc perl

PORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT"
OUT="$T/out/central.log"
export TZ=Europe/Oslo
start_collector "$T/c.conf" "$OUT" -j "$T/out/central.json"

# Listing 3.6, adapted only in where it connects and where the hostname comes from.
echo nii1 > "$T/hostname"
cat > "$T/client.pl" <<PERL
#!/usr/bin/perl

my \$message = \$ARGV[0];
my \$port = $PORT;
my \$hostname = \`cat $T/hostname\`;
chomp \$hostname;
use IO::Socket;

\$sock = new IO::Socket::INET(PeerAddr => "127.0.0.1",
    PeerPort => \$port,
    Proto     => 'tcp') or die "Failed to open connection: \$!\n";

my \$message = "\$hostname: \$message";
print "sending: \$message\n";
print \$sock \$message . "\n";
close (\$sock);
PERL
perl "$T/client.pl" "Requesting migration of VM: just moving" >/dev/null
echo "nii2: Now using nii2.1.mln" | nc -N 127.0.0.1 "$PORT"
printf 'nii3: first\nnii3: second\nnii3: third' | nc -N ::1 "$PORT"
printf 'nii4: bell\a nul\0 cr\r esc\033[2J del\177 c1\302\233 done\n' | nc -N 127.0.0.1 "$PORT"

wait_for 5 grep -q "nii4: " "$OUT"
check "Perl client line in the thesis format" [ "$(count_exact nii1 'Requesting migration of VM: just moving' "$OUT")" = 1 ]
check "nc one-shot line in the thesis format" [ "$(count_exact nii2 'Now using nii2.1.mln' "$OUT")" = 1 ]
check "several lines on one IPv6 connection, the last without LF" \
	[ "$(grep -cE "$STAMP_RE nii3: (first|second|third)\$" "$OUT")" = 3 ]
# the date part is exactly what date(1) prints for that epoch in the collector's zone
line=$(grep ' nii1: ' "$OUT")
epoch=${line%% *}
want="$epoch $(date -d "@$epoch" '+%a %b %e %H:%M:%S %Z %Y') nii1: Requesting migration of VM: just moving"
check "date as date(1) prints it in TZ=$TZ" [ "$line" = "$want" ]
now=$(date +%s)
check "epoch is the time of receipt" [ $((now - epoch)) -ge 0 -a $((now - epoch)) -lt 30 ]
check "control characters, ESC, DEL and C1 escaped" \
	[ "$(count_exact nii4 'bell\\x07 nul\\x00 cr\\r esc\\e\[2J del\\x7f c1\\xc2\\x9b done' "$OUT")" = 1 ]
check "no raw control character in OUTPUT" [ "$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$OUT")" = 0 ]
check "JSON line written" grep -q '"host":"nii1","msg":"Requesting migration of VM: just moving","proto":"thesis","src":"127.0.0.1"' "$T/out/central.json"
check "every OUTPUT line has the thesis format" [ "$(grep -cvE "^$STAMP_RE [A-Za-z0-9._-]+: " "$OUT")" = 0 ]

uid=$(awk '/^Uid:/ {print $3}' "/proc/$CPID/status")
check "runs as nobody after binding (uid $uid)" [ "$uid" = "$(id -u nobody)" ]

# logrotate: move the file away, SIGHUP, the next line goes to a new file
mv "$OUT" "$OUT.1"
kill -HUP "$CPID"
wait_for 10 has_open "$CPID" "$OUT" || fail "the collector reopened OUTPUT after SIGHUP"
echo "nii5: after rotation" | nc -N 127.0.0.1 "$PORT"
wait_for 5 grep -q "nii5" "$OUT"
check "SIGHUP reopened OUTPUT" [ "$(count_exact nii5 'after rotation' "$OUT")" = 1 ]
check "rotated file kept the old lines only" [ "$(grep -c nii5 "$OUT.1")" = 0 -a "$(grep -c nii1 "$OUT.1")" = 1 ]

kill -TERM "$CPID"
wait "$CPID"; rc=$?
check "SIGTERM: clean exit ($rc)" [ "$rc" = 0 ]
finish
