#!/bin/bash
# SPDX-License-Identifier: ISC
# Quiet windows in the running daemon: a request the policy makes inside a window is held
# and logged with the window and its end (once, with a count when the window ends), status
# shows the end, an administrator's move goes through and says so, and the policy's
# requests go out once the window has ended.
# Then splay: the first sample, and the move to the base at the schedule's edge, wait the
# VM's offset; and -t refuses a bad window.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
export TZ=UTC

# a window from this minute to the next, begun in the minute's first half (the agent must
# see it before it ends)
_early_in_minute() { [ "$(date -u +%S | sed 's/^0//')" -lt 30 ]; }
wait_for 30 _early_in_minute || fail "a minute's start"
now=$(date -u +%s)
start=$(( now / 60 * 60 )); stop=$(( start + 60 ))
from=$(date -u -d "@$start" +%H:%M); to=$(date -u -d "@$stop" +%H:%M)
window="$from-$to"
[ "$to" = 00:00 ] && window="$from-24:00"

agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.5' \
	'cooldown = 0' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2"]' 'location = "h1"' \
	'target_choice = "round_robin"' "quiet = \"Mon-Sun $window\""
values $(for i in $(seq 400); do echo 90; done)
agent_start
held="testvm: Suppressed move to h2 from policy: quiet window Mon-Sun $window until $to"
wait_for 30 grep -qF "$held" "$T/vmmanage.log" || fail "the held request is logged ($(grep Suppressed "$T/vmmanage.log" | tail -1))"
wait_cycles 4 || fail "4 cycles"
if [ "$(date -u +%s)" -lt "$stop" ]; then
	check "no move inside the window ($(moves | tr '\n' ' '))" test -z "$(moves)"
	check "status: the window and its end" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qF 'quiet: until $to (window Mon-Sun $window)'"
	out=$(vmm move 2>&1)
	check "an administrator's move goes through ($out)" wait_for 20 grep -q "^move h2" "$T/moves"
	check "and the log says it went through the window" grep -qF "testvm: Administrator's move to h2 goes through the quiet window Mon-Sun $window until $to" "$T/vmmanage.log"
fi
_moved_after() { awk -v s="$stop" '$1 >= s && / Now using /' "$T/vmmanage.log" | grep -q .; }
wait_for 100 _moved_after || fail "a policy's request goes out after the window ends ($(tail -3 "$T/vmmanage.log"))"
agent_stop
check "the held request is said once for the window, and once with its count ($(grep -cF "$held" "$T/vmmanage.log"))" \
	test "$(grep -cF "$held" "$T/vmmanage.log")" = 2
check "with a count when it ends" grep -qE "$(printf '%s' "$held" | sed 's/[.]/\\./g'): [0-9]+ times in all" "$T/vmmanage.log"
inside=$(awk -v a="$start" -v s="$stop" '$1 >= a && $1 < s && / Now using /' "$T/vmmanage.log" | wc -l)
check "inside the window only the administrator's request went out ($inside)" test "$inside" -le 1
check "the moves after the window: $(moves | tr '\n' ' ')" sh -c "moves=\$(tr '\n' ' ' < '$T/moves'); case \"\$moves\" in *'move h'[12]' '*) exit 0;; *) exit 1;; esac"

# splay: the first sample waits this VM's offset (from its name, below splay)
rm -rf "$T/state" "$T/vmmanage.log"
agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 3' 'daemon_interval = 0.3' \
	'hosts = ["h1", "h2"]' 'location = "h1"' 'splay = 3'
values 1 1 1 1 1
agent_start
wait_cycles 1 || fail "a first cycle"
agent_stop
line=$(grep -h 'splay: first sample in' "$T/agent.out" "$T/vmmanage.log" 2>/dev/null | head -1)
check "the first sample waits its splay ($line)" sh -c "echo '$line' | grep -qE 'splay: first sample in [0-2]\.[0-9] s'"

# splay at the schedule's edge: working hours end (a reload moves them), and the move to
# the base waits this VM's offset (testvm's of 20 s: 2.2 s), said as splay
rm -rf "$T/state" "$T/vmmanage.log"
h=$(date -u +%H); h=${h#0}
rest="$(printf '%02d:00' $(( (h + 2) % 24 )))-$(printf '%02d:00' $(( (h + 3) % 24 )))"
agent_conf 'policy = "schedule"' 'threshold = 50' 'tarry = 2' 'lowthreshold = 1' 'lowtarry = 100' \
	'daemon_interval = 0.3' 'cooldown = 1' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2"]' \
	'base = "cheap"' 'location = "h1"' 'target_choice = "round_robin"' 'splay = 20' \
	'work_hours = "00:00-24:00"'
values $(for i in $(seq 200); do echo 10; done)
agent_start
wait_cycles 2 || fail "2 cycles in working hours"
sed -i "s/^work_hours = .*/work_hours = \"$rest\"/" "$T/vmm.conf"
kill -HUP "$AGENT_PID"
wait_for 20 grep -q 'splay: this VM moves 2 s after the schedule.s edge' "$T/vmmanage.log" ||
	fail "the base request at the edge waits its splay ($(grep -i suppressed "$T/vmmanage.log" | tail -1))"
wait_for 20 grep -q '^move_to_base cheap' "$T/moves" || fail "the base request goes out after it"
agent_stop
held_at=$(grep -m1 'splay: this VM moves' "$T/vmmanage.log" | cut -d' ' -f1)
sent_at=$(grep -m1 ' Now using cheap' "$T/vmmanage.log" | cut -d' ' -f1)
check "sent 2 s or more after it was held ($held_at, $sent_at)" test "$((sent_at - held_at))" -ge 2
check "one move, to the base ($(moves | tr '\n' ' '))" test "$(moves | tr '\n' ' ')" = "move_to_base cheap "

# -t: a bad window names file and line and says how to write one
printf 'policy = "threshold"\nthreshold = 5\nquiet = "Mon-Fri 2-3"\n' > "$T/c.conf"
check_fails_with "-t refuses a bad window" 1 "c.conf:3: quiet: cannot read a window at \"Mon-Fri 2-3\": write e.g. quiet = \"Mon-Fri 02:00-03:00" \
	"$VMMANAGE" -c "$T/c.conf" -t
finish
