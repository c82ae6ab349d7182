#!/bin/bash
# SPDX-License-Identifier: ISC
# The agent's SysV init script, installed by `make install` under a temporary prefix and
# run as an administrator would: start (pid file, run dir), status, a second start,
# reload of a changed configuration (seen in `vmmanage status` and the log), a reload,
# restart and force-reload refused for a broken configuration (file:line shown, the
# daemon keeps running as it was), logrotate's postrotate, a killed daemon (status 1, a
# start replaces the stale pid file), stop, status 3, a start refused for a broken
# configuration, RUN_DAEMON=no, CONFIG= from /etc/default, usage errors.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/init_lib.sh"
need_cmd start-stop-daemon

init_install
INIT=$ROOT/etc/init.d/vmmanage
DEF=$ROOT/etc/default/vmmanage
CONF=$ROOT/etc/vmmanage/vmmanage.conf
D=$SBIN/vmmanage
RUNDIR=$ROOT/run/vmmanage
PIDF=$RUNDIR/vmmanage.pid
SOCK=$RUNDIR/vmmanage.sock
LOG=$ROOT/var/log/vmmanage/vmmanage.log
on_exit "'$INIT' stop"

# agent_config FILE THRESHOLD [HOSTNAME]: a configuration that needs no outside service:
# the exec sensor reads a constant, the exec endpoint records moves.
agent_config() {
	cat >"$1" <<CONF
policy = "threshold"
threshold = $2
tarry = 3
daemon_interval = 0.5
sensor = "exec"
sensor_command = ["/bin/echo", "7"]
endpoint = "exec"
endpoint_command = ["$top_srcdir/tests/recorder", "$T/moves", "$T/mode"]
module_dir = "$MODULE_DIR"
state_dir = "$ROOT/var/lib/vmmanage"
log_file = "$LOG"
json_log_file = "$ROOT/var/log/vmmanage/vmmanage.json"
pid_file = "$PIDF"
control_socket = "$SOCK"
hostname = "${3:-initvm}"
CONF
}
agent_config "$CONF" 50
# status through the socket, so that it works whatever the file holds
vstatus() { "$D" -s "$SOCK" status; }
shows() { vstatus 2>/dev/null | grep -qx -- "$1"; }
cycles() { count_lines '^\*\*-----\*\*$' "$1"; }
more_cycles() { [ "$(cycles "$1")" -gt "$2" ]; }

check "the installed script runs the installed daemon" grep -qx "DAEMON=$D" "$INIT"
check "and reads the installed defaults" grep -qx "DEFAULTS=$ROOT/etc/default/vmmanage" "$INIT"

run_init "$INIT"
check "no action: exit 2 ($RC)" test "$RC" = 2
check "with the usage" out_has '^Usage: .*\{start\|stop\|status\|restart\|try-restart\|reload\|force-reload\}'
run_init "$INIT" bogus
check "an unknown action: exit 2 ($RC)" test "$RC" = 2

# ---- RUN_DAEMON=no
set_default "$DEF" RUN_DAEMON no
run_init "$INIT" start
check "RUN_DAEMON=no: start exits 0 ($RC)" test "$RC" = 0
check "and says it is disabled" out_has 'disabled in .*default/vmmanage \(RUN_DAEMON=no\)'
check "and starts nothing" test "$(instances "$D")" = 0 -a ! -e "$PIDF"
set_default "$DEF" RUN_DAEMON maybe
run_init "$INIT" start
check "RUN_DAEMON=maybe: start refuses with 6 ($RC)" test "$RC" = 6
check "saying it must be yes or no" out_has 'must be yes or no'
set_default "$DEF" RUN_DAEMON yes

# ---- start, status, start again
run_init "$INIT" start
check "start exits 0 ($RC)" test "$RC" = 0
check "and says so" out_has '^Starting vmmanage agent: vmmanage'
pid=$(cat "$PIDF" 2>/dev/null)
check "the pid file names the running agent ($pid)" alive "$pid" "$D"
check "the run dir was made, mode 755" test "$(stat -c %a "$RUNDIR" 2>/dev/null)" = 755
check "one agent runs" test "$(instances "$D")" = 1
check "the agent answers on its control socket" shows 'threshold: 50'
run_init "$INIT" status
check "status exits 0 ($RC)" test "$RC" = 0
check "and says running" out_has 'vmmanage is running'
run_init "$INIT" start
check "a second start exits 0 ($RC)" test "$RC" = 0
check "saying it is already running" out_has 'already running'
check "and starts no second agent" test "$(instances "$D")" = 1 -a "$(cat "$PIDF")" = "$pid"

# ---- reload
agent_config "$CONF" 70
run_init "$INIT" reload
check "reload of a changed configuration exits 0 ($RC)" test "$RC" = 0
check "the agent runs the new one (status: threshold 70)" wait_for 10 shows 'threshold: 70'
check "its log says so" grep -q "initvm: Reloaded $CONF" "$LOG"
check "the same process ($pid)" alive "$pid" "$D"

cp "$CONF" "$T/good.conf"
echo 'bigjobs=grade a' >>"$CONF"
line=$(wc -l <"$CONF")
run_init "$INIT" reload
check "reload of a broken configuration is refused: exit 6 ($RC)" test "$RC" = 6
check "showing the error with file:line" out_has "$CONF:$line: syntax error"
check "and that the running configuration stays" out_has 'keeps its running configuration'
check "the agent still runs ($pid)" alive "$pid" "$D"
check "with the configuration it had (threshold 70)" shows 'threshold: 70'
run_init "$INIT" force-reload
check "force-reload of a broken configuration is refused too: exit 6 ($RC)" test "$RC" = 6
check "showing the error" out_has "$CONF:$line: syntax error"
run_init "$INIT" restart
check "restart with a broken configuration is refused: exit 6 ($RC)" test "$RC" = 6
check "showing the error" out_has "$CONF:$line: syntax error"
check "and the agent goes on running ($pid)" alive "$pid" "$D"

agent_config "$CONF" 80
run_init "$INIT" force-reload
check "force-reload of a good configuration: exit 0 ($RC)" test "$RC" = 0
check "it takes effect (threshold 80)" wait_for 10 shows 'threshold: 80'
run_init "$INIT" restart
check "restart exits 0 ($RC)" test "$RC" = 0
npid=$(cat "$PIDF" 2>/dev/null)
check "a new agent runs ($pid -> $npid)" test "$npid" != "$pid" -a "$(instances "$D")" = 1
alive "$npid" "$D" || fail "the new pid is alive"
pid=$npid
run_init "$INIT" try-restart
check "try-restart of a running agent restarts it ($RC)" test "$RC" = 0 -a "$(cat "$PIDF")" != "$pid"
pid=$(cat "$PIDF")

# ---- reload when the daemon's control socket is not the one in the file: SIGHUP
agent_config "$CONF" 90
sed -i "s|^control_socket = .*|control_socket = \"$T/elsewhere.sock\"|" "$CONF"
reloads=$(count_lines 'initvm: Reloaded ' "$LOG")
more_reloads() { [ "$(count_lines 'initvm: Reloaded ' "$LOG")" -gt "$reloads" ]; }
run_init "$INIT" reload
check "reload with a new control_socket (it takes a restart) exits 0 ($RC)" test "$RC" = 0
check "by SIGHUP, since the daemon is not at that socket" out_has 'sent SIGHUP'
check "the agent runs the new settings (threshold 90)" wait_for 10 shows 'threshold: 90'
check "its log says it reloaded" wait_for 10 more_reloads
check "the same process ($pid)" alive "$pid" "$D"
agent_config "$CONF" 80
run_init "$INIT" reload
check "reload back ($RC)" test "$RC" = 0

# ---- logrotate: postrotate makes the agent reopen its log
if command -v logrotate >/dev/null 2>&1; then
	LR=$ROOT/etc/logrotate.d/vmmanage
	wait_cycles_in() { wait_for 20 more_cycles "$1" 0; }
	wait_cycles_in "$LOG" || fail "the agent logs cycles"
	logrotate -f -s "$T/logrotate.state" "$LR" >"$T/logrotate.out" 2>&1
	rc=$?
	check "logrotate -f with the installed file exits 0 ($rc: $(head -c 300 "$T/logrotate.out"))" test "$rc" = 0
	check "the log was moved to vmmanage.log.1" test -s "$LOG.1"
	check "postrotate made the agent open a new vmmanage.log" wait_for 20 more_cycles "$LOG" 0
	check "and a new vmmanage.json" wait_for 20 test -s "$ROOT/var/log/vmmanage/vmmanage.json"
	check "the agent goes on ($pid)" alive "$pid" "$D"
elif [ -n "${VMM_CI:-}" ]; then
	fail "logrotate is not installed: the logrotate file was not tried"
else
	echo "# logrotate is not installed: the logrotate file was not tried"
fi

# ---- a killed agent: status 1, and start replaces the stale pid file
kill -9 "$pid"
wait_for 20 reaped "$pid" || fail "the killed agent was reaped"
run_init "$INIT" status
check "a killed agent: status exits 1 ($RC)" test "$RC" = 1
check "saying it is not running" out_has 'not running'
run_init "$INIT" start
check "start after a crash exits 0 ($RC)" test "$RC" = 0
pid=$(cat "$PIDF" 2>/dev/null)
check "and the agent runs ($pid)" alive "$pid" "$D"

# ---- stop
run_init "$INIT" stop
check "stop exits 0 ($RC)" test "$RC" = 0
check "and says so" out_has '^Stopping vmmanage agent: vmmanage'
check "the agent is gone" wait_for 10 gone "$pid" "$D"
check "its pid file is gone" test ! -e "$PIDF"
check "its control socket is gone" test ! -e "$SOCK"
run_init "$INIT" stop
check "stop when stopped exits 0 ($RC)" test "$RC" = 0
run_init "$INIT" status
check "status when stopped exits 3 ($RC)" test "$RC" = 3
check "and says not running" out_has 'vmmanage is not running'
run_init "$INIT" reload
check "reload when stopped exits 7 ($RC)" test "$RC" = 7
run_init "$INIT" try-restart
check "try-restart when stopped exits 0 and starts nothing ($RC)" \
	test "$RC" = 0 -a "$(instances "$D")" = 0

# ---- a broken configuration: start refused
echo 'tarry = "three"' >>"$CONF"
line=$(wc -l <"$CONF")
run_init "$INIT" start
check "start with a broken configuration exits 6 ($RC)" test "$RC" = 6
check "showing the error with file:line" out_has "$CONF:$line: "
check "no agent runs" test "$(instances "$D")" = 0 -a ! -e "$PIDF"

# ---- CONFIG= in /etc/default
agent_config "$T/other.conf" 60 otherhost
set_default "$DEF" CONFIG "$T/other.conf"
run_init "$INIT" start
check "CONFIG= from the defaults file: start exits 0 ($RC)" test "$RC" = 0
check "the agent runs that configuration" shows 'host: otherhost'
run_init "$INIT" stop
check "and stops ($RC)" test "$RC" = 0 -a "$(instances "$D")" = 0

# ---- a system without /lib/lsb/init-functions: the script's own messages
sed 's|/lib/lsb/init-functions|/nonexistent/init-functions|g' "$INIT" >"$T/vmmanage.nolsb"
chmod +x "$T/vmmanage.nolsb"
run_init "$T/vmmanage.nolsb" start
check "without init-functions: start exits 0 ($RC)" test "$RC" = 0
check "saying so" out_has '^Starting vmmanage agent: vmmanage\.$'
run_init "$T/vmmanage.nolsb" status
check "status exits 0 ($RC)" test "$RC" = 0
check "saying running" out_has '^vmmanage is running\.$'
run_init "$T/vmmanage.nolsb" stop
check "stop exits 0 ($RC)" test "$RC" = 0 -a "$(instances "$D")" = 0
run_init "$T/vmmanage.nolsb" status
check "status exits 3 ($RC)" test "$RC" = 3
check "saying not running" out_has '^vmmanage is not running\.$'

# ---- a start that fails in the daemon (not in -t): its reason is shown
set_default "$DEF" CONFIG "$CONF"
agent_config "$CONF" 50
sed -i "s|^control_socket = .*|control_socket = \"$T/nowhere/vmmanage.sock\"|" "$CONF"
run_init "$INIT" start
check "a start the daemon cannot finish exits 1 ($RC)" test "$RC" = 1
check "with the daemon's reason" out_has "nowhere/vmmanage.sock"
check "no agent runs" test "$(instances "$D")" = 0
finish
