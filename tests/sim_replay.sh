#!/bin/bash
# SPDX-License-Identifier: ISC
# The thesis's scenarios 1 and 2 replayed with the thesis's behaviour (round robin, a
# fixed sleep, no guard), and with ours: the outcome matches the thesis qualitatively.
#  - Scenario 1 (Figure 4.3): with threshold 20 nii1 hops far more than with 50, up to
#    about the 14 requests an hour of section 5.4, during the afternoon peaks only.
#  - Scenario 2 (Figures 4.4-4.6): nii3 (base policy) is at the base every night; nii5
#    (schedule) asks for nothing outside working hours but the move to the base.
#    The thesis's nightly rest is replayed with base_admit = 0: by default a VM that
#    left a base overloaded by day does not rest there again until that fades (a day
#    or two; tests/sim_base_admit.sh), and nii3 overloads its base every afternoon.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_copy "$SIMDATA" scenario1.sim threshold20.conf threshold50.conf scenario2.sim nii3.conf nii5.conf
cd "$T" || die "no $T"
echo "base_admit = 0" >> nii3.conf
for th in 20 50; do
	sed "s/\"CONF\"/\"threshold$th.conf\"/" scenario1.sim > s1-$th.sim
	"$SIM" --thesis -q -o out$th s1-$th.sim > sim$th.out 2>&1 || { cat sim$th.out; die "scenario 1, threshold $th"; }
done
r20=$(col out20/summary.csv requests vm=ALL)
r50=$(col out50/summary.csv requests vm=ALL)
m20=$(col out20/summary.csv max_requests_per_hour vm=ALL)
echo "# scenario 1, thesis's behaviour: threshold 20: $r20 requests (at most $m20 an hour), threshold 50: $r50"
check "threshold 20 makes requests ($r20)" test "${r20:-0}" -ge 40
check "threshold 20 hops far more than 50 ($r20 > 4 x $r50 + 10)" test "$r20" -gt $((4 * r50 + 10))
check "at the peak nearly an endless loop: 10 to 16 requests an hour ($m20)" test "$m20" -ge 10 -a "$m20" -le 16
# when: the afternoons (12:00 to 18:00 local), never at night (the start is local midnight)
start=$(col out20/hourly.csv time vm=ALL hour=0)
night=$(awk -F, -v s="$start" 'NR > 1 && $2 == "nii1" { h = int(($4 - s) % 86400 / 3600); if (h < 10 || h > 19) n += $5 } END { print n + 0 }' out20/hourly.csv)
check "no requests at night or in the morning ($night)" test "$night" = 0

"$SIM" --thesis -q -o out2 -t nii3 scenario2.sim > sim2.out 2>&1 || { cat sim2.out; die "scenario 2"; }
"$SIM" -q -o ours2 -t nii3 scenario2.sim > ours2.out 2>&1 || { cat ours2.out; die "scenario 2, ours"; }
for mode in thesis ours; do
	dir=$([ $mode = thesis ] && echo out2 || echo ours2)
	s=$(col $dir/events.csv time vm=nii3 event=start | cut -d. -f1)
	# the cycles between 01:00 and 05:00 each night, and where the VM was
	awk -F, -v s="$s" 'NR > 1 && $3 == "nii3" && $4 == "cycle" { h = int(($1 - s) % 86400 / 3600); if (h >= 1 && h < 5) print int(($1 - s) / 86400), $6 }' \
		$dir/events.csv > nights-$mode
	nights=$(cut -d' ' -f1 nights-$mode | sort -u | wc -l)
	away=$(awk '$2 != "1"' nights-$mode | wc -l)
	echo "# scenario 2 ($mode): nii3 at night: $(wc -l < nights-$mode) cycles over $nights nights, $away away from the base"
	check "$mode: nii3 is at the base every night from 01:00 to 05:00 ($nights nights, $away cycles elsewhere)" \
		test "$nights" = 3 -a "$away" = 0
	days=$(awk -F, -v s="$s" 'NR > 1 && $3 == "nii3" && $4 == "request" && $5 == "move" && $6 == "1" { h = int(($1 - s) % 86400 / 3600); if (h >= 6 && h < 20) print int(($1 - s) / 86400) }' $dir/events.csv | sort -u | wc -l)
	check "$mode: nii3 leaves the base for the array every day between 06:00 and 20:00 ($days of 3 days)" test "$days" = 3
	# nii5: outside 09:00-16:00 (Mon-Wed here) only the move to the base
	awk -F, -v s="$s" 'NR > 1 && $3 == "nii5" && $4 == "request" { h = int(($1 - s) % 86400 / 3600); if (h < 9 || h >= 16) print $5 }' \
		$dir/events.csv > rest-$mode
	other=$(grep -vc '^move_to_base$' rest-$mode)
	tobase=$(grep -c '^move_to_base$' rest-$mode)
	check "$mode: nii5 asks for nothing outside working hours but the base ($tobase to the base, $other other)" \
		test "$other" = 0 -a "$tobase" -ge 3 -a "$tobase" -le 4
done
finish
