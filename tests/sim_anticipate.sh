#!/bin/bash
# SPDX-License-Identifier: ISC
# anticipate in the simulator, which runs the daemon's decision (src/core/decide.c and
# the policy modules): 8 VMs on an office day. The base's and the array's slow morning
# climb is a line the forecast reads, so with anticipate = 300 the VMs leave before
# their samples cross the level: far fewer SLA-violation minutes for a few more
# requests. The thesis's run gets no forecast and does not change.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_office_pair "anticipate = 300"
s0=$(col off/summary.csv sla_minutes mode=ours vm=ALL | cut -d. -f1)
s3=$(col on/summary.csv sla_minutes mode=ours vm=ALL | cut -d. -f1)
r0=$(col off/summary.csv requests mode=ours vm=ALL)
r3=$(col on/summary.csv requests mode=ours vm=ALL)
t0=$(col off/summary.csv sla_minutes mode=thesis vm=ALL)
t3=$(col on/summary.csv sla_minutes mode=thesis vm=ALL)
rt=$(col on/summary.csv requests mode=thesis vm=ALL)
echo "# a week: SLA minutes $s0 without, $s3 with anticipate = 300; requests $r0, $r3; thesis $t0 minutes, $rt requests"
check "looking ahead, at most half the SLA-violation minutes ($s3 <= $s0 / 2)" test "$((2 * s3))" -le "$s0"
check "for at most half as many requests again ($r3 <= 1.5 x $r0)" test "$((2 * r3))" -le "$((3 * r0))"
check "still at most a third of the thesis's requests ($r3 <= $rt / 3)" test "$((3 * r3))" -le "$rt"
check "the thesis's run is the same ($t0, $t3 minutes)" test "$t0" = "$t3"
check "the requests say where the indicator was heading" \
	grep -qE 'Now using h[0-9] \(indicator [0-9.]+ heading above 20 \([0-9.]+ in 300 s\) for 3 cycles\)' on-ours.log
check "the thesis never looks ahead" sh -c "! grep -q heading on-thesis.log"
finish
