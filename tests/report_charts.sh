#!/bin/bash
# SPDX-License-Identifier: ISC
# vmmanage-report draws, with gnuplot, PNG and SVG charts of a simulated week: per VM the
# requests and moves per hour, where it ran, and the indicator against its thresholds.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"
need_cmd gnuplot file
sim_copy "$top_srcdir/examples/sim" week.sim nii1.conf nii1b.conf nii3.conf nii5.conf
cd "$T" || die "no $T"
"$SIM" -q -o week -l week/run.log -t nii1,nii3 week.sim > sim.out 2>&1 || { cat sim.out; die "week.sim"; }

"$REPORT" -c charts -p '*=0.12' -p base=0.03 -b base week/events.csv > report.out 2> report.err
rc=$?
check "report with charts: exit 0 ($rc) $(head -c 300 report.err)" test "$rc" = 0
for vm in ours_nii1 ours_nii3; do
	for kind in hourly residency indicator; do
		check "$vm-$kind.png is a 1100 x 420 PNG" \
			sh -c "file charts/$vm-$kind.png | grep -q 'PNG image data, 1100 x 420'"
		check "$vm-$kind.svg is an SVG" \
			sh -c "file charts/$vm-$kind.svg | grep -q 'SVG Scalable Vector Graphics image' && grep -q '<svg' charts/$vm-$kind.svg"
	done
done
check "nii5 (not traced) has no indicator chart, but the other two" \
	sh -c "test ! -e charts/ours_nii5-indicator.png && test -s charts/ours_nii5-hourly.png && test -s charts/ours_nii5-residency.svg"
check "the hourly chart of all VMs" sh -c "file charts/ALL-hourly.png | grep -q 'PNG image data'"
check "the residency chart names the hosts" sh -c "grep -q '>base<' charts/ours_nii3-residency.svg && grep -q '>mln4<' charts/ours_nii3-residency.svg"
check "the indicator chart has its legend" sh -c "grep -q '>threshold<' charts/ours_nii3-indicator.svg && grep -q '>lowthreshold<' charts/ours_nii3-indicator.svg"
check "no chart data left in TMPDIR" sh -c "! ls '${TMPDIR:-/tmp}' | grep -q '^vmmanage-report\.'"

# the same from the collector-format log, PNG only, the VMs asked for
"$REPORT" -c charts2 -f png -v nii3 week/run.log > report2.out 2>&1
check "-f png -v nii3: only nii3's PNGs and the overview" \
	sh -c "test -s charts2/nii3-indicator.png && test ! -e charts2/nii3-indicator.svg && test ! -e charts2/nii1-hourly.png && test -s charts2/ALL-hourly.png"
# no gnuplot: a clear message, exit 1, the text report still printed
rc=0; "$REPORT" -c charts3 -g /nonexistent/gnuplot week/events.csv > report3.out 2> report3.err || rc=$?
check "without gnuplot: exit 1 and says how to mend ($(head -c 200 report3.err))" \
	sh -c "test $rc = 1 && grep -q 'gnuplot' report3.err && grep -q '^ALL ' report3.out"
finish
