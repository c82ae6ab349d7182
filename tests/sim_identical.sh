#!/bin/bash
# SPDX-License-Identifier: ISC
# The simulator's output is a fixture: the example week (two days, nii3 traced) and a
# run where moves fail and a VM only recommends must come out byte for byte as committed
# in tests/data/sim/identical/. A change of wording or order shows here; one made on
# purpose regenerates the fixture in the same commit (VMM_REGEN=1 tests/sim_identical.sh).
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

export TZ=Europe/Oslo
WANT="$SIMDATA/identical"
sim_copy "$top_srcdir/examples/sim" week.sim nii1.conf nii1b.conf nii3.conf nii5.conf
sim_copy "$SIMDATA" faults.sim nii1r.conf
cd "$T" || die "no $T"
"$SIM" -q --compare -j1 --seed 2009 -d 2 -t nii3 -o week -l week/run.log week.sim > week.out 2>&1 ||
	{ cat week.out; die "week.sim"; }
"$SIM" -q -j1 --seed 2009 -o faults -l faults/run.log faults.sim > faults.out 2>&1 ||
	{ cat faults.out; die "faults.sim"; }
# in the daemon's words, as tests/agent_targets.sh and tests/agent_damping.sh hold it to them
check "failed moves in the daemon's words" grep -qE \
	': Move to mln4 failed \(timeout\): the target host is down; backing off mln4 for [0-9]+ s \(2 failures in a row\)$' faults/run.log
check "recommendations in the daemon's words" grep -qE \
	': Recommend move to mln[0-9] \(indicator [0-9.]+ above 20 for 3 cycles\)(; .*)?: not acting, mode recommend$' faults/run.log
for run in week faults; do
	for f in "$run"/*; do
		name=${f#"$run"/}
		if [ -n "${VMM_REGEN:-}" ]; then
			mkdir -p "$WANT/$run" && cp "$f" "$WANT/$run/$name"
			continue
		fi
		check "$run: $name as in the fixture" cmp "$WANT/$run/$name" "$f"
	done
	check "$run: no file of the fixture is missing" \
		sh -c "cd '$WANT/$run' && for f in *; do [ -e '$T/$run/'\"\$f\" ] || exit 1; done"
done
finish
