#!/bin/bash
# SPDX-License-Identifier: ISC
# Out of descriptors is not a spin: with its open files limit lowered under it, 300 idle
# clients exhaust the collector's descriptors. It must not busy-loop (CPU time over the
# episode stays small) nor flood its log (one line when it starts, one with counts when
# it ends), must keep acknowledging an agent connected before, and accepts again once
# the clients are gone.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc perl setpriv
[ -x "$LOADGEN" ] || skip "collector_loadgen is not built"
setpriv --bounding-set -sys_resource true 2>/dev/null || skip "cannot drop CAP_SYS_RESOURCE with setpriv"

PORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT" 'max_clients = 1000;' 'idle_timeout = 60;'
OUT="$T/out/central.log"
# 64 descriptors, a limit it cannot raise: without CAP_SYS_RESOURCE even as root
printf '#!/bin/bash\nulimit -n 64 || exit 1\nexec setpriv --bounding-set -sys_resource -- "%s" "$@"\n' \
	"$COLLECTOR" > "$T/collector-lowfd"
chmod 755 "$T/collector-lowfd"
COLLECTOR=$T/collector-lowfd
start_collector "$T/c.conf" "$OUT"

# An agent that sends a frame every 0.2 s and records each ack's delay, until $T/stop.
cat > "$T/agent.pl" <<'PERL'
use IO::Socket; use Time::HiRes qw(time sleep);
my ($port, $log, $stop) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp") or die "$!";
$s->autoflush(1);
open(my $L, ">", $log) or die; $L->autoflush(1);
print $s "VMM1 HELLO emfileagent b1\n";
my $ok = <$s>; print $L "hello $ok";
my $rin = ''; vec($rin, fileno($s), 1) = 1;
for (my $i = 1; ! -e $stop; $i++) {
	my $m = "frame $i"; my $t0 = time;
	print $s "M $i 1241613863 " . length($m) . "\n$m\n";
	my $got = 0;
	while (!$got && time - $t0 < 5) {
		my $r = $rin;
		next unless select($r, undef, undef, 0.5) > 0;
		my $l = <$s>; die "closed" unless defined $l;
		$got = 1 if $l =~ /^A $i$/;
	}
	printf $L "%s %d %.3f\n", $got ? "ack" : "noack", $i, time - $t0;
	sleep 0.2;
}
PERL
perl "$T/agent.pl" "$PORT" "$T/agent.log" "$T/stop" 2>"$T/agent.err" &
AGENT=$!
on_exit "kill $AGENT"
on_exit "touch $T/stop"
wait_for 10 grep -q "^ack 1 " "$T/agent.log" || die "the agent got no first ack: $(cat "$T/agent.log" "$T/agent.err")"

check "its limit is 64 descriptors" grep -qE "^Max open files +64 +64 " "/proc/$CPID/limits"
"$LOADGEN" -m idle -p "$PORT" -c 300 -S 10 > "$T/idle.out" 2>&1 &
IDLE=$!
on_exit "kill $IDLE"
wait_for 15 grep -q "listen: accept: Too many open files" "$T/collector.err" ||
	die "the collector never ran out of descriptors: $(tail -5 "$T/collector.err")"
acks_before=$(grep -c "^ack " "$T/agent.log")

# three seconds into the episode: CPU time used (utime + stime, in clock ticks)
cpu() { awk '{print $14 + $15}' "/proc/$CPID/stat"; }
c0=$(cpu)
t0=$(date +%s%N)
sleep 3
c1=$(cpu)
t1=$(date +%s%N)
hz=$(getconf CLK_TCK)
used_ms=$(( (c1 - c0) * 1000 / hz ))
wall_ms=$(( (t1 - t0) / 1000000 ))
check "no busy loop: $used_ms ms of CPU in $wall_ms ms of the episode" [ "$used_ms" -lt $((wall_ms / 5)) ]
check "the log says it once ($(grep -c 'listen: accept' "$T/collector.err") lines)" \
	[ "$(grep -c 'listen: accept' "$T/collector.err")" = 1 ]
acks_during=$(( $(grep -c "^ack " "$T/agent.log") - acks_before ))
check "the agent connected before is still acknowledged ($acks_during acks in the episode)" [ "$acks_during" -ge 5 ]
check "and never waited 5 s for an ack" [ "$(grep -c '^noack' "$T/agent.log")" = 0 ]
check "the collector is alive" kill -0 "$CPID"

# the idle clients go away: it accepts again, and says how the episode went
wait "$IDLE"
wait_for 20 grep -q "listen: accepting again after" "$T/collector.err"
check "the end of the episode is logged with its counts" \
	grep -qE "listen: accepting again after [0-9.]+ s; accept failed [0-9]+ times, [0-9]+ waiting clients were closed at once" "$T/collector.err"
try_line() { echo "emfilehost: after the episode" | nc -N 127.0.0.1 "$PORT"; grep -q "emfilehost: after the episode" "$OUT"; }
check "a new client is served again" wait_for 20 try_line
check "two log lines for the whole episode" [ "$(grep -c 'listen: accept' "$T/collector.err")" = 2 ]
touch "$T/stop"
wait "$AGENT"
check "the agent's frames are all in OUTPUT, once each" \
	[ "$(grep -c 'emfileagent: frame' "$OUT")" = "$(grep -c '^ack ' "$T/agent.log")" ]
finish
