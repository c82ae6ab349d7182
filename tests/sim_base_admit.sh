#!/bin/bash
# SPDX-License-Identifier: ISC
# base_admit in the simulator, which runs the daemon's decision (src/core/decide.c): four
# VMs of the base policy rest on a base that holds one of them by day. Each morning the
# base overloads and they leave for a roomy array, where they are idle at once; without
# base_admit they go back to the base after lowtarry idle minutes and leave it again,
# all day. With the default they stay away until the base's bad hour fades, saying so.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_copy "$SIMDATA" baseadmit.sim baseadmit.conf
cd "$T" || die "no $T"

"$SIM" -q -o admit -l admit.log baseadmit.sim > admit.out 2>&1 || { cat admit.out; die "baseadmit.sim"; }
echo "base_admit = 0" >> baseadmit.conf
"$SIM" -q -o free baseadmit.sim > free.out 2>&1 || { cat free.out; die "baseadmit.sim, base_admit 0"; }
ra=$(col admit/summary.csv requests mode=ours vm=ALL)
rf=$(col free/summary.csv requests mode=ours vm=ALL)
sa=$(col admit/summary.csv sla_minutes mode=ours vm=ALL | cut -d. -f1)
sf=$(col free/summary.csv sla_minutes mode=ours vm=ALL | cut -d. -f1)
pa=$(col admit/summary.csv pingpong mode=ours vm=ALL)
pf=$(col free/summary.csv pingpong mode=ours vm=ALL)
echo "# three days: requests $ra with base_admit, $rf without; SLA minutes $sa, $sf; ping-pong $pa, $pf"
check "without base_admit the VMs go back and forth ($rf requests, $pf ping-pongs)" \
	test "$rf" -ge 100 -a "$pf" -ge 50
check "with it, at most a fifth of the requests ($ra <= $rf / 5)" test "$((5 * ra))" -le "$rf"
check "and at most half the SLA-violation minutes ($sa <= $sf / 2)" test "$((2 * sa))" -le "$sf"
check "the VMs still rest on the base ($(col admit/summary.csv hours_base mode=ours vm=ALL) hours)" \
	awk -v h="$(col admit/summary.csv hours_base mode=ours vm=ALL)" 'BEGIN { exit !(h >= 24) }'
check "the agents say why they stay" grep -qE \
	': Suppressed move_to_base from policy: base_admit: staying, base was [0-9.]+ when last there [0-9]+ min ago, over 5 \(25% of threshold 20\) until that fades$' admit.log
# and say it as the agent does, once while it lasts, with a count when it ends
held=$(grep -c 'base_admit: staying' admit/events.csv)
said=$(grep 'Suppressed move_to_base from policy: base_admit: staying' admit.log | grep -vc 'times in all$')
check "the hold said once per episode: $said lines for $held held requests" test "$((4 * said))" -le "$held"
check "with its count when it ends" grep -qE ': base_admit: staying, .* until that fades: [0-9]+ times in all$' admit.log
finish
