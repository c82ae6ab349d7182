#!/bin/bash
# SPDX-License-Identifier: ISC
# The broker's SysV init script, installed by `make install` under a temporary prefix
# and run as an administrator would: RUN_DAEMON=no, start (pid file, run dir, state_dir
# made 0700 for its user, the control socket answers), status, a second start, reload
# (not supported: exit 3), restart, a force-reload and restart refused for a broken
# configuration (file:line shown, the broker goes on), stop, status 3, a start refused
# for a broken configuration; and its logrotate file rotates the log its rsyslog
# snippet names.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/init_lib.sh"
need_cmd start-stop-daemon

init_install
INIT=$ROOT/etc/init.d/vmmanage-broker
DEF=$ROOT/etc/default/vmmanage-broker
CONF=$ROOT/etc/vmmanage/broker.conf
D=$SBIN/vmmanage-broker
RUNDIR=$ROOT/run/vmmanage-broker
PIDF=$RUNDIR/vmmanage-broker.pid
STATE=$ROOT/var/lib/vmmanage-broker
PORT=$(free_port)
on_exit "'$INIT' stop"
RUSER=$(id -un)
[ "$(id -u)" != 0 ] || RUSER=nobody

mkdir -p "$ROOT/etc/vmmanage/broker.d"
(umask 077; echo "vm1 $(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" > "$ROOT/etc/vmmanage/broker.keys")
printf '%s\n' 'hosts = ["h1", "h2"]' 'endpoint_command = ["/bin/true"]' > "$ROOT/etc/vmmanage/broker.d/vm1.conf"
broker_config() {
	{
		echo "listen = \"127.0.0.1:$PORT\""
		echo "keys_file = \"$ROOT/etc/vmmanage/broker.keys\""
		echo "vm_dir = \"$ROOT/etc/vmmanage/broker.d\""
		echo 'endpoint = "exec"'
		echo "module_dir = \"$MODULE_DIR\""
		echo "control_socket = \"$RUNDIR/control\""
		echo "pid_file = \"$PIDF\""
		echo "state_dir = \"$STATE\""
		[ "$RUSER" != nobody ] || echo 'user = "nobody"'
	} >"$CONF"
}
broker_config
check "the installed script runs the installed daemon" grep -qx "DAEMON=$D" "$INIT"

set_default "$DEF" RUN_DAEMON no
run_init "$INIT" start
check "RUN_DAEMON=no: start exits 0 ($RC)" test "$RC" = 0
check "and says it is disabled" out_has 'disabled in .*default/vmmanage-broker \(RUN_DAEMON=no\)'
check "and starts nothing" test "$(instances "$D")" = 0
set_default "$DEF" RUN_DAEMON yes

run_init "$INIT" start
check "start exits 0 ($RC)" test "$RC" = 0
check "and says so" out_has '^Starting vmmanage broker: vmmanage-broker'
pid=$(cat "$PIDF" 2>/dev/null)
check "the pid file names the running broker ($pid)" alive "$pid" "$D"
check "the run dir was made, mode 755" test "$(stat -c %a "$RUNDIR" 2>/dev/null)" = 755
check "state_dir was made 0700 for $RUSER" test "$(stat -c %a:%U "$STATE" 2>/dev/null)" = "700:$RUSER"
check "the broker runs as $RUSER" test "$(stat -c %U "/proc/$pid" 2>/dev/null)" = "$RUSER"
out=$("$D" -c "$CONF" status 2>&1)
check "its control socket answers ($(head -1 <<<"$out"))" grep -q 'vm1' <<<"$out"
run_init "$INIT" status
check "status exits 0 ($RC)" test "$RC" = 0
check "and says running" out_has 'vmmanage-broker is running'
run_init "$INIT" start
check "a second start exits 0 ($RC), already running" sh -c "[ $RC = 0 ] && echo '$OUT' | grep -q 'already running'"
check "and starts no second broker" test "$(instances "$D")" = 1 -a "$(cat "$PIDF")" = "$pid"

run_init "$INIT" reload
check "reload exits 3, unimplemented ($RC)" test "$RC" = 3
check "saying to use force-reload or restart" out_has 'cannot reload its configuration: use force-reload or restart'
check "and the broker goes on ($pid)" alive "$pid" "$D"
run_init "$INIT" restart
check "restart exits 0 ($RC)" test "$RC" = 0
npid=$(cat "$PIDF" 2>/dev/null)
check "a new broker runs ($pid -> $npid)" sh -c "[ '$npid' != '$pid' ] && [ $(instances "$D") = 1 ]"
pid=$npid

echo 'bogus = 1' >>"$CONF"
line=$(wc -l <"$CONF")
run_init "$INIT" force-reload
check "force-reload of a broken configuration is refused: exit 6 ($RC)" test "$RC" = 6
check "showing the error with file:line" out_has "$CONF:$line: unknown key 'bogus'"
check "and the broker goes on ($pid)" alive "$pid" "$D"
run_init "$INIT" restart
check "restart with a broken configuration is refused: exit 6 ($RC)" test "$RC" = 6
check "and the broker goes on ($pid)" alive "$pid" "$D"
broker_config

run_init "$INIT" stop
check "stop exits 0 ($RC)" test "$RC" = 0
check "the broker is gone" wait_for 10 reaped "$pid"
check "its pid file too" test ! -e "$PIDF"
run_init "$INIT" status
check "status exits 3 when stopped ($RC)" test "$RC" = 3
run_init "$INIT" stop
check "a second stop exits 0 ($RC)" test "$RC" = 0

echo 'bogus = 1' >>"$CONF"
run_init "$INIT" start
check "start with a broken configuration: exit 6 ($RC)" test "$RC" = 6
check "showing the error" out_has "$CONF:$line: unknown key"
check "and nothing runs" test "$(instances "$D")" = 0
broker_config

# ---- the log rsyslog writes for it, rotated
if command -v logrotate >/dev/null 2>&1; then
	mkdir -p "$ROOT/var/log/vmmanage"
	echo "vmmanage-broker: broker: vm1: move to h2 confirmed" > "$ROOT/var/log/vmmanage/broker.log"
	logrotate -f -s "$T/logrotate.state" "$ROOT/etc/logrotate.d/vmmanage-broker" >"$T/logrotate.out" 2>&1
	rc=$?
	check "logrotate -f with the installed file exits 0 ($rc: $(head -c 300 "$T/logrotate.out"))" test "$rc" = 0
	check "the log was moved to broker.log.1" grep -q 'move to h2 confirmed' "$ROOT/var/log/vmmanage/broker.log.1"
elif [ -n "${VMM_CI:-}" ]; then
	fail "logrotate is not installed: the logrotate file was not tried"
fi
finish
