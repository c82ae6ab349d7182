#!/bin/bash
# SPDX-License-Identifier: ISC
# alert_command: a tripped breaker, failed moves in a row, an indicator unknown for N
# cycles and a spool that grows past a level each call the command once when they
# start and once when they end ("resolved"), with KIND STATE HOST MESSAGE in argv; a
# command that hangs is cut at alert_timeout and holds up no cycle.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
COLLECTOR=$top_builddir/src/collector/vmmanage-collector

# The command: one line per call, the arguments joined by '|'.
cat > "$T/alert" <<EOF
#!/bin/sh
[ -f "$T/alert.hang" ] && exec sleep 67
printf '%s|' "\$@" >> "$T/alerts"
echo >> "$T/alerts"
EOF
chmod +x "$T/alert"
calls() { count_lines "^$1\|$2\|testvm\|" "$T/alerts"; }
fresh() { rm -rf "$T/state" "$T/vmmanage.log" "$T/alerts" "$T/sensor.idx"; : > "$T/alerts"; }
common=('policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.3'
	'cooldown = 0.3' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2"]' 'location = "h1"'
	'target_choice = "round_robin"' "alert_command = [\"$T/alert\"]")

# The indicator unknown for 3 cycles, then known again: firing once, resolved once.
agent_conf "${common[@]}" 'alert_unknown_cycles = 3'
fresh
values 10 unknown unknown unknown unknown unknown unknown 10 10 10 10 10 10 10 10 10 10 10 10
agent_start
_resolved_unknown() { [ "$(calls indicator_unknown resolved)" -ge 1 ]; }
check "indicator_unknown: resolved once it reads again" wait_for 30 _resolved_unknown
wait_cycles 14
check "fired once ($(calls indicator_unknown firing)) and resolved once ($(calls indicator_unknown resolved))" \
	sh -c "[ $(calls indicator_unknown firing) = 1 ] && [ $(calls indicator_unknown resolved) = 1 ]"
check "the message says for how long" grep -q '^indicator_unknown|firing|testvm|the indicator has been unknown for 3 cycles' "$T/alerts"
check "firing came before resolved" sh -c "grep -n indicator_unknown '$T/alerts' | head -1 | grep -q firing"
check "and the log has both" sh -c "grep -q 'Alert indicator_unknown firing' '$T/vmmanage.log' && grep -q 'Alert indicator_unknown resolved' '$T/vmmanage.log'"
agent_stop

# Moves that fail: after 2 in a row, firing; a confirmed one resolves it.
agent_conf "${common[@]}" 'alert_failed_moves = 2' 'retry_backoff = 0.3' 'retry_backoff_max = 0.3'
fresh
echo fail > "$T/mode"
values $(yes 60 | head -200)
agent_start
_failing() { [ "$(calls moves_failing firing)" -ge 1 ]; }
check "moves_failing fires after 2 failed moves" wait_for 30 _failing
check "with the outcome in the message" grep -q '^moves_failing|firing|testvm|2 failed or unconfirmed moves in a row' "$T/alerts"
echo confirm > "$T/mode"
_ok_again() { [ "$(calls moves_failing resolved)" -ge 1 ]; }
check "a confirmed move resolves it" wait_for 30 _ok_again
check "once each ($(calls moves_failing firing), $(calls moves_failing resolved))" \
	sh -c "[ $(calls moves_failing firing) = 1 ] && [ $(calls moves_failing resolved) = 1 ]"
agent_stop
rm -f "$T/mode"

# The breaker: firing when it trips, resolved by `vmmanage resume`.
agent_conf "${common[@]}" 'breaker_moves = 2' 'breaker_window = 600' 'breaker_hold = 0'
fresh
values $(yes 60 | head -200)
agent_start
_tripped() { [ "$(calls breaker firing)" -ge 1 ]; }
check "breaker: firing when it trips" wait_for 30 _tripped
vmm resume > /dev/null
_resumed() { [ "$(calls breaker resolved)" -ge 1 ]; }
check "resolved after resume" wait_for 30 _resumed
agent_stop

# The spool past 3 messages while the collector is down; resolved once it is up.
port=$(free_port)
printf 'listen = ["127.0.0.1:%s"]\nstate_dir = "%s"\n' "$port" "$T/cstate" > "$T/collector.conf"
mkdir -p "$T/cstate" && chown nobody "$T/cstate"
agent_conf "${common[@]}" 'alert_spool_messages = 3' "collector = \"127.0.0.1:$port\""
fresh
values $(yes 10 | head -200)
agent_start
_spool() { [ "$(calls spool firing)" -ge 1 ]; }
check "spool: firing past 3 messages" wait_for 30 _spool
check "saying how many wait" grep -Eq '^spool\|firing\|testvm\|[0-9]+ messages wait in the spool' "$T/alerts"
touch "$T/central.log" && chown nobody "$T/central.log"
"$COLLECTOR" -c "$T/collector.conf" -f -o "$T/central.log" 2> "$T/collector.err" &
on_exit "kill $!"
_drained() { [ "$(calls spool resolved)" -ge 1 ]; }
check "resolved once the collector has caught up" wait_for 30 _drained
agent_stop

# A command that hangs: cut at alert_timeout, said once, and cycles go on on time.
agent_conf "${common[@]}" 'alert_unknown_cycles = 1' 'alert_timeout = 1'
fresh
touch "$T/alert.hang"
values 10 unknown 10 unknown 10 unknown 10 unknown 10 unknown 10 unknown 10 unknown 10 10 10 10 10 10
agent_start
check "cycles go on while the command hangs" wait_cycles 12 20
check "the hung command is cut and said once ($(count_lines 'alert_command .* failed' "$T/vmmanage.log"))" \
	wait_for 20 sh -c "[ \$(grep -c 'alert_command .* failed' '$T/vmmanage.log') = 1 ]"
agent_stop
rm -f "$T/alert.hang"
check "no alert command left running" sh -c '! pgrep -fx "sleep 67" > /dev/null'
finish
