#!/bin/bash
# SPDX-License-Identifier: ISC
# The fleet rules in the simulator, which runs the daemon's target choice
# (src/core/decide.c): a fleet whose daily peak is the same hour never has more than
# max_incoming migrations arriving at a host (the simulator's hosts hold a slot per
# arriving migration, the agents pass a full host over), and without the cap the same
# fleet herds; a host without the VM's memory free is no target; a week at twice the daily load ping-pongs far less with pingpong_hold than
# without it.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_copy "$SIMDATA" fleet.sim pingpong.sim fleet.conf pingpong.conf
cd "$T" || die "no $T"
# every agent takes the best host, so that the fleet goes for the same one and the caps
# are what stop it (with near_best it spreads by itself: tests/sim_herd.sh)
echo "near_best = 0" >> fleet.conf

# the most migrations arriving at one host at once, from the confirmed moves' end
# and duration
peak_arrivals() {
	awk -F, '$2 == "ours" && $4 == "confirmed" {
		took = $13; gsub(/[" s]/, "", took); n++; st[n] = $1 - took; en[n] = $1; to[n] = $7 }
	END { peak = 0
		for (i = 1; i <= n; i++) { c = 0
			for (j = 1; j <= n; j++) if (to[j] == to[i] && st[j] <= st[i] && en[j] > st[i]) c++
			if (c > peak) peak = c }
		print peak }' "$1"
}

"$SIM" -q -o capped -l capped.log fleet.sim > capped.out 2>&1 || { cat capped.out; die "fleet.sim"; }
moves=$(col capped/summary.csv moves mode=ours vm=ALL)
peak=$(peak_arrivals capped/events.csv)
echo "# capped: $moves moves, at most $peak arriving at one host"
check "the fleet moves ($moves moves)" test "$moves" -ge 3
check "never more than max_incoming = 2 arriving at a host ($peak)" test "$peak" -le 2
check "the agents pass a host with 2 arriving over, saying so" \
	grep -qE ': Chose h[0-9]: learned: .*h[0-9] has 2 migrations arriving \(max_incoming 2\)' capped.log
check "no ping-pong ($(col capped/summary.csv pingpong mode=ours vm=ALL))" \
	test "$(col capped/summary.csv pingpong mode=ours vm=ALL)" = 0

# memory: 4 GiB VMs, ten on each host; h3 has 42 GiB, 2 GiB free, and is never a target
sed -e 's/capacity = 12.0;/capacity = 12.0; memory = 64;/' -e '/name = "h3"/s/memory = 64;/memory = 42;/' \
	-e 's/start = "spread";/start = "spread"; memory = 4;/' fleet.sim > memory.sim
"$SIM" -q -o memory -l memory.log memory.sim > memory.out 2>&1 || { cat memory.out; die "memory.sim"; }
to_h3() { awk -F, '$2 == "ours" && $4 == "confirmed" && $7 == "h3"' "$1" | wc -l; }
check "with memory unmodelled some VMs move to h3 ($(to_h3 capped/events.csv))" test "$(to_h3 capped/events.csv)" -ge 1
check "with 2 GiB free on h3 none does ($(to_h3 memory/events.csv))" test "$(to_h3 memory/events.csv)" = 0
check "the agents say why" grep -qE ': Chose h[0-9]: .*h3 has 2.00 GiB free, the VM needs 4.25 GiB with memory_headroom' memory.log

sed 's/ max_incoming = 2;//' fleet.sim > herd.sim
"$SIM" -q -o herd herd.sim > herd.out 2>&1 || { cat herd.out; die "herd.sim"; }
hpeak=$(peak_arrivals herd/events.csv)
check "without the hosts' cap the same fleet herds ($hpeak arriving at one host)" test "$hpeak" -gt 2

"$SIM" -q -o held pingpong.sim > held.out 2>&1 || { cat held.out; die "pingpong.sim"; }
echo "pingpong_hold = 0" >> pingpong.conf
"$SIM" -q -o free pingpong.sim > free.out 2>&1 || { cat free.out; die "pingpong.sim, no hold"; }
ph=$(col held/summary.csv pingpong mode=ours vm=ALL)
pf=$(col free/summary.csv pingpong mode=ours vm=ALL)
echo "# twice the daily load, a week: ping-pongs $ph with pingpong_hold, $pf without"
check "without the hold the VMs ping-pong ($pf)" test "$pf" -ge 10
check "with it, at most a fifth as often ($ph <= $pf / 5)" test "$((5 * ph))" -le "$pf"
finish
