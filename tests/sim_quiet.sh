#!/bin/bash
# SPDX-License-Identifier: ISC
# The simulator holds by the daemon's rules (src/core/quiet.c through decide.c): in the
# week of examples/sim, nii1 and nii1b make no request inside their quiet window (they do
# without it), the held requests are in the events as suppressed with the window, and
# nii5's move to the base at the end of its working hours waits its splay, the same
# offset every day.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_copy "$top_srcdir/examples/sim" week.sim nii1.conf nii1b.conf nii3.conf nii5.conf
cd "$T" || die "no $T"
run() { # DIR
	"$SIM" -q -o "$1" -j1 week.sim > "$1.out" 2>&1 || { cat "$1.out"; die "vmmanage-sim in $1"; }
}
# "Dow HH:MM vm action" for the requests of ours, in the simulation's zone
requests() {
	TZ=Europe/Oslo awk -F, '$2 == "ours" && $4 == "request" {
		print strftime("%a %H:%M", int($1)), $3, $5 }' "$1/events.csv"
}
in_window() { grep -E '^(Mon|Tue|Wed|Thu|Fri) 1[2-4]:[0-5][0-9] nii1b? '; }

run plain
n=$(requests plain | in_window | wc -l)
check "without a window nii1 and nii1b ask to move at 12:00-15:00 on weekdays ($n)" test "$n" -gt 0

for c in nii1.conf nii1b.conf; do
	grep -v '^module_dir' "$c" > "$c.new" && echo 'quiet = "Mon-Fri 12:00-15:00"' >> "$c.new"
	grep '^module_dir' "$c" >> "$c.new" && mv "$c.new" "$c"
done
sed -i 's/^work_days = .*/&\nsplay = 3000/' nii5.conf
run quiet
check "with the window: no request of nii1 or nii1b inside it ($(requests quiet | in_window | head -3 | tr '\n' ';'))" \
	test "$(requests quiet | in_window | wc -l)" = 0
check "the held requests are in the events with the window" \
	grep -qE ',ours,nii1b?,suppressed,.*quiet window Mon-Fri 12:00-15:00 until 15:00' quiet/events.csv
check "nii1 and nii1b still ask outside the window" test "$(requests quiet | grep -cE ' nii1b? ')" -gt 0

# nii5: plain, its move to the base comes at 16:00; splayed, at the same later minute daily
base_times() { requests "$1" | awk '$3 == "nii5" && $4 == "move_to_base" && $2 >= "16:00" && $2 < "17:00" { print $2 }' | sort -u; }
check "plain: nii5 goes to the base at 16:00 ($(base_times plain | tr '\n' ' '))" test "$(base_times plain)" = "16:00"
splayed=$(base_times quiet)
check "splayed: every day at one minute after 16:00 and before 16:50 ($splayed)" \
	sh -c "[ \$(echo '$splayed' | wc -l) = 1 ] && [ '$splayed' \> '16:00' ] && [ '$splayed' \< '16:50' ]"
check "the wait is logged as splay" grep -qE ',ours,nii5,suppressed,move_to_base,.*splay: ' quiet/events.csv
finish
