#!/bin/bash
# SPDX-License-Identifier: ISC
# The agent's files against other local users: the pid file is never written through a
# symbolic link nor into another user's file (a stale one of ours is replaced), a failed
# start leaves no pid file by the time the command returns, the control socket is never
# chmod-ed by name, the spool directory is trusted only when no one else can write it,
# and the collector key file must be private (owner, mode, no symbolic link).
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

agent_conf 'policy = "threshold"' 'threshold = 1000' 'tarry = 3' 'daemon_interval = 0.3' \
	'hosts = ["h1", "h2"]' 'location = "h1"'
values $(yes 5 | head -n 500)
PID_FILE="$T/vmmanage.pid"
daemon_pid() { cat "$PID_FILE" 2>/dev/null; }
stop_daemon() {
	local pid
	pid=$(daemon_pid)
	[ -n "$pid" ] || return 0
	kill "$pid"
	wait_for 20 sh -c "! kill -0 $pid" || fail "the daemon $pid ends on SIGTERM"
}
on_exit stop_daemon

# --- the pid file
echo precious > "$T/victim"
ln -s "$T/victim" "$PID_FILE"
out=$("$VMMANAGE" -c "$T/vmm.conf" 2>&1); rc=$?
check "a pid file that is a symbolic link: the start fails ($rc)" test "$rc" = 1
check "saying so ($out)" grep -q "pid_file $PID_FILE is a symbolic link: remove it" <<<"$out"
check "and what it points to is untouched" test "$(cat "$T/victim")" = precious
[ "$rc" = 0 ] && { kill "$(cat "$T/victim")"; wait_for 20 sh -c "! test -S '$T/vmmanage.sock'"; }
rm -f "$PID_FILE"

if [ "$(id -u)" = 0 ]; then
	echo 1 > "$PID_FILE"
	chown nobody "$PID_FILE"
	out=$("$VMMANAGE" -c "$T/vmm.conf" 2>&1); rc=$?
	check "another user's pid file: the start fails ($rc)" test "$rc" = 1
	check "saying so ($out)" grep -q "not a regular file of this daemon's user: remove it" <<<"$out"
	check "and it is left as it was" test "$(stat -c %U "$PID_FILE"):$(cat "$PID_FILE")" = nobody:1
	rm -f "$PID_FILE"
fi

# a stale pid file of ours (its process is gone) is replaced
sh -c 'echo $$ > "$1"' sh "$PID_FILE"
stale=$(daemon_pid)
"$VMMANAGE" -c "$T/vmm.conf"; rc=$?
check "over a stale pid file ($stale): the start succeeds ($rc)" test "$rc" = 0
check "and the pid file names the new daemon" sh -c "[ '$(daemon_pid)' != '$stale' ] && kill -0 $(daemon_pid)"
check "a regular file no one else can write ($(stat -c %a:%F "$PID_FILE"))" \
	grep -qE '^6[04][04]:regular file$' <<<"$(stat -c %a:%F "$PID_FILE")"
stop_daemon
check "SIGTERM removes it" test ! -e "$PID_FILE"

# --- a failed start (the control socket's directory is missing): no pid file is left
# behind by the time the start command returns, every time
sed "s|^control_socket = .*|control_socket = \"$T/nowhere/vmmanage.sock\"|" "$T/vmm.conf" > "$T/bad.conf"
left=0
for i in 1 2 3 4 5 6; do
	"$VMMANAGE" -c "$T/bad.conf" 2>"$T/bad.err"; rc=$?
	[ "$rc" = 1 ] || fail "start $i with no socket directory fails ($rc)"
	if [ -e "$PID_FILE" ]; then left=$((left + 1)); rm -f "$PID_FILE"; fi
done
check "failed starts leave no pid file: $left of 6 did" test "$left" = 0
check "the reason is said ($(cat "$T/bad.err"))" grep -q 'nowhere/vmmanage.sock' "$T/bad.err"

# --- the control socket: created 0660 by bind under a umask, never chmod-ed by name
if command -v strace >/dev/null 2>&1; then
	strace -f -qq -e trace=chmod,fchmodat -o "$T/strace.out" \
		"$VMMANAGE" -c "$T/vmm.conf" -f >"$T/agent.out" 2>&1 &
	tracer=$!
	wait_for 30 test -S "$T/vmmanage.sock" || die "the traced agent did not start: $(cat "$T/agent.out")"
	check "the socket is 0660" test "$(stat -c %a "$T/vmmanage.sock")" = 660
	stop_daemon
	wait "$tracer"
	check "it was never chmod-ed by name ($(grep -c chmod "$T/strace.out") chmod calls)" \
		sh -c "! grep -q 'chmod.*vmmanage.sock' '$T/strace.out'"
fi

# --- the collector key file holds a secret
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
echo "$key" > "$T/agent.key"
chmod 640 "$T/agent.key"
port=$(free_port)
cp "$T/vmm.conf" "$T/ship.conf"
printf 'collector = "127.0.0.1:%s"\ncollector_key_file = "%s"\n' "$port" "$T/agent.key" >> "$T/ship.conf"
out=$("$VMMANAGE" -t -c "$T/ship.conf" 2>&1); rc=$?
check "a key file its group can read is refused by -t ($rc)" test "$rc" = 1
check "saying how to mend ($out)" \
	grep -q "collector_key_file $T/agent.key holds a secret and is readable by its group: run chmod go-rwx $T/agent.key" <<<"$out"
out=$("$VMMANAGE" -c "$T/ship.conf" 2>&1); rc=$?
check "and by a start ($rc: $out)" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'readable by its group'"
chmod 600 "$T/agent.key"
ln -s "$T/agent.key" "$T/link.key"
sed "s|$T/agent.key|$T/link.key|" "$T/ship.conf" > "$T/link.conf"
out=$("$VMMANAGE" -t -c "$T/link.conf" 2>&1); rc=$?
check "a key file named through a symbolic link is refused ($rc: $out)" \
	sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'link.key is a symbolic link'"
if [ "$(id -u)" = 0 ]; then
	chown nobody "$T/agent.key"
	out=$("$VMMANAGE" -t -c "$T/ship.conf" 2>&1); rc=$?
	check "a key file another user owns is refused ($rc)" test "$rc" = 1
	check "saying how to mend ($out)" \
		grep -q "owned by uid [0-9]*, neither root nor this daemon's user: run chown root $T/agent.key" <<<"$out"
	chown root "$T/agent.key"
fi
out=$("$VMMANAGE" -t -c "$T/ship.conf" 2>&1); rc=$?
check "mode 0600, ours: accepted ($rc: $out)" test "$rc" = 0

# --- the spool (in state_dir) is trusted only when no one else can write it
rm -rf "$T/state"
mkdir -m 777 "$T/state"
out=$("$VMMANAGE" -c "$T/ship.conf" 2>&1); rc=$?
check "a spool directory others can write: the start fails ($rc)" test "$rc" = 1
check "saying how to mend ($out)" \
	grep -q "spool $T/state holds private state and is writable by others: run chmod go-w $T/state" <<<"$out"
check "and nothing was spooled there" sh -c "! ls '$T/state' | grep -q '^spool\.'"
chmod 775 "$T/state"
out=$("$VMMANAGE" -c "$T/ship.conf" 2>&1)
check "writable by its group: refused too ($out)" grep -q "writable by its group: run chmod go-w" <<<"$out"
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$T/state"
	chown nobody "$T/state"
	out=$("$VMMANAGE" -c "$T/ship.conf" 2>&1)
	check "another user's directory: refused ($out)" \
		grep -q "spool $T/state holds private state and is owned by uid [0-9]*, neither root nor this daemon's user: run chown root $T/state" <<<"$out"
	chown root "$T/state"
fi
chmod 750 "$T/state"
"$VMMANAGE" -c "$T/ship.conf"; rc=$?
check "mode 0750, ours: the agent starts ($rc)" test "$rc" = 0
wait_for 20 sh -c "ls '$T/state' | grep -q '^spool\.'" && ok "and spools for the collector" ||
	fail "and spools for the collector"
stop_daemon
rm -rf "$T/state"
"$VMMANAGE" -c "$T/ship.conf"; rc=$?
check "a missing state directory is created: the agent starts ($rc)" test "$rc" = 0
check "not writable by group or others ($(stat -c %a "$T/state"))" \
	sh -c "[ \$(( 0$(stat -c %a "$T/state") & 022 )) = 0 ]"
stop_daemon
finish
