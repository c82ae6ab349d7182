#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# The broker path on real libvirt hosts (network namespaces, as tests/libvirt_*.sh): the
# agent holds no libvirt URI or credential, only its key; the broker maps it to its
# domain, migrates it with the libvirt endpoint and confirms it; both log the move with
# its time. A wrong key, a replayed request or session, and a libvirt host outside the
# VM's array are refused, and the guest stays where it is. Three VMs asking for one host
# with max_incoming 1 migrate one at a time; the others are told to retry, and do.
# drain h2 --deadline with those three guests on it: the two with agents leave by
# themselves, through their own policy and guard, within the deadline; the third, whose
# guest runs no agent, is moved by the broker past it; nothing moves to h2 until undrain.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/libvirt_hosts.sh"
. "$top_srcdir/tests/broker_lib.sh"
lv_need
need_cmd python3
broker_libvirt_asan

lv_hosts_start h1 h2 h3
lv_guest_start h1
check "the guest runs on h1 to begin with" test "$(lv_where)" = h1

# the provider's side: vm1 is the domain $LV_UUID and may use h1 and h2, not h3
broker_key vm1
broker_vm vm1 "libvirt_domain = \"$LV_UUID\"" 'hosts = ["h1", "h2"]' \
	"libvirt_uris = [\"h1=$(lv_uri h1)\", \"h2=$(lv_uri h2)\"]" \
	'libvirt_migrate_uri_template = "tcp://%a"' 'endpoint_timeout = 120'
broker_conf 'endpoint = "libvirt"' 'max_incoming = 1'
out=$("$BROKER" -c "$T/broker.conf" -t 2>&1)
check "-t: good ($out)" grep -q 'ok (1 VM, endpoint libvirt)' <<<"$out"
broker_start

# the guest's side: its key and the broker's address, nothing else
agent_conf 'policy = "threshold"' 'threshold = 1000' 'tarry = 3' 'daemon_interval = 0.5' \
	'hosts = ["h1", "h2"]' 'location = "h2"' 'cooldown = 0' 'max_moves_per_hour = 0'
sed -i '/^endpoint/d; s/^hostname = .*/hostname = "vm1"/' "$T/vmm.conf"
{
	echo 'endpoint = "broker"'
	echo "broker_address = \"127.0.0.1:$BROKER_PORT\""
	echo "broker_key_file = \"$T/vm1.key\""
	echo 'endpoint_timeout = 120'
} >> "$T/vmm.conf"
values $(yes 1 | head -400)
check "the agent's config holds no libvirt URI, domain or credential" \
	sh -c "! grep -qiE '^libvirt_|qemu[+:]|$LV_UUID' '$T/vmm.conf'"
agent_start
wait_for 20 grep -q 'The endpoint reports the VM on h1 (cached: h2)' "$T/vmmanage.log" \
	&& ok "at start the agent asks the broker, which asks libvirt: h1" || fail "located: $(tail -3 "$T/vmmanage.log")"
wait_for 10 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qE '^host h2: .*[0-9.]+ GiB free'" \
	&& ok "status: the hosts' free memory, from libvirt through the broker" || fail "hints: $(vmm status | grep '^host')"
wait_for 10 vmm move >/dev/null || fail "vmm move accepted"
wait_for 90 grep -qE 'Move to h2 confirmed in [0-9.]+ s' "$T/vmmanage.log" \
	&& ok "the agent: move to h2 confirmed, with its time" || fail "agent: $(grep -E 'Move|broker' "$T/vmmanage.log" | tail -3)"
check "the broker: confirmed, timed, on h2" grep -qE 'broker: vm1: move to h2 confirmed in [0-9.]+ s, on h2' "$T/broker.log"
check "virsh on h2: running ($(lv_state h2))" test "$(lv_state h2)" = running
check "virsh on h1: gone ($(lv_state h1))" test "$(lv_state h1)" = absent
wait_for 10 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -qx 'location: h2 (confirmed by the endpoint)'" \
	&& ok "status: location h2, confirmed" || fail "status location"
agent_stop
admitted() { count_lines 'broker: vm1: .* admitted' "$T/broker.log"; }
check "one move admitted so far" test "$(admitted)" = 1

# ---- refused: nothing moves ----
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$T/wrong.key"
out=$(python3 "$top_srcdir/tests/broker_peer.py" "$BROKER_PORT" vm1 "$(cat "$T/wrong.key")" "MOVE move h1 0")
check "a wrong key: refused ($out)" test "$out" = "BROKER-ERR authentication failed"
out=$(peer vm1 "MOVE move h3 0")
check "h3, a libvirt host outside vm1's array: refused ($out)" grep -q "^REFUSED [0-9]* h3 is not one of this VM's hosts" <<<"$out"
check "still on h2 ($(lv_where)), h3 never asked" sh -c "[ '$(lv_where)' = h2 ] && [ '$(lv_state h3)' = absent ]"
check "no move admitted" test "$(admitted)" = 1

pport=$(free_port)
mkdir -p "$T/tap"
python3 "$top_srcdir/tests/wire_peer.py" proxy "$pport" "$BROKER_PORT" "$T/tap" &
on_exit "kill $!"
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $pport)).close()" || fail "proxy up"
out=$(python3 "$top_srcdir/tests/broker_peer.py" "$pport" vm1 "$(broker_keyhex vm1)" --twice "MOVE move h1 0")
check "a move to h1, confirmed by the broker ($(head -1 <<<"$out"))" grep -q '^DONE confirmed 0 0 [0-9.]* h1' <<<"$out"
check "the same request again in its session: refused" \
	grep -qx 'BROKER-ERR request 1 replayed or out of order (expected 2)' <<<"$out"
rec=$(ls "$T"/tap/c2s.* | tail -1)
out=$(python3 "$top_srcdir/tests/wire_peer.py" replay "$BROKER_PORT" "$rec")
check "the recorded session, replayed on a new connection: refused" grep -q 'VMB1 ERR authentication failed' <<<"$out"
check "the guest is on h1 ($(lv_where)), moved once more, not twice" \
	sh -c "[ '$(lv_where)' = h1 ] && [ '$(admitted)' = 2 ]"
broker_stop
check "the broker logged the refusals: the first, then a count of the others" \
	sh -c "grep -q 'authentication as vm1 failed' '$T/broker.log' && grep -qE '[0-9]+ more refused in the last episode|replayed or out of order' '$T/broker.log' && grep -q 'not one of this VM' '$T/broker.log'"

# ---- three VMs ask for h2 at once, max_incoming 1: one migrates at a time ----
# two more guests on h1, each with its own key and file
guest() {
	sed -e "s|<name>$LV_GUEST</name>|<name>$1</name>|" -e "s|<uuid>$LV_UUID</uuid>|<uuid>$2</uuid>|" \
		"$LV_DIR/guest.xml" > "$LV_DIR/$1.xml"
	lv_virsh h1 create "$LV_DIR/$1.xml" >/dev/null || die "guest $1 did not start on h1"
}
on_h() { lv_virsh "$1" domstate "$2" 2>/dev/null | head -1; }
for i in 2 3; do
	uuid=$(cat /proc/sys/kernel/random/uuid)
	eval "UUID$i=$uuid"
	guest "vmmguest$i" "$uuid"
	broker_key "vm$i"
	broker_vm "vm$i" "libvirt_domain = \"$uuid\"" 'hosts = ["h1", "h2"]' \
		"libvirt_uris = [\"h1=$(lv_uri h1)\", \"h2=$(lv_uri h2)\"]" \
		'libvirt_migrate_uri_template = "tcp://%a"' 'endpoint_timeout = 120'
done
check "three guests run on h1" sh -c "[ '$(lv_where)' = h1 ] && [ '$(on_h h1 "$UUID2")' = running ] && [ '$(on_h h1 "$UUID3")' = running ]"
broker_start
# each asks until it is admitted (as an agent's retry would); the broker's status is
# sampled all along: never two incoming migrations to h2
ask_until_done() {
	local vm=$1 n
	for n in $(seq 60); do
		peer "$vm" "MOVE move h2 0" > "$T/ask.$vm.$n"
		grep -q '^DONE' "$T/ask.$vm.$n" && return 0
		sleep 0.5
	done
	return 1
}
pids=()
for vm in vm1 vm2 vm3; do ask_until_done "$vm" & pids+=($!); done
: > "$T/incoming"
while kill -0 "${pids[@]}" 2>/dev/null; do
	bctl status 2>/dev/null | sed -n 's/^host h2: incoming \([0-9]*\)\/1.*/\1/p' >> "$T/incoming"
	sleep 0.2
done
rcs=0
for p in "${pids[@]}"; do wait "$p" || rcs=$((rcs + 1)); done
check "each of the three was admitted in the end, none failed ($rcs did not)" test "$rcs" = 0
check "all three confirmed on h2" test "$(cat "$T"/ask.vm*.* | grep -c '^DONE confirmed 0 0 [0-9.]* h2')" = 3
check "some were told to retry while h2 took another ($(cat "$T"/ask.vm*.* | grep -c 'already takes 1 incoming'))" \
	grep -q 'REFUSED [0-9]* h2 already takes 1 incoming migration' $(ls "$T"/ask.vm*.*)
check "h2 never took two at once (samples: $(sort "$T/incoming" | uniq -c | tr '\n' ' '))" \
	sh -c "! grep -qv '^[01]\$' '$T/incoming'"
check "virsh: the three guests run on h2" sh -c "[ '$(lv_where)' = h2 ] && [ '$(on_h h2 "$UUID2")' = running ] && [ '$(on_h h2 "$UUID3")' = running ]"
check "the broker logged three confirmed moves to h2 in this round" \
	test "$(count_lines 'broker: vm[123]: move to h2 confirmed' "$T/broker.log")" = 3
# the broker's connections to the hosts are shared by its VMs, a few per host, not two
# per VM, and kept between moves
lv_conns "$BROKER_PID" > "$T/bconns1"
check "between moves the broker keeps connections to both hosts ($(awk '{ print $2 }' "$T/bconns1" | sort | uniq -c | tr '\n' ' '))" \
	test "$(awk '{ print $2 }' "$T/bconns1" | sort -u | wc -l)" = 2
check "at most 4 to one host for its 3 VMs ($(lv_conns_per_host "$T/bconns1"))" test "$(lv_conns_per_host "$T/bconns1")" -le 4
broker_stop

# ---- drain h2 with a deadline: the agents on it leave by themselves ----
broker_conf 'endpoint = "libvirt"' 'max_incoming = 1' 'retry_after = 3'
broker_start
# agents for vm2 and vm3 (vm1's guest runs none): each asks the broker where it runs every
# 2 s; its policy never asks for a move by itself
values $(yes 1 | head -2000)
agent_for() {
	local vm=$1
	sed -e "s/^hostname = .*/hostname = \"$vm\"/" -e "s|$T/vm1.key|$T/$vm.key|" \
		-e "s|$T/state\"|$T/state.$vm\"|" -e "s|$T/vmmanage\\.|$T/$vm.|" \
		-e "s|$T/sensor.idx|$T/sensor.$vm|" "$T/vmm.conf" > "$T/$vm.conf"
	echo 'locate_interval = 2' >> "$T/$vm.conf"
	"$VMMANAGE" -c "$T/$vm.conf" -f > "$T/$vm.out" 2>&1 &
	eval "APID_$vm=$!"
	on_exit "kill $!"
}
for vm in vm2 vm3; do agent_for "$vm"; done
for vm in vm2 vm3; do
	wait_for 30 sh -c "'$VMMANAGE' -c '$T/$vm.conf' status 2>/dev/null | grep -qx 'location: h2 (confirmed by the endpoint)'" \
		|| fail "$vm's agent: $(tail -3 "$T/$vm.log")"
done
check "the agents of vm2 and vm3 know they run on h2" true
t0=$(date +%s)
out=$(bctl drain h2 --deadline 30s)
check "drain h2 --deadline 30s ($out)" test "$out" = "draining h2, deadline 30 s"
for vm in vm2 vm3; do
	wait_for 30 grep -qE 'Move to h1 confirmed in [0-9.]+ s' "$T/$vm.log" \
		&& ok "$vm's agent moved it to h1 by itself ($(( $(date +%s) - t0 )) s after the drain)" \
		|| fail "$vm did not leave: $(grep -E 'Move|drain|Suppressed' "$T/$vm.log" | tail -3)"
	check "$vm's agent said why: its host is drained, and when the provider would move it" \
		grep -qE 'h2 is being drained by the provider: leaving it \(the provider moves the VM itself in [0-9]+ s\)' "$T/$vm.log"
done
t1=$(date +%s)
check "both left within the deadline ($((t1 - t0)) s of 30)" test $((t1 - t0)) -lt 30
check "virsh: vm2's and vm3's guests run on h1" \
	sh -c "[ '$(on_h h1 "$UUID2")' = running ] && [ '$(on_h h1 "$UUID3")' = running ]"
check "the broker moved neither itself" sh -c "! grep -qE 'vm[23]: still on h2 past' '$T/broker.log'"
# vm1's guest has no agent: past the deadline the provider moves it, and says so
wait_for 90 grep -q 'broker: vm1: still on h2 past its drain deadline: the provider moves it to h1' "$T/broker.log" \
	&& ok "past the deadline the broker moves vm1, which had no agent, itself ($(( $(date +%s) - t0 )) s)" \
	|| fail "vm1 not moved: $(tail -3 "$T/broker.log")"
wait_for 90 grep -qE 'broker: vm1: move to h1 confirmed in [0-9.]+ s, on h1' "$T/broker.log" \
	&& ok "and confirms it on h1" || fail "vm1's move: $(tail -3 "$T/broker.log")"
check "virsh: vm1's guest runs on h1 ($(lv_where))" test "$(lv_where)" = h1
check "virsh: nothing runs on h2" sh -c "[ '$(lv_state h2)' = absent ] && [ '$(on_h h2 "$UUID2")' != running ] && [ '$(on_h h2 "$UUID3")' != running ]"
for vm in vm2 vm3; do
	eval "kill \$APID_$vm; wait \$APID_$vm"
done
check "the agents counted no failed move" sh -c "! grep -q 'failed (' '$T/vm2.log' '$T/vm3.log'"
out=$(peer vm2 "MOVE move h2 0")
check "nothing moves to h2 until undrain ($out)" grep -q '^REFUSED [0-9]* h2 is being drained for maintenance' <<<"$out"
bctl undrain h2 >/dev/null
lv_conns "$BROKER_PID" > "$T/bconns2"
out=$(peer vm2 "MOVE move h2 0")
check "after undrain, h2 takes a move again ($(cut -c1-40 <<<"$out"))" grep -q '^DONE confirmed 0 0 [0-9.]* h2' <<<"$out"
lv_conns "$BROKER_PID" > "$T/bconns3"
check "that move used the broker's kept connections and closed none ($(comm -23 "$T/bconns2" "$T/bconns3" | tr '\n' ' '))" \
	sh -c "[ -s '$T/bconns2' ] && [ -z \"\$(comm -23 '$T/bconns2' '$T/bconns3')\" ]"
check "still at most 4 to one host ($(lv_conns_per_host "$T/bconns3"))" test "$(lv_conns_per_host "$T/bconns3")" -le 4
broker_stop
finish
