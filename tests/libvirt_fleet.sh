#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# Two agents race for the same target on real libvirt hosts (issue 15): agent A's guest is
# migrating to h2 (its stream throttled, so that it is still arriving), when agent B's
# policy asks for a move and h2 is B's only target. libvirt on h2 shows the arriving
# domain; with max_incoming = 1 agent B waits, saying why and until when it may go, and
# moves once A's guest has arrived. Then free memory: with a memory_headroom that no host
# can offer beside the guest's memory, agent B's move waits, naming the memory it needs.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/libvirt_hosts.sh"
lv_need
need_cmd tc

lv_hosts_start h1 h2
lv_guest_start h1
UUID_A=$LV_UUID
UUID_B=$(cat /proc/sys/kernel/random/uuid)
sed -e "s|<name>$LV_GUEST</name>|<name>$LV_GUEST-b</name>|" -e "s|$UUID_A|$UUID_B|" \
	"$LV_DIR/guest.xml" > "$LV_DIR/guest-b.xml"
lv_virsh h1 create "$LV_DIR/guest-b.xml" >/dev/null || die "guest B did not start on h1"
TOP=$T

# Only the migration streams to h2 crawl (QEMU's ports 49152-49215); libvirt's own
# connections, the hints among them, keep their speed.
slow_migrations() {
	local dev=vmmlv2
	tc qdisc replace dev "$dev" root handle 1: htb default 10 r2q 1 &&
		tc class add dev "$dev" parent 1: classid 1:10 htb rate 1gbit quantum 60000 &&
		tc class add dev "$dev" parent 1: classid 1:30 htb rate 24kbit ceil 24kbit quantum 1500 &&
		tc filter add dev "$dev" parent 1: protocol ip u32 match ip dport 49152 0xffc0 flowid 1:30
}
fast_migrations() { tc qdisc del dev vmmlv2 root 2>/dev/null; }
slow_migrations || skip "tc cannot shape the link to h2 here"
on_exit fast_migrations

as_agent() { T=$TOP/$1; LV_UUID=$2; mkdir -p "$T"; }
common=('policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.5'
	'max_moves_per_hour = 0' 'endpoint_timeout = 300' 'hosts = ["h1", "h2"]')

# agent B first: it watches the hosts, its indicator good; it moves once (cooldown)
as_agent b "$UUID_B"
lv_agent_conf "${common[@]}" 'location = "h1"' 'max_incoming = 1' 'cooldown = 600' \
	'locate_interval = 1'
yes 1 | head -2000 > "$T/values"
agent_start
PID_B=$AGENT_PID
wait_for 20 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^host h2: .*0 migrations arriving'" \
	|| fail "agent B sees no migration arriving at h2: $(vmm status | grep '^host')"

# agent A moves its guest to h2, once (cooldown); the stream crawls
as_agent a "$UUID_A"
lv_agent_conf "${common[@]}" 'location = "h1"' 'cooldown = 600' 'locate_interval = 0'
values $(yes 60 | head -2000)
agent_start
PID_A=$AGENT_PID
arriving() { [ "$(lv_virsh h2 domstate "$UUID_A" 2>/dev/null | head -1)" = paused ]; }
wait_for 30 arriving || fail "guest A arriving at h2 (paused there): $(grep -E 'Move|Request' "$T/vmmanage.log")"

as_agent b "$UUID_B"
wait_for 20 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^host h2: .*1 migration arriving'" \
	&& ok "libvirt on h2 tells agent B of A's guest arriving" \
	|| fail "agent B sees the arrival: $(vmm status | grep '^host')"
check "guest A is still arriving ($(lv_virsh h2 domstate "$UUID_A" 2>&1 | head -1))" arriving
# agent B's indicator goes bad: its only target has a migration arriving
sed -i 's/.*/60/' "$T/values"
held='Suppressed move from policy: no host to move to: h2 has 1 migration arriving \(max_incoming 1\)'
wait_for 20 grep -qE "$held" "$T/vmmanage.log" \
	&& ok "agent B waits: h2 has a migration arriving" \
	|| fail "agent B held back: $(grep -E 'Move|Suppr|Chose' "$T/vmmanage.log" | tail -3)"
check "agent B asked for no move meanwhile" sh -c "! grep -q 'Requesting migration of VM' '$T/vmmanage.log'"

# A's guest arrives; agent B's next look finds h2 free and it goes
fast_migrations
AGENT_PID=$PID_A T=$TOP/a
wait_for 120 grep -qE 'Move to h2 confirmed' "$T/vmmanage.log" \
	&& ok "agent A's move to h2 is confirmed" || fail "A's move: $(grep -E 'Move|Suppr' "$T/vmmanage.log")"
agent_stop
as_agent b "$UUID_B"
AGENT_PID=$PID_B
wait_for 60 grep -qE 'Move to h2 confirmed' "$T/vmmanage.log" \
	&& ok "then agent B moves to h2 too" || fail "B's move: $(grep -E 'Move|Suppr' "$T/vmmanage.log" | tail -3)"
check "virsh on h2: both guests run there" \
	sh -c "[ \"\$(timeout 20 virsh -q -c '$(lv_uri h2)' domstate $UUID_A)\" = running ] &&
		[ \"\$(timeout 20 virsh -q -c '$(lv_uri h2)' domstate $UUID_B)\" = running ]"
agent_stop

# free memory: no host has the guest's memory and a headroom of 1 PiB free
as_agent c "$UUID_B"
lv_agent_conf "${common[@]}" 'location = "h2"' 'memory_headroom = 1125899906842624' \
	'cooldown = 1' 'locate_interval = 1'
yes 60 | head -2000 > "$T/values"
agent_start
wait_for 30 grep -qE 'Suppressed move from policy: no host to move to: h[12] has [0-9.]+ GiB free, the VM needs [0-9.]+ GiB with memory_headroom' "$T/vmmanage.log" \
	&& ok "agent C waits: the other host lacks the memory the guest and the headroom need" \
	|| fail "held for memory: $(grep -E 'Move|Suppr' "$T/vmmanage.log" | tail -3)"
check "no migration requested" sh -c "! grep -q 'Requesting migration of VM' '$T/vmmanage.log'"
agent_stop
T=$TOP
finish
