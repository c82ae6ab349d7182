#!/bin/bash
# SPDX-License-Identifier: ISC
# The simulation's timezone is read from its tzfile, not set in the environment: the
# output is the same whatever TZ the simulator runs under, an unknown zone is an error
# naming file and line, and no program sets TZ (a policy gets local time in its input).
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_copy "$top_srcdir/examples/sim" nii1.conf nii3.conf
sim_copy "$SIMDATA" faults.sim nii1r.conf flap.sim flap.conf
cd "$T" || die "no $T"
for tz in UTC America/New_York Asia/Kolkata; do
	mkdir -p "$tz"
	TZ=$tz "$SIM" -q -j1 --seed 2009 -o "$tz/out" -l "$tz/run.log" faults.sim > "$tz/stdout" 2>&1 ||
		{ cat "$tz/stdout"; die "faults.sim under TZ=$tz"; }
done
check "a run log in the simulation's zone (CEST)" grep -q ' CEST 2009 ' UTC/run.log
for tz in America/New_York Asia/Kolkata; do
	check "TZ=$tz gives the same run as TZ=UTC" diff -r UTC "$tz"
done

grep -q '^timezone = "UTC";' flap.sim || die "flap.sim sets no timezone"
line=$(grep -n '^timezone' flap.sim | cut -d: -f1)
sed 's|^timezone = "UTC";|timezone = "Mars/Olympus_Mons";|' flap.sim > mars.sim
rc=0
"$SIM" mars.sim > mars.out 2> mars.err || rc=$?
check "an unknown zone fails: exit $rc" test "$rc" = 1
check "naming file, line and zone ($(head -c 200 mars.err))" \
	grep -q "mars\.sim:$line: timezone: no time zone 'Mars/Olympus_Mons'" mars.err

# a policy gets local time in its input; the simulator tells its zone's time itself
grep -rnE 'setenv *\( *"TZ"|putenv *\( *"TZ=' "$top_srcdir/src" "$top_srcdir/policies" > setters
check "no program sets TZ ($(head -3 setters | tr '\n' ' '))" test ! -s setters
grep -rnwE '(localtime|localtime_r|tzset|mktime)' "$top_srcdir/policies" --include='*.c' > readers
check "no policy reads the clock's zone ($(head -3 readers | tr '\n' ' '))" test ! -s readers
finish
