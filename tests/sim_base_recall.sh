#!/bin/bash
# SPDX-License-Identifier: ISC
# base_recall in the simulator, which runs the daemon's decision (src/core/decide.c): 8
# VMs on an office week, half of them with the base policy. The base gets bad in the
# morning; a VM that remembers the base's quarter hours does not go back to it within
# the hour before such a time, so fewer minutes over the level, for no more requests
# and no fewer hours on the base. The thesis's run does not change.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_office_pair "base_recall = 604800"
s0=$(col off/summary.csv sla_minutes mode=ours vm=ALL | cut -d. -f1)
s1=$(col on/summary.csv sla_minutes mode=ours vm=ALL | cut -d. -f1)
r0=$(col off/summary.csv requests mode=ours vm=ALL)
r1=$(col on/summary.csv requests mode=ours vm=ALL)
b0=$(col off/summary.csv hours_base mode=ours vm=ALL)
b1=$(col on/summary.csv hours_base mode=ours vm=ALL)
t0=$(col off/summary.csv sla_minutes mode=thesis vm=ALL)
t1=$(col on/summary.csv sla_minutes mode=thesis vm=ALL)
rt=$(col on/summary.csv requests mode=thesis vm=ALL)
echo "# a week: SLA minutes $s0 without, $s1 with base_recall; requests $r0, $r1 (thesis $rt); hours on the base $b0, $b1"
check "remembering the base's quarter hours, at most 80% of the SLA-violation minutes ($s1 <= 0.8 x $s0)" \
	test "$((5 * s1))" -le "$((4 * s0))"
check "for no more requests ($r1 <= $r0)" test "$r1" -le "$r0"
check "still at most a third of the thesis's requests ($r1 <= $rt / 3)" test "$((3 * r1))" -le "$rt"
check "and no fewer hours on the base ($b1 >= $b0)" awk -v a="$b1" -v b="$b0" 'BEGIN { exit !(a >= b) }'
check "the thesis's run is the same ($t0, $t1 minutes)" test "$t0" = "$t1"
check "the agents say why they stay" grep -qE \
	': Suppressed move_to_base from policy: base_recall: staying, base was [0-9.]+ at [0-2][0-9]:[0-5][05] [0-9]+ h ago, over 5 \(threshold 20\)$' on-ours.log
finish
