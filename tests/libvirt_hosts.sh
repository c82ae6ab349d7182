# SPDX-License-Identifier: ISC
# Libvirt "hosts" for the libvirt endpoint's tests: each a libvirtd in its own network,
# mount and UTS namespace (its own address, hostname, host UUID, /etc/hosts and libvirt
# directories), and a small diskless QEMU guest (software emulation) on the first.
# Source after lib.sh and agent_lib.sh; needs root. Everything is torn down on exit,
# whatever happens: only the processes started here are killed, by their pid files.
#
#   lv_need                      skip unless root, ip netns, libvirtd, virsh and qemu
#   lv_hosts_start NAME...       host i (from 1) gets 10.231.i.1 and libvirtd on it
#   lv_guest_start HOST [persistent]   start the guest there (defined first when
#                                persistent, else transient); sets LV_UUID
#   lv_persistent NAME           "yes" when NAME holds the guest's definition
#   lv_uri NAME                  its qemu+tcp URI
#   lv_state NAME                the guest's state there (virsh domstate), or "absent"
#   lv_where                     the host that runs the guest, or "none"
#   lv_running                   every host that runs the guest (one line each)
#   lv_host_stop NAME / lv_host_restart NAME   kill its libvirtd / start it again
#   lv_slow_link NAME / lv_fast_link NAME      throttle the link to NAME / undo it
#   lv_agent_conf LINES...       agent_conf for the libvirt endpoint and these hosts
#   log_count REGEX / log_more N REGEX         lines of the agent's log; more than N?

LV_NET=10.231
LV_DIR=$T/lv
LV_NAMES=()
LV_GUEST=vmmguest

lv_need() {
	need_root
	need_cmd ip virsh libvirtd qemu-system-x86_64 unshare flock
	ip netns add "vmmlv-probe$$" 2>/dev/null && ip netns del "vmmlv-probe$$" \
		|| skip "needs ip netns add (CAP_SYS_ADMIN, not in this container?)"
	[ -e "$MODULE_DIR/endpoints/libvirt.so" ] || skip "the libvirt endpoint is not built (libvirt-dev missing at configure?)"
	lv_asan_wrap
}

# Under AddressSanitizer the agent must start with libtirpc loaded: ASan looks up the
# real xdrmem_create when the program starts, and libvirt brings libtirpc only later,
# with the module (dlopen); the interceptor would then call address 0.
lv_asan_wrap() {
	local tirpc
	ldd "$VMMANAGE" 2>/dev/null | grep -q libasan || return 0
	tirpc=$(ldd "$MODULE_DIR/endpoints/libvirt.so" | awk '/libtirpc/ { print $3 }')
	[ -n "$tirpc" ] || return 0
	printf '#!/bin/sh\nLD_PRELOAD="%s${LD_PRELOAD:+ $LD_PRELOAD}" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" exec "%s" "$@"\n' \
		"$tirpc" "$VMMANAGE" > "$T/vmmanage-asan"
	chmod +x "$T/vmmanage-asan"
	VMMANAGE=$T/vmmanage-asan
}

lv_index() {
	local i
	for i in "${!LV_NAMES[@]}"; do [ "${LV_NAMES[$i]}" = "$1" ] && { echo $((i + 1)); return; }; done
	return 1
}
lv_addr() { echo "$LV_NET.$(lv_index "$1").1"; }
lv_uri() { echo "qemu+tcp://$(lv_addr "$1")/system"; }
# lv_conns PID: the TCP connections process PID holds open to the hosts' libvirtd, one
# "local peer" line each, sorted
lv_conns() {
	ss -Htnp state established '( dport = :16509 )' | grep "pid=$1," | awk '{ print $3, $4 }' | sort
}
# lv_conns_per_host FILE: the largest number of them to one host
lv_conns_per_host() { awk '{ print $2 }' "$1" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 } END { if (NR == 0) print 0 }'; }
lv_ns() { echo "vmmlv-$1"; }
lv_virsh() { local h=$1; shift; timeout 20 virsh -q -c "$(lv_uri "$h")" "$@"; }

# The hosts share one range of addresses: one test at a time, whatever make -j says.
lv_lock() {
	exec {LV_LOCK_FD}>"${TMPDIR:-/tmp}/vmmanage-libvirt-tests.lock"
	flock -w 600 "$LV_LOCK_FD" || die "another libvirt test holds the lock"
}

lv_forwarding() {
	LV_OLD_FORWARD=$(sysctl -n net.ipv4.ip_forward)
	on_exit "sysctl -qw net.ipv4.ip_forward=$LV_OLD_FORWARD"
	sysctl -qw net.ipv4.ip_forward=1
}

lv_net_up() {
	local name=$1 i=$2 ns
	ns=$(lv_ns "$name")
	ip netns del "$ns" 2>/dev/null # a leftover of a killed run
	ip netns add "$ns" || die "ip netns add $ns"
	on_exit "ip netns del $ns"
	ip link add "vmmlv$i" type veth peer name eth0 netns "$ns" || die "veth for $name"
	ip addr add "$LV_NET.$i.254/24" dev "vmmlv$i"
	ip link set "vmmlv$i" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$LV_NET.$i.1/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$LV_NET.$i.254"
}

# The test's own settings: never for production (auth_tcp = none).
lv_write_conf() {
	local name=$1 d=$LV_DIR/$1
	mkdir -p "$d/run" "$d/lib" "$d/cache" "$d/log" "$d/etc"
	cat > "$d/etc/libvirtd.conf" <<EOF
listen_tcp = 1
listen_tls = 0
listen_addr = "$(lv_addr "$name")"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
log_outputs = "3:file:$d/libvirtd.log"
EOF
	cat > "$d/etc/qemu.conf" <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
stdio_handler = "file"
EOF
}

# Each host's /etc/hosts names every host: the source resolves the name the target
# reports when no migration URI is given.
lv_write_hosts() {
	local n
	for n in "${LV_NAMES[@]}"; do
		{ echo "127.0.0.1 localhost"; for m in "${LV_NAMES[@]}"; do echo "$(lv_addr "$m") $m"; done; } \
			> "$LV_DIR/$n/etc/hosts"
	done
}

lv_spawn() {
	local name=$1 d=$LV_DIR/$1
	mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt
	ip netns exec "$(lv_ns "$name")" unshare -m -u --propagation private sh -c '
		set -e
		d=$1
		hostname "$2"
		mount --bind "$d/run" /run/libvirt
		mount --bind "$d/lib" /var/lib/libvirt
		mount --bind "$d/cache" /var/cache/libvirt
		mount --bind "$d/log" /var/log/libvirt
		mount --bind "$d/etc" /etc/libvirt
		mount --bind "$d/etc/hosts" /etc/hosts
		exec libvirtd --listen -p "$d/libvirtd.pid" -f "$d/etc/libvirtd.conf"
	' lv "$d" "$name" >"$d/stdout" 2>&1 </dev/null {LV_LOCK_FD}>&- &
}
lv_wait_up() {
	local d=$LV_DIR/$1
	wait_for 30 lv_virsh "$1" version >/dev/null \
		|| die "libvirtd on $1 did not answer: $(tail -3 "$d/stdout" "$d/libvirtd.log" 2>/dev/null)"
}

# Processes of a host, by pid file only: its QEMU guests, then libvirtd itself.
lv_kill_pidfile() {
	local f=$1 sig=${2:-TERM} pid
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	kill -"$sig" "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
}
lv_teardown_host() {
	local d=$LV_DIR/$1 f
	for f in "$d"/run/qemu/*.pid; do lv_kill_pidfile "$f"; done
	lv_kill_pidfile "$d/libvirtd.pid"
}

lv_hosts_start() {
	local name i=0
	lv_lock
	lv_forwarding
	id libvirt-qemu >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin libvirt-qemu \
		|| die "the qemu driver needs a libvirt-qemu user"
	LV_NAMES=("$@")
	for name in "${LV_NAMES[@]}"; do
		i=$((i + 1))
		lv_net_up "$name" "$i"
		lv_write_conf "$name"
		on_exit "lv_teardown_host $name"
	done
	lv_write_hosts
	for name in "${LV_NAMES[@]}"; do lv_spawn "$name"; done
	for name in "${LV_NAMES[@]}"; do lv_wait_up "$name"; done
}

# lv_slow_link NAME [RATE]: traffic to NAME crawls (tc tbf on the root side of its
# veth); lv_fast_link NAME undoes it. 1 when tc cannot shape here.
lv_slow_link() {
	tc qdisc replace dev "vmmlv$(lv_index "$1")" root tbf rate "${2:-256kbit}" burst 32kbit latency 400ms
}
lv_fast_link() { tc qdisc del dev "vmmlv$(lv_index "$1")" root; }

lv_host_stop() { lv_kill_pidfile "$LV_DIR/$1/libvirtd.pid"; rm -f "$LV_DIR/$1/libvirtd.pid"; }
lv_host_restart() { lv_spawn "$1"; lv_wait_up "$1"; }

lv_guest_start() {
	LV_UUID=$(cat /proc/sys/kernel/random/uuid)
	cat > "$LV_DIR/guest.xml" <<EOF
<domain type='qemu'>
  <name>$LV_GUEST</name>
  <uuid>$LV_UUID</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <serial type='pty'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
	if [ "${2:-}" = persistent ]; then
		lv_virsh "$1" define "$LV_DIR/guest.xml" >/dev/null && lv_virsh "$1" start "$LV_UUID" >/dev/null
	else
		lv_virsh "$1" create "$LV_DIR/guest.xml" >/dev/null
	fi || die "the guest did not start on $1"
}
# lv_persistent NAME: yes when NAME holds a definition of the guest
lv_persistent() { lv_virsh "$1" dominfo "$LV_UUID" 2>/dev/null | awk '$1 == "Persistent:" { print $2 }'; }

lv_state() {
	local s
	s=$(lv_virsh "$1" domstate "$LV_UUID" 2>/dev/null) || { echo absent; return; }
	echo "$s" | head -1
}

lv_running() {
	local n
	for n in "${LV_NAMES[@]}"; do [ "$(lv_state "$n")" = running ] && echo "$n"; done
	return 0
}

lv_where() {
	local n found=none
	for n in "${LV_NAMES[@]}"; do [ "$(lv_state "$n")" = running ] && found=$n; done
	echo "$found"
}

# log_count REGEX: matching lines in the agent's log so far; log_more N REGEX: more
# than N of them now (for wait_for, when an earlier move left the same words)
log_count() { grep -cE -- "$1" "$T/vmmanage.log" 2>/dev/null; }
log_more() { [ "$(log_count "$2")" -gt "$1" ]; }

# The array (unless hosts or home is given) is every host but the one named base.
lv_agent_conf() {
	local n uris="" hosts=""
	agent_conf "$@"
	sed -i '/^endpoint = /d; /^endpoint_command = /d' "$T/vmm.conf"
	for n in "${LV_NAMES[@]}"; do
		uris="$uris${uris:+, }\"$n=$(lv_uri "$n")\""
		[ "$n" = base ] || hosts="$hosts${hosts:+, }\"$n\""
	done
	{
		echo 'endpoint = "libvirt"'
		grep -qE '^(hosts|home) = ' "$T/vmm.conf" || echo "hosts = [$hosts]"
		echo "libvirt_domain = \"$LV_UUID\""
		echo "libvirt_uris = [$uris]"
		echo 'libvirt_migrate_uri_template = "tcp://%a"'
	} >> "$T/vmm.conf"
}
