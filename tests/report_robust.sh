#!/bin/bash
# SPDX-License-Identifier: ISC
# vmmanage-report takes bad input in its stride: truncated lines, binary junk, a line that
# never ends, clock jumps both ways, impossible times, hosts without a price, CRLF, a last
# line without LF; and it reads a large log as a stream, in bounded memory.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"
cd "$T" || die "no $T"
d='Mon May 11 00:00:00 CEST 2009'
{
	echo "1241992800 $d vm1: Starting VMManage 0.1.0: policy threshold"
	echo "1241992900 $d vm1: cycle mysql_slow=70 count=1 threshold=50 action=none location=h1"
	echo "1241993000 $d vm1: Requesting migration of VM: just moving"
	echo "1241993000 $d vm1: Now using h2 (indicator 70 above 50 for 3 cycles)"
	echo "1241993030 $d vm1: Move to h2 confirmed in 30.0 s"
	echo "1241994000 Mon May 11 00:20:00 CE"                     # cut before the host
	echo "1241994100 $d vm1: Now us"                             # cut in the message: not ours
	echo '{"epoch":1241994200,"host":"vm1","msg":"Now using h3'  # cut JSON
	printf '\001\002\377\376 garbage \000 here\n'
	head -c 100000 /dev/zero | tr '\0' x; echo                   # a line that never ends (nearly)
	echo "1241990000 $d vm1: Now using h3 (the clock went back)"
	echo "1241990010 $d vm1: Move to h3 confirmed in 10.0 s"
	echo "1245000000 $d vm1: Now using h1 (a month later)"
	echo "1245000020 $d vm1: Move to h1 failed (timeout): host down"
	echo "7 Thu Jan  1 00:00:07 UTC 1970 vm1: Now using h9 (no clock)"
	printf '1241995000 %s vm2: Now using mystery (unknown host)\r\n' "$d"
	printf '1241995040 %s vm2: Move to mystery confirmed in 40.0 s\r\n' "$d"
	printf '{"epoch":1241996000,"host":"vm2","msg":"Now using h1 (json)","proto":"agent"}\n'
	printf '{"type":"event","time":1241996050,"host":"vm2","event":"confirmed","message":"Move to h1 confirmed in 50.0 s"}\n'
	printf '{"type":"cycle","time":1241996100,"host":"vm2","value":null,"count":0,"threshold":50,"location":"h1"}\n'
	printf '1241999000 %s vm2: Now using h2 (the last line, no LF)' "$d"
} > messy.log
"$REPORT" -p 'h1=0.1' -p 'h2=0.2' -p 'h3=0.3' messy.log > messy.out 2> messy.err
rc=$?
sed 's/^/# /' messy.out | head -12
check "exit 0 on a messy log ($rc)" test "$rc" = 0
check "nothing on stderr" test ! -s messy.err
check "3 malformed or truncated lines, 1 overlong, 1 impossible time" \
	grep -q '^skipped: 3 malformed or truncated, 1 overlong, 1 with an impossible time' messy.out
check "the clock went back once and jumped forward once" grep -qE 'clock: 1 times back, 1 jumps forward$' messy.out
check "vm1: 3 requests, 2 confirmed, 1 failed" grep -qE '^vm1 +3 +2 +1 +0 +0 ' messy.out
check "vm2: 3 requests (CRLF, JSON, the last line without LF), 2 confirmed" grep -qE '^vm2 +3 +2 +0 +0 +1 ' messy.out
check "vm1: the move to h3 took 10 s (as it said, though the clock went back)" grep -qE '^vm1 .* 10\.[0-9]s \[' messy.out
check "the host without a price is named" grep -qE '^hosts without a price .*: mystery$' messy.out
check "vm2's time on the unknown host is counted, unpriced" grep -qE '^vm2 .*\+ [0-9.]+ h on hosts without a price' messy.out

# empty input, a directory, a missing file
: > empty.log
check "an empty log: 0 records, exit 0" sh -c "'$REPORT' empty.log | grep -q '0 records, 0 VMs'"
rc=0; "$REPORT" no-such.log > /dev/null 2> missing.err || rc=$?
check "a missing file: exit 1 and says so" sh -c "test $rc = 1 && grep -q 'no-such.log: No such file' missing.err"
printf 'h1 0.1\nh2 abc\n' > prices.txt
rc=0; "$REPORT" -P prices.txt messy.log > /dev/null 2> prices.err || rc=$?
check "a bad prices file: file:line ($(cat prices.err))" sh -c "test $rc = 2 && grep -q 'prices.txt:2: .abc. is not a price' prices.err"

# A large log through a pipe: memory stays bounded (it grows with VMs and hours, not bytes).
if [ "${VMM_SANITIZE:-no}" = yes ]; then mib=128; limit=400000; else mib=1024; limit=60000; fi
awk -v d="$d" 'BEGIN { t = 1241992800; for (i = 0; i < 20000; i++) { vm = "vm" (i % 500); t++;
	printf "%d %s %s: Now using h%d (indicator 60 above 50 for 3 cycles)\n", t, d, vm, i % 5;
	printf "%d %s %s: Move to h%d confirmed in 12.5 s\n", t + 1, d, vm, i % 5;
	printf "%d %s %s: cycle mysql_slow=%d count=1 threshold=50 action=none location=h%d\n", t, d, vm, i % 97, i % 5 } }' > chunk.log
size=$(stat -c %s chunk.log)
n=$(( (mib << 20) / size + 1 ))
( for ((i = 0; i < n; i++)); do cat chunk.log; done ) | "$REPORT" - > big.out 2>&1 &
pid=$!
hwm=0
while kill -0 "$pid" 2>/dev/null; do
	v=$(awk '$1 == "VmHWM:" { print $2 }' /proc/$pid/status 2>/dev/null)
	[ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
	sleep 0.2
done
wait "$pid"
rc=$?
lines=$(sed -n 's/^vmmanage-report: 1 file, \([0-9]*\) lines.*/\1/p' big.out)
echo "# $((n * size >> 20)) MiB in a pipe: $lines lines, peak RSS $hwm KiB"
check "the large log is read whole ($lines lines = $n x 60000)" test "$rc" = 0 -a "$lines" = $((n * 60000))
check "ALL: $((n * 20000)) requests" grep -qE "^ALL +$((n * 20000)) +$((n * 20000)) " big.out
check "peak RSS $hwm KiB < $limit KiB for $((n * size >> 20)) MiB" test "$hwm" -gt 0 -a "$hwm" -lt "$limit"
finish
