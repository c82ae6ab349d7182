#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# The site policy with real libvirt hosts on different subnets: enough big jobs at home
# (h1, h2) move the guest to the away site (aws1) with a cross-site migration (storage
# copied, live by default), few bring it home; after a reload the way home is the
# paused ("offline") kind, through a new instance of the endpoint.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/libvirt_hosts.sh"
lv_need

lv_hosts_start h1 h2 aws1
lv_guest_start h1
check "home and away are on different subnets: $(lv_addr h1) / $(lv_addr aws1)" \
	test "${LV_NET}.$(lv_index h1)" != "${LV_NET}.$(lv_index aws1)"
lv_agent_conf 'policy = "site"' 'threshold = 2' 'bigjobs = "grade a"' 'daemon_interval = 0.5' \
	'cooldown = 3' 'max_moves_per_hour = 0' 'endpoint_timeout = 60' \
	'home = ["h1", "h2"]' 'away = ["aws1"]' \
	'libvirt_tls = "never"' 'libvirt_site_link_encrypted = true' # no certificates here
#     1 big job: process at home; 3: move away; then 5 for a while: process away
values 1 3 $(yes 5 | head -500)
agent_start
wait_for 40 grep -qE 'Move to aws1 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "enough big jobs: away to aws1, confirmed" || fail "away: $(grep -E 'Move|Now|Would' "$T/vmmanage.log")"
check "in the thesis's words" grep -q 'Now using aws1 —moving from home' "$T/vmmanage.log"
check "virsh on aws1: running ($(lv_state aws1))" test "$(lv_state aws1)" = running
check "virsh on h1: gone ($(lv_state h1))" test "$(lv_state h1)" = absent
vmm status > "$T/status1"
check "a live cross-site migration by default" grep -q '(live migration h1 -> aws1' "$T/status1"
wait_for 10 grep -q 'Would process: away from home now' "$T/vmmanage.log" \
	&& ok "away, the big jobs are processed there" || fail "processing away"

echo 'libvirt_cross_site = "offline"' >> "$T/vmm.conf"
out=$(vmm reload 2>&1) || fail "reload: $out"
wait_for 10 grep -q 'Reloaded .*endpoint libvirt' "$T/vmmanage.log" && ok "reloaded" || fail "reloaded"
values $(yes 0 | head -500) # no big jobs: home
wait_for 40 grep -qE 'Move to h1 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "few big jobs: home to h1, confirmed" || fail "home: $(grep -E 'Move|Now' "$T/vmmanage.log")"
check "virsh on h1: running ($(lv_state h1))" test "$(lv_state h1)" = running
check "virsh on aws1: gone ($(lv_state aws1))" test "$(lv_state aws1)" = absent
vmm status > "$T/status2"
check "the way home is paused, not live, after the reload" grep -q '(paused (not live) migration aws1 -> h1' "$T/status2"
agent_stop
got=$(sed -nE 's/.*Move to ([a-z0-9]+) (confirmed|failed|unconfirmed).*/\1 \2/p' "$T/vmmanage.log" | tr '\n' ',')
check "two moves, both confirmed ($got)" test "$got" = "aws1 confirmed,h1 confirmed,"
finish
