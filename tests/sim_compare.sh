#!/bin/bash
# SPDX-License-Identifier: ISC
# --compare runs the thesis's behaviour and ours on the same traces and seed and prints
# both columns. On a flapping load ours moves far less, without more SLA violation; on
# the example week it moves less too.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_copy "$SIMDATA" flap.sim flap.conf
sim_copy "$top_srcdir/examples/sim" week.sim nii1.conf nii1b.conf nii3.conf nii5.conf
cd "$T" || die "no $T"
"$SIM" --compare -o flap flap.sim > flap.out 2>&1 || { cat flap.out; die "flap.sim"; }
cat flap.out | sed -n '1,12p' | sed 's/^/# /'
check "the table has a thesis and an ours column" grep -qE '^ +thesis +ours +change$' flap.out
check "requests in both columns" grep -qE '^  requests +[0-9]+ +[0-9]+ ' flap.out
check "SLA minutes in both columns" grep -qE '^  SLA violation, minutes +[0-9]+ +[0-9]+' flap.out
check "cost C_t in both columns" grep -qE '^  C_t = C_tb \+ C_a .* [0-9.]+ +[0-9.]+ ' flap.out
tm=$(col flap/summary.csv moves mode=thesis vm=ALL)
om=$(col flap/summary.csv moves mode=ours vm=ALL)
ts=$(col flap/summary.csv sla_minutes mode=thesis vm=ALL)
os=$(col flap/summary.csv sla_minutes mode=ours vm=ALL)
echo "# flapping load: moves thesis $tm, ours $om; SLA minutes thesis $ts, ours $os"
check "the thesis hops on every flap ($tm moves in 2 days)" test "$tm" -ge 200
check "ours makes at most half the moves ($om <= $tm / 2)" test "$((2 * om))" -le "$tm"
check "without more SLA violation ($os <= $ts)" awk -v a="$os" -v b="$ts" 'BEGIN { exit !(a <= b) }'
check "ours is held back by the guard" test "$(col flap/summary.csv suppressed mode=ours vm=ALL)" -gt 0
check "at most max_moves_per_hour = 4 an hour" test "$(col flap/summary.csv max_requests_per_hour mode=ours vm=ALL)" -le 4

"$SIM" --compare -q -o week week.sim > week.out 2>&1 || { cat week.out; die "week.sim"; }
tm=$(col week/summary.csv moves mode=thesis vm=ALL)
om=$(col week/summary.csv moves mode=ours vm=ALL)
ts=$(col week/summary.csv sla_minutes mode=thesis vm=ALL)
os=$(col week/summary.csv sla_minutes mode=ours vm=ALL)
echo "# example week: moves thesis $tm, ours $om; SLA minutes thesis $ts, ours $os"
check "example week: fewer moves ($om < $tm)" test "$om" -lt "$tm"
check "example week: no more SLA violation ($os <= $ts)" awk -v a="$os" -v b="$ts" 'BEGIN { exit !(a <= b) }'
finish
