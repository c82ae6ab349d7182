#!/bin/bash
# SPDX-License-Identifier: ISC
# A herd leaving the base, in the simulator, which runs the daemon's target choice
# (src/core/targets.c): sixty VMs of the base policy rest on a base that a nightly batch
# overloads at 01:00, and all leave it in the same minute knowing nothing yet of the
# array. With near_best (the default) they spread over the array's hosts; had they all
# taken the first host nothing is known of, they would walk the array together (all to
# h1, then all to h2, ...), each host overloaded in turn.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_copy "$SIMDATA" herd.sim herd.conf
cd "$T" || die "no $T"
# the batch: 1.1 more from 01:00 to 03:00, a point a minute (a whole day, so that it
# comes back at 01:00)
awk 'BEGIN { print "time,value"; for (t = 0; t < 86400; t += 60)
	printf "%d,%s\n", t, t >= 3600 && t <= 10800 ? "1.1" : "0" }' > nightly.csv

# herd_max DIR: the most requests from the base to one host in one minute
herd_max() {
	awk -F, '$2 == "ours" && $4 == "request" && $6 == "base" {
		n[int($1 / 60) " " $7]++ } END { m = 0; for (k in n) if (n[k] > m) m = n[k]; print m }' \
		"$1/events.csv"
}
"$SIM" -q -o spread herd.sim > spread.out 2>&1 || { cat spread.out; die "herd.sim"; }
echo "near_best = 0" >> herd.conf
"$SIM" -q -o herd herd.sim > herd.out 2>&1 || { cat herd.out; die "herd.sim, near_best 0"; }
hs=$(herd_max spread)
hh=$(herd_max herd)
rs=$(col spread/summary.csv requests mode=ours vm=ALL)
rh=$(col herd/summary.csv requests mode=ours vm=ALL)
ss=$(col spread/summary.csv sla_minutes mode=ours vm=ALL | cut -d. -f1)
sh=$(col herd/summary.csv sla_minutes mode=ours vm=ALL | cut -d. -f1)
echo "# two nights, 60 VMs: at most $hs (near_best) and $hh (0) to one host in a minute;" \
	"requests $rs, $rh; SLA minutes $ss, $sh"
check "without near_best the fleet herds: $hh of 60 to one host in one minute" test "$hh" -ge 40
check "with it, at most a quarter to one host in one minute ($hs)" test "$hs" -le 15
check "at most two requests a night per VM, to the base and out ($rs requests)" test "$rs" -le 240
check "at most eight SLA-violation minutes per VM ($ss; the batch's first three minutes on the base each night are six)" \
	test "$ss" -le 480
check "a fifth of the minutes of the herd at most ($ss <= $sh / 5)" test "$((5 * ss))" -le "$sh"
finish
