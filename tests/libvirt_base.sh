#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# The base policy with real libvirt hosts: a quiet spell live-migrates the guest to the
# base host; high load brings it back into the array (h1), and more high load moves it
# on inside the array (h2), never to the base. The guest is persistent, and moves with
# libvirt_persist and libvirt_undefine_source: its definition goes with it.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/libvirt_hosts.sh"
lv_need

lv_hosts_start h1 h2 base
lv_guest_start h1 persistent
check "the guest is defined on h1 ($(lv_persistent h1))" test "$(lv_persistent h1)" = yes
lv_agent_conf 'policy = "base"' 'threshold = 50' 'tarry = 2' 'lowthreshold = 1' 'lowtarry = 3' \
	'daemon_interval = 0.5' 'cooldown = 5' 'max_moves_per_hour = 0' 'endpoint_timeout = 60' \
	'base = "base"' 'libvirt_persist = true' 'libvirt_undefine_source = true' \
	'target_choice = "round_robin"' # the thesis's order: h1 first; learned would try h2
# quiet, then busy twice, then in between (neither low nor high) for the rest
values 0 0 0  60 60  60 60 $(yes 5 | head -100)
agent_start
wait_for 40 grep -qE 'Move to base confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "the quiet spell sends it to the base, confirmed" || fail "to the base: $(grep -E 'Move|Now' "$T/vmmanage.log")"
check "the thesis's words for it" grep -q 'Now using base —moving to Base' "$T/vmmanage.log"
check "virsh on base: running ($(lv_state base))" test "$(lv_state base)" = running
check "virsh on h1: gone, definition too ($(lv_state h1))" test "$(lv_state h1)" = absent
check "the base holds the definition now ($(lv_persistent base))" test "$(lv_persistent base)" = yes

wait_for 40 grep -qE 'Move to h1 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "high load brings it back into the array: h1, confirmed" || fail "back to h1: $(grep -E 'Move|Now' "$T/vmmanage.log")"
check "virsh on h1: running ($(lv_state h1))" test "$(lv_state h1)" = running
check "virsh on base: gone ($(lv_state base))" test "$(lv_state base)" = absent

wait_for 40 grep -qE 'Move to h2 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "more high load moves it on inside the array: h2" || fail "on to h2: $(grep -E 'Move|Now' "$T/vmmanage.log")"
check "virsh on h2: running ($(lv_state h2))" test "$(lv_state h2)" = running
check "virsh on h1, the source: gone ($(lv_state h1))" test "$(lv_state h1)" = absent
wait_cycles 12 60 || fail "12 cycles"
agent_stop
got=$(sed -nE 's/.*Move to ([a-z0-9]+) (confirmed|failed|unconfirmed).*/\1 \2/p' "$T/vmmanage.log" | tr '\n' ',')
check "moves: base, h1, h2, all confirmed, and only one to the base ($got)" \
	test "$got" = "base confirmed,h1 confirmed,h2 confirmed,"
finish
