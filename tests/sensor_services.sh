# SPDX-License-Identifier: ISC
# Private MariaDB and Apache servers for the sensor tests, in the test's own $T.
# Source after tests/lib.sh. Every server started here is stopped by on_exit.

# mariadb_setup: a data directory in $T/db whose root@localhost has an empty password.
mariadb_setup() {
	need_cmd mariadb-install-db mariadbd mariadb
	mariadb-install-db --no-defaults --datadir="$T/db" --auth-root-authentication-method=normal \
		--user=root >"$T/install-db.log" 2>&1 || { cat "$T/install-db.log"; die "mariadb-install-db"; }
	MYSQL_PORT=$(free_port)
	MYSQL_SOCK="$T/my.sock"
}

mariadb_ready() { mariadb --no-defaults -S "$MYSQL_SOCK" -uroot -e 'select 1' >/dev/null 2>&1; }

# mariadb_start: run mariadbd in the background; slow means longer than 0.1 s.
mariadb_start() {
	mariadbd --no-defaults --datadir="$T/db" --socket="$MYSQL_SOCK" --port="$MYSQL_PORT" \
		--bind-address=127.0.0.1 --user=root --long-query-time=0.5 --pid-file="$T/db.pid" \
		--skip-log-bin --innodb-buffer-pool-size=16M >>"$T/mariadbd.log" 2>&1 &
	MYSQL_PID=$!
	on_exit "kill $MYSQL_PID; wait $MYSQL_PID"
	wait_for 30 mariadb_ready || { tail -20 "$T/mariadbd.log"; die "mariadbd did not start"; }
}

# mariadb_stop: shut down and wait for the process to end.
mariadb_stop() {
	mariadb --no-defaults -S "$MYSQL_SOCK" -uroot -e shutdown >/dev/null 2>&1
	local i
	for ((i = 0; i < 300; i++)); do kill -0 "$MYSQL_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$MYSQL_PID" 2>/dev/null || true
}

# mysql_sql SQL...: run statements as root over the socket.
mysql_sql() { mariadb --no-defaults -S "$MYSQL_SOCK" -uroot -N -B -e "$*"; }

# slow_queries N: N queries that each count as slow (sleep 0.6 > long_query_time 0.5; a
# margin that a loaded machine does not cross with a fast query).
slow_queries() {
	local i sql=""
	for ((i = 0; i < $1; i++)); do sql="$sql select sleep(0.6);"; done
	[ "$1" -eq 0 ] || mysql_sql "$sql" >/dev/null
}

# apache_setup [extra config lines]: $T/httpd.conf with mod_status and mod_dav, four
# prefork workers held by keep-alive (services.md), and the document root $T/www.
apache_setup() {
	need_cmd apache2
	HTTP_PORT=$(free_port)
	mkdir -p "$T/www" "$T/lock" "$T/run"
	echo hello >"$T/www/index.html"
	chown nobody "$T/www" "$T/lock"
	local m=/usr/lib/apache2/modules
	cat >"$T/httpd.conf" <<CONF
ServerRoot "$T"
ServerName 127.0.0.1
PidFile "$T/run/httpd.pid"
ErrorLog "$T/error.log"
Listen 127.0.0.1:$HTTP_PORT
User nobody
Group nogroup
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule status_module $m/mod_status.so
LoadModule mime_module $m/mod_mime.so
LoadModule dav_module $m/mod_dav.so
LoadModule dav_fs_module $m/mod_dav_fs.so
LoadModule alias_module $m/mod_alias.so
LoadModule headers_module $m/mod_headers.so
TypesConfig /etc/mime.types
StartServers 4
MinSpareServers 4
MaxSpareServers 4
ServerLimit 4
MaxRequestWorkers 4
KeepAlive On
ExtendedStatus On
DocumentRoot "$T/www"
DAVLockDB "$T/lock/davlock"
<Directory "$T/www">
  Dav On
  Require all granted
</Directory>
<Location /server-status>
  SetHandler server-status
  Require all granted
</Location>
$*
CONF
}

apache_ready() { curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/server-status?auto"; }

apache_start() {
	apache2 -f "$T/httpd.conf" -k start >"$T/apache-start.log" 2>&1 ||
		{ cat "$T/apache-start.log" "$T/error.log"; die "apache2 did not start"; }
	on_exit "apache_stop"
	wait_for 20 apache_ready || { cat "$T/error.log"; die "apache2 does not answer"; }
}

apache_stop() {
	local pid
	pid=$(cat "$T/run/httpd.pid" 2>/dev/null) || return 0
	apache2 -f "$T/httpd.conf" -k stop >/dev/null 2>&1
	local i
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

# Drivers of sensor modules (tests/sensor_drive): "sample" on a driver's stdin gives one
# line on its stdout. Several can run at once, each under a name (default "main").
# drive_start [-n NAME] CONF SENSOR   start one; DRV_PID is the pid of the last started
# drive [-n NAME] CMD [SECONDS]       one command, its answer line in REPLY
declare -A DRV_IN DRV_OUT DRV_PIDS
drive_start() {
	local name=main fdin fdout
	if [ "${1:-}" = -n ]; then name=$2; shift 2; fi
	rm -f "$T/drv-$name.in" "$T/drv-$name.out"
	mkfifo "$T/drv-$name.in" "$T/drv-$name.out"
	"$top_builddir/tests/sensor_drive" "$1" "$2" <"$T/drv-$name.in" >"$T/drv-$name.out" \
		2>>"$T/drive.log" &
	DRV_PID=$!
	DRV_PIDS[$name]=$DRV_PID
	on_exit "kill -9 $DRV_PID"
	exec {fdin}>"$T/drv-$name.in" {fdout}<"$T/drv-$name.out"
	DRV_IN[$name]=$fdin
	DRV_OUT[$name]=$fdout
	drive_read "$name" 20 && [ "${REPLY%%$'\t'*}" = ready ] ||
		{ cat "$T/drive.log"; die "sensor_drive $name: ${REPLY:-no answer}"; }
}
drive_read() { REPLY=; IFS= read -r -t "$2" REPLY <&"${DRV_OUT[$1]}"; }
drive_send() {
	local name=main
	if [ "${1:-}" = -n ]; then name=$2; shift 2; fi
	echo "$1" >&"${DRV_IN[$name]}"
}
drive() {
	local name=main
	if [ "${1:-}" = -n ]; then name=$2; shift 2; fi
	drive_send -n "$name" "$1" || return 1
	drive_read "$name" "${2:-60}"
}
# drive_stop [-n NAME]: quit, and the driver must end with status 0 (under the
# sanitizers a leak or an error shows there)
drive_stop() {
	local name=main rc=0
	if [ "${1:-}" = -n ]; then name=$2; shift 2; fi
	drive_send -n "$name" quit 2>/dev/null
	exec {DRV_IN[$name]}>&- {DRV_OUT[$name]}<&-
	wait "${DRV_PIDS[$name]}" 2>/dev/null || rc=$?
	check "sensor_drive $name ends cleanly (status $rc)" test "$rc" = 0
	[ "$rc" = 0 ] || tail -20 "$T/drive.log"
}
# drive_once CONF SENSOR CMD...: a fresh driver runs the commands and quits; its last
# answer in REPLY. It must end with status 0, as drive_stop checks.
drive_once() {
	local conf=$1 sensor=$2 rc
	shift 2
	REPLY=$(printf '%s\n' "$@" | timeout 60 "$top_builddir/tests/sensor_drive" "$conf" "$sensor" \
		2>>"$T/drive.log" | tail -1; exit "${PIPESTATUS[1]}")
	rc=$?
	check "sensor_drive $sensor with ${conf##*/} ends cleanly (status $rc)" test "$rc" = 0
	[ "$rc" = 0 ] || tail -20 "$T/drive.log"
}
# drive_init WANT_STATUS CONF SENSOR: sensor_drive -t (init only); its output in REPLY,
# and it must end with WANT_STATUS (0 accepted, 2 refused)
drive_init() {
	local want=$1 rc=0
	REPLY=$("$top_builddir/tests/sensor_drive" -t "$2" "$3" 2>>"$T/drive.log") || rc=$?
	check "sensor_drive -t $3 with ${2##*/}: status $want ($rc)" test "$rc" = "$want"
	[ "$rc" = "$want" ] || tail -20 "$T/drive.log"
}
# Fields of the last sample line: known, value, milliseconds, extras, why.
s_known() { cut -f1 <<<"$REPLY"; }
s_value() { cut -f2 <<<"$REPLY"; }
s_ms() { cut -f3 <<<"$REPLY"; }
s_extra() { cut -f4 <<<"$REPLY"; }
s_why() { cut -f5- <<<"$REPLY"; }

# The real agent on a real sensor (scenario 1): agent_conf_sensor SENSOR LINES... writes
# $T/vmm.conf for the threshold policy and the recording endpoint; start and watch it
# with agent_start, wait_cycles, moves and agent_stop from agent_lib.sh.
agent_conf_sensor() {
	local sensor=$1; shift
	{
		echo "sensor = \"$sensor\""
		echo "policy = \"threshold\""
		echo "endpoint = \"exec\""
		echo "endpoint_command = [\"$top_srcdir/tests/recorder\", \"$T/moves\", \"$T/mode\"]"
		echo "hosts = [\"h1\", \"h2\"]"
		echo "location = \"h1\""
		echo "module_dir = \"$MODULE_DIR\""
		echo "state_dir = \"$T/state\""
		echo "log_file = \"$T/vmmanage.log\""
		echo "json_log_file = \"$T/vmmanage.json\""
		echo "pid_file = \"$T/vmmanage.pid\""
		echo "control_socket = \"$T/vmmanage.sock\""
		echo "hostname = \"nii1\""
		for line; do echo "$line"; done
	} >"$T/vmm.conf"
	rm -f "$T/moves"
}
# the last N values of the cycle log for LABEL
cycle_values() { grep -E "^$1: " "$T/vmmanage.log" | awk -F': *' '{print $2}' | tail -n "${2:-100}" | tr '\n' ' '; }
