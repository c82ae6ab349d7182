#!/bin/bash
# SPDX-License-Identifier: ISC
# The whole fleet at 16:00 (examples/sim/fleet.sim, a day): 500 VMs on 49 hosts and a
# base. The summary's arrivals lines must show the schedule's edge flooding the base,
# and agree with the moves in events.csv; --compare's hindsight figures must hold their
# order (the lower bound under everything, the best single host under both policies); a
# VM that never moves and has one host must get the same minutes from the hindsight as
# from its own samples; the load a move adds (migration.load_target) must cost SLA; and
# hint_age must show the hosts as they were that long ago.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

export TZ=Europe/Oslo
sim_copy "$top_srcdir/examples/sim" fleet.sim fleet-schedule.conf fleet-threshold.conf fleet-16.csv
cd "$T" || die "no $T"
timeout 300 "$SIM" --compare -j2 -d 1 -o fleet fleet.sim > fleet.out 2>&1 || { cat fleet.out; die "fleet.sim"; }
grep -E '^(hindsight|arrivals)' fleet.out | sed 's/^/# /'

# the base, at the edge: the thesis sends every schedule VM in the same minute
base_line=$(grep -E '^arrivals at a base \(thesis\): ' fleet.out)
check "an arrivals line for the base" test -n "$base_line"
minute=$(sed -nE 's/.*at most ([0-9]+) started in one minute \(base, Mon 16:0[0-4]\)$/\1/p' <<<"$base_line")
check "the base's busiest minute is the edge, 16:00 ($base_line)" test -n "$minute"
check "250 schedule VMs arrive at the base in that minute ($minute)" test "${minute:-0}" -eq 250
# the same from events.csv: moves to the base, started (arrival minus duration) per minute,
# and the most under way at once
read -r ev_minute ev_conc < <(awk -F, '$2 == "thesis" && $4 == "moved" && $7 == "base" {
	d = $NF; gsub(/[" s]/, "", d); e = $1; s = e - d; n++; st[n] = s; en[n] = e
	m = int((s + 0.5) / 60); c[m]++; if (c[m] > mx) mx = c[m] }
	END { for (i = 1; i <= n; i++) { k = 0; for (j = 1; j <= n; j++) if (st[j] <= st[i] && en[j] > st[i]) k++
		if (k > mc) mc = k }
	      print mx + 0, mc + 0 }' fleet/events.csv)
conc=$(sed -nE 's/.*at most ([0-9]+) under way at once.*/\1/p' <<<"$base_line")
check "events.csv: $ev_minute moves to the base started in one minute, as printed ($minute)" \
	test "$ev_minute" -eq "${minute:-x}"
check "events.csv: $ev_conc under way to the base at once, as printed ($conc)" test "$ev_conc" -eq "${conc:-x}"
timeout 300 "$SIM" --thesis -j1 -d 1 fleet.sim > fleet-j1.out 2>&1 || { cat fleet-j1.out; die "fleet.sim -j1"; }
check "the same arrivals with one thread as with two" \
	test "$(grep '^arrivals.*(thesis)' fleet-j1.out)" = "$(grep '^arrivals.*(thesis)' fleet.out)"
check "an arrivals line for the other hosts, both modes" \
	test "$(grep -cE '^arrivals at the hosts \((thesis|ours)\): [0-9]+ moves; per host at most [0-9]+ under way at once \(f[0-9]+, ' fleet.out)" -eq 2

# ours, with the hosts' cap on arriving migrations (migration.max_incoming, as Nova's
# max_concurrent_live_migrations) and the schedule's edge splayed over 10 minutes: no host
# and not the base ever has more than the cap arriving at once, and the base is not
# flooded at 16:00 (twice the even share of 250 VMs over 10 minutes at most, in any
# minute of the window); the figures of both come from the simulator's own output
sed 's/^migration = { \(.*\) };$/migration = { \1 max_incoming = 2; };/; s/fleet-schedule.conf/splay.conf/' fleet.sim > capped.sim
cp fleet-schedule.conf splay.conf && echo 'splay = 600' >> splay.conf
check "the cap and the splay are in" grep -q 'max_incoming = 2; };$' capped.sim
timeout 300 "$SIM" -j2 -d 1 -o capped capped.sim > capped.out 2>&1 || { cat capped.out; die "capped.sim"; }
grep '^arrivals' capped.out | sed 's/^/# capped: /'
for where in "the hosts" "a base"; do
	line=$(grep -E "^arrivals at $where \(ours\): " capped.out)
	most=$(sed -nE 's/.*per host at most ([0-9]+) under way at once.*/\1/p' <<<"$line")
	check "capped: at most 2 arriving at once at $where (${most:-none})" test -n "$most" -a "${most:-9}" -le 2
done
edge=$(awk -F, 'NR == 2 { print int($1) + 16 * 3600; exit }' capped/events.csv)
read -r first busiest < <(awk -F, -v e="$edge" '$2 == "ours" && $4 == "request" && $5 == "move_to_base" &&
	$1 >= e && $1 < e + 600 { m = int(($1 - e) / 60); c[m]++ }
	END { for (m = 0; m < 10; m++) if (c[m] > mx) mx = c[m]; print c[0] + 0, mx + 0 }' capped/events.csv)
check "splayed: the schedule's edge sends $first VMs to the base in its first minute (<= 25)" \
	test "${first:-99}" -le 25
check "splayed: at most 50 in any minute of the splay window ($busiest)" test "${busiest:-99}" -le 50

# hindsight: thesis, ours, best single host, lower bound
read -r th ou hs lb < <(sed -nE 's/^hindsight: SLA violation, minutes: thesis ([0-9]+), ours ([0-9]+), each VM on its best single host ([0-9]+), lower bound ([0-9]+)$/\1 \2 \3 \4/p' fleet.out)
check "a hindsight line" test -n "${lb:-}"
check "the thesis's minutes as in summary.csv ($th)" \
	test "$th" = "$(col fleet/summary.csv sla_minutes mode=thesis vm=ALL | awk '{ printf "%.0f", $1 }')"
check "lower bound $lb <= best single host $hs" test "$lb" -le "$hs"
check "lower bound $lb <= thesis $th and ours $ou" test "$lb" -le "$th" -a "$lb" -le "$ou"
check "best single host $hs <= thesis $th and ours $ou" test "$hs" -le "$th" -a "$hs" -le "$ou"
check "best single host is not nothing here ($hs > 0)" test "$hs" -gt 0

# one VM, one host, never moving: the hindsight is its own SLA, minute for minute
cat > one.conf <<CONF
policy = "threshold"
sensor = "mysql_slow"
daemon_interval = 60
threshold = 1000000
tarry = 3
hosts = ["h1"]
module_dir = "$MODULE_DIR"
CONF
cat > one.sim <<SIMFILE
start = "2009-05-11 00:00";
timezone = "Europe/Oslo";
days = 2;
seed = 7;
sla = 20;
hosts = ( { name = "h1"; capacity = 4.0; cost = 0.1; background = { mean = 2.5; amplitude = 1.5; peak = "14:00"; noise = 0.1; }; } );
vms = ( { name = "one"; conf = "one.conf"; demand = { mean = 1.0; amplitude = 0.8; peak = "15:00"; noise = 0.2; }; } );
SIMFILE
timeout 60 "$SIM" --compare one.sim > one.out 2>&1 || { cat one.out; die "one.sim"; }
read -r name best hind lower thm oum < <(awk '$1 == "one" && NF == 6' one.out)
check "one VM: its row in the hindsight table (best host $best)" test "$best" = h1
check "one VM: some violation to compare ($oum minutes)" test "${oum:-0}" -gt 0
check "one VM: hindsight $hind = its own minutes $oum" test -n "$hind" -a "$hind" = "$oum"
check "one VM: lower bound $lower = its own minutes too (one host)" test -n "$lower" -a "$lower" = "$oum"

# the load of a move on both ends: a VM that never moves, on a host the flapping VM keeps
# coming to and leaving, has more SLA minutes once moves load their hosts
sim_copy "$SIMDATA" flap.sim flap.conf
sed 's/"f1", "f2", "f3", "f4"/"f1"/; s/^max_moves_per_hour.*//; s/^threshold = 20/threshold = 1000000/' flap.conf > still.conf
sed 's/^vms = (/vms = ( { name = "still"; conf = "still.conf"; start = "f1"; sla = 5; demand = { value = 1.0; noise = 0.1; }; },/' flap.sim > moveload0.sim
sed 's/^sla = 100;/sla = 100;\nmigration = { load_source = 2.0; load_target = 2.0; };/' moveload0.sim > moveload.sim
check "the bystander and the knob are in" grep -q 'load_target = 2.0' moveload.sim
for f in moveload0 moveload; do
	timeout 60 "$SIM" --thesis -q -o "$f" "$f.sim" > "$f.out" 2>&1 || { cat "$f.out"; die "$f.sim"; }
done
without=$(col moveload0/summary.csv sla_minutes vm=still)
with=$(col moveload/summary.csv sla_minutes vm=still)
flapmoves=$(col moveload/summary.csv moves vm=flap)
echo "# bystander's SLA minutes: $without without the moves' load, $with with it ($flapmoves moves beside it)"
check "the flapping VM moves ($flapmoves)" test "${flapmoves:-0}" -gt 10
check "a move's load costs the bystander SLA minutes ($with > $without)" \
	awk -v a="$with" -v b="$without" 'BEGIN { exit !(a > b) }'

# hint_age: the endpoint's view of the hosts, as old as asked. Without it no hints; with an
# hour-old view, the host the VM has just arrived at still looks as idle as before
here_idle() { # log: the idle CPU of the host the VM is on, at its second choice
	grep 'Chose ' "$1" | sed -n '2s/.*CPU \([0-9]*\)% idle (here).*/\1/p'
}
for a in none 0 3600; do
	if [ "$a" = none ]; then cp flap.sim hint.sim; else sed "s/^sla = 100;/sla = 100;\nhint_age = $a;/" flap.sim > hint.sim; fi
	timeout 60 "$SIM" -q -l "hint-$a.log" hint.sim > "hint-$a.out" 2>&1 || { cat "hint-$a.out"; die "hint_age $a"; }
done
check "no hint_age: no hints in the choices" test "$(grep -c 'idle' hint-none.log)" -eq 0
check "hint_age = 0: the choices see the hosts' idle CPU" grep -q 'nothing known yet, CPU [0-9]*% idle' hint-0.log
now=$(here_idle hint-0.log) old=$(here_idle hint-3600.log)
echo "# the host the VM is on, at its second choice: ${now}% idle as it is, ${old}% an hour before"
check "hint_age = 3600: the host it is on looks idler than it is (${old:-?} > ${now:-?})" test "${old:-0}" -gt "${now:-0}"
finish
