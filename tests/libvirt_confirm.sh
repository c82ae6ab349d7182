#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# libvirt reports a migration as done, but the source runs the guest again (a split
# brain: here a qemu hook on the source starts a copy the moment the migrated guest is
# released there). The move must not be confirmed: the endpoint asks both hosts, and
# "h2 runs it, h1 does not" is only true when h1 does not. While the copy starts, the
# agent's own connection to h2 is held up (a blackhole rule for its address only), so
# that it cannot see h2 running and h1 empty in between; libvirt's own traffic between
# the hosts flows.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/libvirt_hosts.sh"
lv_need
need_cmd nsenter setsid

lv_hosts_start h1 h2
ROOTNS=/proc/$$/ns/net
RULE="from $LV_NET.2.254 to $LV_NET.2.1 blackhole priority 17931"
on_exit "ip rule del priority 17931"
on_exit "[ -s '$LV_DIR/copy.pid' ] && kill \$(cat '$LV_DIR/copy.pid')"
# libvirtd reads its hooks when it starts: h1 restarts with this one
mkdir -p "$LV_DIR/h1/etc/hooks"
cat > "$LV_DIR/h1/etc/hooks/qemu" <<EOF
#!/bin/sh
# once armed: when the guest is released after migrating away, start a copy here
[ "\$1" = "$LV_GUEST" ] && [ "\$2" = release ] && [ -e "$LV_DIR/armed" ] || exit 0
rm -f "$LV_DIR/armed"
nsenter --net=$ROOTNS ip rule add $RULE
# libvirt must not be called from its hook: the copy starts from a process of its own
setsid sh -c '
	echo \$\$ > "\$1/copy.pid"
	uri=\$2 dom=\$3
	for i in \$(seq 300); do virsh -q -c "\$uri" domstate "\$dom" >/dev/null 2>&1 || break; sleep 0.1; done
	virsh -q -c "\$uri" create "\$1/guest.xml" >> "\$1/copy.log" 2>&1
	for i in \$(seq 300); do [ "\$(virsh -q -c "\$uri" domstate "\$dom" 2>&1)" = running ] && break; sleep 0.1; done
	echo "h1: \$(virsh -q -c "\$uri" domstate "\$dom" 2>&1)" >> "\$1/copy.log"
	nsenter --net=$ROOTNS ip rule del priority 17931
' copy "$LV_DIR" "$(lv_uri h1)" "\$(cat "$LV_DIR/uuid")" </dev/null >/dev/null 2>&1 &
exit 0
EOF
chmod +x "$LV_DIR/h1/etc/hooks/qemu"
lv_host_stop h1
lv_host_restart h1
lv_guest_start h1
echo "$LV_UUID" > "$LV_DIR/uuid"

lv_agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 2' 'daemon_interval = 0.5' \
	'cooldown = 10' 'max_moves_per_hour = 0' 'endpoint_timeout = 120' 'location = "h1"'
values $(yes 1 | head -400)
agent_start
located() { vmm status 2>/dev/null | grep -qx 'location: h1 (confirmed by the endpoint)'; }
wait_for 20 located || fail "the agent finds the guest on h1"

touch "$LV_DIR/armed"
out=$(vmm move 2>&1); rc=$?
check "a move to h2 is accepted: exit $rc ($out)" test "$rc" = 0
outcome() { grep -qE 'Move to h2 (confirmed|failed|unconfirmed)' "$T/vmmanage.log"; }
wait_for 120 outcome || fail "the move has an outcome: $(tail -3 "$T/vmmanage.log")"
check "the copy runs on h1 ($(cat "$LV_DIR/copy.log" 2>/dev/null | tr '\n' ' '))" test "$(lv_state h1)" = running
check "and the migrated guest on h2 ($(lv_state h2))" test "$(lv_state h2)" = running
line=$(grep -E 'Move to h2 (confirmed|failed|unconfirmed)' "$T/vmmanage.log")
check "not confirmed while the source still runs the guest: ${line#* testvm: }" \
	grep -q 'Move to h2 unconfirmed: libvirt reported success' <<<"$line"
check "status: the last request unconfirmed" \
	sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^last request: move to h2 at .*: unconfirmed'"
agent_stop
finish
