#!/bin/bash
# SPDX-License-Identifier: ISC
# The collector's SysV init script, installed by `make install` under a temporary prefix
# and run as an administrator would: start (pid file, run dir, state_dir made for its
# user, lines land in the output), status, a second start, reload (not supported: exit
# 3), force-reload of a changed DAEMON_OPTS (a new process writes the new output), a
# force-reload and restart refused for a broken configuration (file:line shown, the
# collector goes on), logrotate's postrotate, a killed collector, stop (also as the
# unprivileged user it cannot remove its pid file: the script does), status 3, a start
# refused for a broken configuration, a start whose daemon dies after forking
# (state_dir not writable by its user), a configuration without pid_file, RUN_DAEMON=no.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/init_lib.sh"
need_cmd nc start-stop-daemon

init_install
INIT=$ROOT/etc/init.d/vmmanage-collector
DEF=$ROOT/etc/default/vmmanage-collector
CONF=$ROOT/etc/vmmanage/collector.conf
D=$SBIN/vmmanage-collector
RUNDIR=$ROOT/run/vmmanage-collector
PIDF=$RUNDIR/vmmanage-collector.pid
LOGDIR=$ROOT/var/log/vmmanage
OUT_LOG=$LOGDIR/central.log
STATE=$ROOT/var/lib/vmmanage-collector
PORT=$(free_port)
on_exit "'$INIT' stop"

# As root the collector drops to nobody, which must be able to create files in the
# output's directory (for SIGHUP).
mkdir -p "$LOGDIR"
[ "$(id -u)" != 0 ] || chown nobody "$LOGDIR"

# collector_config [EXTRA LINES...]
collector_config() {
	{
		echo "listen = [\"127.0.0.1:$PORT\"];"
		echo "state_dir = \"$STATE\";"
		echo "user = \"nobody\";"
		echo "output = \"$OUT_LOG\";"
		echo "json_output = \"$LOGDIR/central.json\";"
		echo "pid_file = \"$PIDF\";"
		local l
		for l; do echo "$l"; done
	} >"$CONF"
}
collector_config
# send TEXT: one thesis line, "inithost: TEXT"
send() { echo "inithost: $1" | nc -N 127.0.0.1 "$PORT"; }
# landed TEXT FILE: the line is in FILE
landed() { grep -q "inithost: $1\$" "$2" 2>/dev/null; }
# delivered TEXT FILE: send it once the collector takes the connection, then it is in
# FILE within 10 s
delivered() { wait_for 10 send "$1" && wait_for 10 landed "$1" "$2"; }
# no_collector: no instance of the installed collector runs
no_collector() { [ "$(instances "$D")" = 0 ]; }

check "the installed script runs the installed daemon" grep -qx "DAEMON=$D" "$INIT"

# ---- RUN_DAEMON=no
set_default "$DEF" RUN_DAEMON no
run_init "$INIT" start
check "RUN_DAEMON=no: start exits 0 ($RC)" test "$RC" = 0
check "and says it is disabled" out_has 'disabled in .*default/vmmanage-collector \(RUN_DAEMON=no\)'
check "and starts nothing" test "$(instances "$D")" = 0
set_default "$DEF" RUN_DAEMON yes

# ---- start, status, start again
run_init "$INIT" start
check "start exits 0 ($RC)" test "$RC" = 0
check "and says so" out_has '^Starting vmmanage log collector: vmmanage-collector'
pid=$(cat "$PIDF" 2>/dev/null)
check "the pid file names the running collector ($pid)" alive "$pid" "$D"
check "the run dir was made, mode 755, root's (or the test user's)" \
	test "$(stat -c %a:%u "$RUNDIR" 2>/dev/null)" = "755:$(id -u)"
if [ "$(id -u)" = 0 ]; then
	check "state_dir was made for nobody" test "$(stat -c %U "$STATE" 2>/dev/null)" = nobody
	check "the collector runs as nobody" test "$(stat -c %U "/proc/$pid" 2>/dev/null)" = nobody
else
	check "state_dir was made" test -d "$STATE"
fi
check "a line sent to it lands in the output" delivered "first line" "$OUT_LOG"
run_init "$INIT" status
check "status exits 0 ($RC)" test "$RC" = 0
check "and says running" out_has 'vmmanage-collector is running'
run_init "$INIT" start
check "a second start exits 0 ($RC)" test "$RC" = 0
check "saying it is already running" out_has 'already running'
check "and starts no second collector" test "$(instances "$D")" = 1 -a "$(cat "$PIDF")" = "$pid"

# ---- reload is not supported; force-reload restarts
run_init "$INIT" reload
check "reload exits 3, unimplemented ($RC)" test "$RC" = 3
check "saying to use force-reload or restart" out_has 'cannot reload its configuration.*force-reload or restart'
check "and the collector goes on ($pid)" alive "$pid" "$D"

set_default "$DEF" DAEMON_OPTS "\"-o $LOGDIR/other.log\""
run_init "$INIT" force-reload
check "force-reload with new DAEMON_OPTS exits 0 ($RC)" test "$RC" = 0
npid=$(cat "$PIDF" 2>/dev/null)
check "a new collector runs ($pid -> $npid)" test "$npid" != "$pid" -a "$(instances "$D")" = 1
alive "$npid" "$D" || fail "the new pid is alive"
pid=$npid
check "it writes the output DAEMON_OPTS names" delivered "second line" "$LOGDIR/other.log"
set_default "$DEF" DAEMON_OPTS '""'
run_init "$INIT" restart
check "restart exits 0 ($RC)" test "$RC" = 0
pid=$(cat "$PIDF" 2>/dev/null)
check "and the collector runs ($pid)" alive "$pid" "$D"

echo 'bogus = 1;' >>"$CONF"
line=$(wc -l <"$CONF")
run_init "$INIT" force-reload
check "force-reload of a broken configuration is refused: exit 6 ($RC)" test "$RC" = 6
check "showing the error with file:line" out_has "$CONF:$line: unknown key \"bogus\""
check "and the collector goes on ($pid)" alive "$pid" "$D"
run_init "$INIT" restart
check "restart with a broken configuration is refused: exit 6 ($RC)" test "$RC" = 6
check "showing the error" out_has "$CONF:$line: unknown key"
check "and the collector goes on ($pid)" alive "$pid" "$D"
check "and still takes lines" delivered "third line" "$OUT_LOG"
collector_config

# ---- logrotate: postrotate makes the collector reopen its output
if command -v logrotate >/dev/null 2>&1; then
	logrotate -f -s "$T/logrotate.state" "$ROOT/etc/logrotate.d/vmmanage" >"$T/logrotate.out" 2>&1
	rc=$?
	check "logrotate -f with the installed file exits 0 ($rc: $(head -c 300 "$T/logrotate.out"))" test "$rc" = 0
	check "the output was moved to central.log.1" landed "first line" "$OUT_LOG.1"
	check "postrotate made the collector reopen central.log" wait_for 10 has_open "$pid" "$OUT_LOG"
	check "postrotate made the collector open a new central.log" delivered "after rotation" "$OUT_LOG"
	check "which holds only the new line" test "$(count_lines 'inithost: ' "$OUT_LOG")" = 1
	check "and a new central.json" wait_for 5 grep -q 'after rotation' "$LOGDIR/central.json"
	check "the collector goes on ($pid)" alive "$pid" "$D"
elif [ -n "${VMM_CI:-}" ]; then
	fail "logrotate is not installed: the logrotate file was not tried"
else
	echo "# logrotate is not installed: the logrotate file was not tried"
fi

# ---- a killed collector
kill -9 "$pid"
wait_for 20 reaped "$pid" || fail "the killed collector was reaped"
run_init "$INIT" status
check "a killed collector: status exits 1 ($RC)" test "$RC" = 1
run_init "$INIT" start
check "start after a crash exits 0 ($RC)" test "$RC" = 0
pid=$(cat "$PIDF" 2>/dev/null)
check "and the collector runs ($pid)" alive "$pid" "$D"

# ---- stop
run_init "$INIT" stop
check "stop exits 0 ($RC)" test "$RC" = 0
check "and says so" out_has '^Stopping vmmanage log collector: vmmanage-collector'
check "the collector is gone" wait_for 10 gone "$pid" "$D"
check "its pid file is gone" test ! -e "$PIDF"
run_init "$INIT" stop
check "stop when stopped exits 0 ($RC)" test "$RC" = 0
run_init "$INIT" status
check "status when stopped exits 3 ($RC)" test "$RC" = 3
check "and says not running" out_has 'vmmanage-collector is not running'
run_init "$INIT" force-reload
check "force-reload when stopped exits 7 ($RC)" test "$RC" = 7 -a "$(instances "$D")" = 0

# ---- a broken configuration: start refused
echo 'max_line = ;' >>"$CONF"
line=$(wc -l <"$CONF")
run_init "$INIT" start
check "start with a broken configuration exits 6 ($RC)" test "$RC" = 6
check "showing the error with file:line" out_has "$CONF:$line: syntax error"
check "no collector runs" test "$(instances "$D")" = 0 -a ! -e "$PIDF"
collector_config

# ---- the daemon dies after it forked: the user it drops to cannot write state_dir (it
# checks that only when it drops privileges, as root)
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/ro-state"
	chmod 555 "$T/ro-state"
	sed -i "s|^state_dir = .*|state_dir = \"$T/ro-state\";|" "$CONF"
	run_init "$INIT" start
	check "a collector that cannot write state_dir: start fails ($RC)" test "$RC" != 0
	check "saying so" out_has 'ro-state'
	check "no collector runs" wait_for 5 no_collector
	check "no pid file is left" test ! -e "$PIDF"
	collector_config
else
	echo "# not root: the collector does not drop privileges, the failure after forking is not tried"
fi

# ---- no pid_file: the script finds the collector by its executable
sed -i '/^pid_file/d' "$CONF"
run_init "$INIT" start
check "without pid_file: start exits 0 ($RC)" test "$RC" = 0
check "one collector runs" test "$(instances "$D")" = 1
check "it takes lines" delivered "no pid file" "$OUT_LOG"
run_init "$INIT" status
check "status exits 0 ($RC)" test "$RC" = 0
check "and says running" out_has 'vmmanage-collector is running'
run_init "$INIT" start
check "a second start exits 0 and starts nothing ($RC)" test "$RC" = 0 -a "$(instances "$D")" = 1
run_init "$INIT" stop
check "stop exits 0 ($RC)" test "$RC" = 0
check "and the collector is gone" wait_for 10 no_collector
run_init "$INIT" status
check "status exits 3 ($RC)" test "$RC" = 3
finish
