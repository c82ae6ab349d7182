#!/bin/bash
# SPDX-License-Identifier: ISC
# A simulation is a function of its file and seed: the same seed gives the same CSV files
# byte for byte, whatever the number of threads; another seed gives another run.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_copy "$top_srcdir/examples/sim" week.sim nii1.conf nii1b.conf nii3.conf nii5.conf
cd "$T" || die "no $T"
run() { # DIR ARGS...
	local d=$1; shift
	"$SIM" -q --compare -o "$d" -l "$d/run.log" -t nii3 "$@" week.sim > "$d.out" 2>&1 || { cat "$d.out"; die "vmmanage-sim $*"; }
}
run a -j1
run b -j2
run c -j1 --seed 12345
for f in summary.csv hourly.csv residency.csv events.csv run-thesis.log run-ours.log; do
	check "same seed, 1 and 2 threads: $f identical" cmp -s "a/$f" "b/$f"
done
check "events.csv holds requests, moves and nii3's cycles" \
	sh -c "grep -q ',request,' a/events.csv && grep -q ',confirmed,' a/events.csv && grep -q ',nii3,cycle,' a/events.csv"
check "another seed: another run (events.csv differs)" sh -c "! cmp -s a/events.csv c/events.csv"
check "another seed: another summary" sh -c "! cmp -s a/summary.csv c/summary.csv"
# the seed in the file is the default
sed 's/^seed = 2009;/seed = 12345;/' week.sim > week2.sim
"$SIM" -q --compare -o d -j1 -l d/run.log -t nii3 week2.sim > d.out 2>&1 || die "week2.sim"
check "seed = 12345 in the file is --seed 12345" cmp -s c/events.csv d/events.csv
finish
