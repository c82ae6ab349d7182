# SPDX-License-Identifier: ISC
# Helpers for the tests of vmmanage-broker. Source after lib.sh.
#
#   broker_key VM                a new key for VM: in $T/broker.keys and $T/VM.key (0600)
#   broker_vm VM LINES...        $T/vms/VM.conf: the VM's settings in the broker
#   broker_conf LINES...         $T/broker.conf (listen on BROKER_PORT, keys, vm_dir, ...)
#   broker_start / broker_stop   run it in the foreground, logging to $T/broker.log
#                                (state_dir $T/bstate unless the lines give one)
#   bctl ARGS...                 the broker's CLI with this config
#   peer VM ARGS...              tests/broker_peer.py as VM with its key
BROKER="$top_builddir/src/broker/vmmanage-broker"
BROKER_PORT=$(free_port)
mkdir -p "$T/vms"
: > "$T/broker.keys"
chmod 600 "$T/broker.keys"

broker_key() {
	local k
	k=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	echo "$1 $k" >> "$T/broker.keys"
	(umask 077; echo "$k" > "$T/$1.key")
}
broker_keyhex() { cat "$T/$1.key"; }

broker_vm() {
	local vm=$1
	shift
	printf '%s\n' "$@" > "$T/vms/$vm.conf"
}

broker_conf() {
	{
		echo "listen = \"127.0.0.1:$BROKER_PORT\""
		echo "keys_file = \"$T/broker.keys\""
		echo "vm_dir = \"$T/vms\""
		echo "module_dir = \"$MODULE_DIR\""
		echo "control_socket = \"$T/broker.sock\""
		echo "pid_file = \"$T/broker.pid\""
		case "$*" in *state_dir*) ;; *) echo "state_dir = \"$T/bstate\"" ;; esac
		for line; do echo "$line"; done
	} > "$T/broker.conf"
}

broker_start() {
	"$BROKER" -c "$T/broker.conf" -f -d >"$T/broker.log" 2>&1 &
	BROKER_PID=$!
	on_exit "kill $BROKER_PID; wait $BROKER_PID"
	wait_for 20 grep -q 'broker: listening' "$T/broker.log" || { cat "$T/broker.log"; die "broker did not start"; }
}

# broker_stop: SIGTERM; it must end cleanly (exit 0: a sanitizer's report shows here).
broker_stop() {
	local rc=0
	kill "$BROKER_PID" 2>/dev/null
	wait "$BROKER_PID" 2>/dev/null || rc=$?
	[ "$rc" = 0 ] || fail "the broker exited with status $rc: $(tail -5 "$T/broker.log")"
	return 0
}

bctl() { "$BROKER" -c "$T/broker.conf" "$@"; }
peer() { local vm=$1; shift; python3 "$top_srcdir/tests/broker_peer.py" "$BROKER_PORT" "$vm" "$(broker_keyhex "$vm")" "$@"; }

# Under AddressSanitizer the broker loads libvirt.so, which needs libtirpc preloaded (as
# the agent's libvirt tests do): BROKER becomes a wrapper that does it.
broker_libvirt_asan() {
	ldd "$BROKER" 2>/dev/null | grep -q libasan || return 0
	local tirpc
	tirpc=$(ldd "$MODULE_DIR/endpoints/libvirt.so" | awk '/libtirpc/ { print $3 }')
	printf '#!/bin/sh\nLD_PRELOAD="%s${LD_PRELOAD:+ $LD_PRELOAD}" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" exec "%s" "$@"\n' \
		"$tirpc" "$BROKER" > "$T/broker-asan"
	chmod +x "$T/broker-asan"
	BROKER=$T/broker-asan
}
