#!/bin/bash
# SPDX-License-Identifier: ISC
# A reload keeps the policy's counters when its settings did not change, and says that
# they start again only when they do: the log line and the status tell the truth at once,
# not from the next cycle on.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

# a long interval: the status read right after the reload comes before the next cycle
agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1000' 'daemon_interval = 1.5' \
	'cooldown = 0' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2"]' 'location = "h1"'
values $(for i in $(seq 60); do echo 60; done)
agent_start
count_now() { vmm status | sed -n 's/^count: //p'; }
_count_ge() { [ "$(count_now)" -ge "$1" ]; }
wait_for 30 _count_ge 2 || fail "the count reaches 2 (got $(count_now))"

# a core setting changes, the policy's do not: the counters go on
sed -i 's/^cooldown = 0/cooldown = 5/' "$T/vmm.conf"
vmm reload >/dev/null || fail "reload"
wait_for 15 grep -q 'Reloaded' "$T/vmmanage.log" || fail "reload logged"
after=$(count_now)
check "status right after a reload keeps the count (count: $after)" test "$after" -ge 2
check "the reload does not claim the counters start again" \
	test "$(grep -c 'policy counters start again' "$T/vmmanage.log")" = 0
check "the guard took the new cooldown" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^guard: cooldown 5 s'"

# the policy's threshold changes: a new instance, its counters start again, and it says so
sed -i 's/^threshold = 50/threshold = 55/' "$T/vmm.conf"
vmm reload >/dev/null || fail "second reload"
wait_for 15 sh -c "test \$(grep -c 'Reloaded' '$T/vmmanage.log') -ge 2" || fail "second reload logged"
check "a changed policy says its counters start again" \
	grep -q 'Reloaded .*(policy counters start again)$' "$T/vmmanage.log"
check "the status shows the new threshold" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^threshold: 55'"
agent_stop
finish
