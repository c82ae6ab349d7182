# SPDX-License-Identifier: ISC
# Helpers for tests that run the real agent with a scripted sensor and the recording
# endpoint. Source after lib.sh.

# agent_conf EXTRA_LINES...: write $T/vmm.conf for the exec sensor and endpoint.
agent_conf() {
	: > "$T/values"
	rm -f "$T/sensor.idx" "$T/moves"
	{
		echo "sensor = \"exec\""
		echo "sensor_command = [\"$top_srcdir/tests/scripted-sensor\", \"$T/values\", \"$T/sensor.idx\"]"
		echo "endpoint = \"exec\""
		echo "endpoint_command = [\"$top_srcdir/tests/recorder\", \"$T/moves\", \"$T/mode\"]"
		echo "module_dir = \"$MODULE_DIR\""
		echo "state_dir = \"$T/state\""
		echo "log_file = \"$T/vmmanage.log\""
		echo "pid_file = \"$T/vmmanage.pid\""
		echo "control_socket = \"$T/vmmanage.sock\""
		echo "hostname = \"testvm\""
		for line; do echo "$line"; done
	} > "$T/vmm.conf"
	# the scripted sensor is a shell script: on a busy machine it needs most of an interval
	local iv
	iv=$(sed -n 's/^daemon_interval = *\([0-9.]*\).*/\1/p' "$T/vmm.conf")
	if [ -n "$iv" ] && ! grep -q '^sensor_timeout' "$T/vmm.conf"; then
		echo "sensor_timeout = $(echo "$iv * 0.95" | bc -l)" >> "$T/vmm.conf"
	fi
	# the tests of the policies check the thesis's sequences of moves: undamped and not
	# looking ahead, unless a test sets one of these keys itself (agent_damping.sh does)
	local k
	for k in warmup min_stay breaker_moves move_margin anticipate; do
		grep -qE "^$k *=" "$T/vmm.conf" || echo "$k = 0" >> "$T/vmm.conf"
	done
}

# values V...: the indicator sequence, one per cycle.
values() { printf '%s\n' "$@" > "$T/values"; }

agent_start() {
	"$VMMANAGE" -c "$T/vmm.conf" -f >"$T/agent.out" 2>&1 &
	AGENT_PID=$!
	on_exit "kill $AGENT_PID; wait $AGENT_PID"
	wait_for 20 test -S "$T/vmmanage.sock" || { cat "$T/agent.out"; die "agent did not start"; }
}

# agent_stop: SIGTERM, and the agent must end cleanly (exit 0: under the sanitizers a
# leak or an error at exit shows here).
agent_stop() {
	local rc=0
	kill "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null || rc=$?
	[ "$rc" = 0 ] || fail "the agent exited with status $rc: $(tail -5 "$T/agent.out")"
	return 0
}

# cycles: how many cycle blocks the log holds.
cycles() { count_lines '^\*\*-----\*\*$' "$T/vmmanage.log"; }
# wait_cycles N [SECONDS]: until the log holds N blocks.
_cycles_ge() { [ "$(cycles)" -ge "$1" ]; }
wait_cycles() { wait_for "${2:-30}" _cycles_ge "$1"; }
# moves: the recorded "ACTION TARGET" lines.
moves() { cat "$T/moves" 2>/dev/null; }
vmm() { "$VMMANAGE" -c "$T/vmm.conf" "$@"; }
