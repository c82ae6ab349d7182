#!/bin/bash
# SPDX-License-Identifier: ISC
# mysql_slow against a real MariaDB started here: the sample is the slow queries of the
# interval, a restart re-baselines, a dead or mute server gives unknown within the
# timeout, the password comes from a private option file, libcurl is never mapped.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sensor_services.sh"
. "$top_srcdir/tests/agent_lib.sh"
need_root
mariadb_setup
mariadb_start
mysql_sql "CREATE USER vmm@'127.0.0.1' IDENTIFIED BY 's3cret'; CREATE USER vmm@localhost IDENTIFIED BY 's3cret'"

printf '[vmmanage]\npassword=s3cret\n' >"$T/my.cnf"
chmod 644 "$T/my.cnf"
cat >"$T/vmm.conf" <<CONF
mysql_host = "127.0.0.1"
mysql_port = $MYSQL_PORT
mysql_user = "vmm"
mysql_option_file = "$T/my.cnf"
mysql_timeout = 2
CONF

# --- the option file holds a password: refused while others can read it
drive_init 2 "$T/vmm.conf" mysql_slow
check "a world-readable option file is refused at init ($REPLY)" \
	grep -q "readable by others: run chmod go-rwx $T/my.cnf" <<<"$REPLY"
chmod 600 "$T/my.cnf"
drive_init 0 "$T/vmm.conf" mysql_slow
check "init accepts it at mode 0600, and names the label ($REPLY)" grep -q $'^ready\tmysql_slow\tslow rate' <<<"$REPLY"

# --- the sample is the increase of Slow_queries since the last cycle. The server's own
# counter is the reference: on a busy machine an ordinary query can also turn slow, and
# the sensor must count it too.
server_slow() { mysql_sql "show global status like 'Slow_queries'" | cut -f2; }
drive_start "$T/vmm.conf" mysql_slow
drive sample
before=$(server_slow)
check "the first sample is unknown: a baseline, not a rate ($REPLY)" \
	test "$(s_known)" = 0 -a "$(s_why)" = "mysql: baseline"
slow_queries 3
now=$(server_slow); drive sample
check "3 slow queries in the interval give what the server counted, at least 3 ($REPLY; server $((now - before)))" \
	test "$(s_known):$(s_value)" = "1:$((now - before))" -a "$((now - before))" -ge 3
before=$now
mysql_sql "select 1; select sleep(0.01)" >/dev/null
now=$(server_slow); drive sample
check "fast queries only: what the server counted, usually 0 ($REPLY; server $((now - before)))" \
	test "$(s_known):$(s_value)" = "1:$((now - before))"
before=$now
slow_queries 2
now=$(server_slow); drive sample
check "2 more give what the server counted, at least 2 ($REPLY; server $((now - before)))" \
	test "$(s_known):$(s_value)" = "1:$((now - before))" -a "$((now - before))" -ge 2

# --- long_query_time decides what counts as slow: said at the first reading and when it
# changes, not every cycle
lqt_lines() { count_lines "$1" "$T/drive.log"; }
check "long_query_time said once at the start ($(grep long_query_time "$T/drive.log" | head -1))" \
	test "$(lqt_lines "mysql_slow: 127.0.0.1:$MYSQL_PORT: long_query_time is 0.5 s")" = 1
mysql_sql "SET GLOBAL long_query_time = 2"
drive sample; drive sample
check "a change is said once ($(grep 'long_query_time changed' "$T/drive.log" | head -1))" \
	test "$(lqt_lines 'long_query_time changed from 0.5 s to 2 s: the threshold now counts other queries as slow')" = 1
mysql_sql "SET GLOBAL long_query_time = 0.5"
drive sample; drive sample
check "and the change back too ($(lqt_lines 'long_query_time changed') changes)" \
	test "$(lqt_lines 'long_query_time changed from 2 s to 0.5 s')" = 1 -a \
	"$(lqt_lines 'long_query_time changed')" = 2
check "the start is still said only once" test "$(lqt_lines 'long_query_time is ')" = 1

# --- a restart between two cycles: re-baseline, never a negative rate
slow_queries 1
mariadb_stop
mariadb_start
drive sample
check "after a restart: unknown, new baseline ($REPLY)" \
	test "$(s_known)" = 0 -a "$(s_why)" = "mysql: server restarted: new baseline"
check "the restart is logged with the counters read before and after it" grep -qE "Slow_queries went from [1-9][0-9]* to 0" "$T/drive.log"
before=$(server_slow)
slow_queries 1
now=$(server_slow); drive sample
check "then the rate again: what the server counted ($REPLY; server $((now - before)))" test "$(s_known):$(s_value)" = "1:$((now - before))" -a "$((now - before))" -ge 1

# --- the server goes away: unknown, quickly, and the sensor survives
mariadb_stop
worst=0
for i in 1 2 3 4; do
	drive sample 30 || break
	[ "$(s_known)" = 0 ] || break
	ms=$(s_ms); [ "$ms" -gt "$worst" ] && worst=$ms
	why=$(s_why)
done
check "with the server down every sample is unknown ($REPLY)" test "$(s_known)" = 0 -a "$i" = 4
check "and says why: $why" grep -q "mysql: 127.0.0.1:$MYSQL_PORT: .*connect" <<<"$why"
check "each within mysql_timeout (worst ${worst} ms)" test "$worst" -lt 3000
mariadb_start
known=
for i in $(seq 1 8); do
	drive sample && [ "$(s_known)" = 1 ] && { known=$i; break; }
done
check "back up: known again after a baseline, within a few cycles (cycle ${known:-never})" test -n "$known"

# --- libcurl is not in a process that loaded only mysql_slow
check "the process maps libmariadb" grep -q libmariadb "/proc/$DRV_PID/maps"
check "and not libcurl" bash -c "! grep -q libcurl /proc/$DRV_PID/maps"
drive_stop

# --- a wrong password: unknown with the server's words
printf '[client]\npassword=wrong\n' >"$T/bad.cnf"
chmod 600 "$T/bad.cnf"
sed "s|$T/my.cnf|$T/bad.cnf|" "$T/vmm.conf" >"$T/bad.conf"
drive_once "$T/bad.conf" mysql_slow sample
check "a wrong password gives unknown: $(cut -f5 <<<"$REPLY")" grep -q $'^0\t.*Access denied' <<<"$REPLY"

# --- the [client] group is read too, and the socket works
printf '[client]\npassword=s3cret\n' >"$T/client.cnf"
chmod 600 "$T/client.cnf"
cat >"$T/sock.conf" <<CONF
mysql_socket = "$MYSQL_SOCK"
mysql_user = "vmm"
mysql_option_file = "$T/client.cnf"
CONF
drive_once "$T/sock.conf" mysql_slow sample sample
check "over the socket with the [client] password: known ($REPLY)" grep -q $'^1\t0\t' <<<"$REPLY"

# --- a server that accepts and never says a word: unknown within the timeout
MUTE_PORT=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(120)' "$MUTE_PORT" &
MUTE_PID=$!
on_exit "kill $MUTE_PID"
port_open() { bash -c "exec 3<>/dev/tcp/127.0.0.1/$1"; }
wait_for 10 port_open "$MUTE_PORT" || die "the mute listener did not start"
sed "s/^mysql_port = .*/mysql_port = $MUTE_PORT/" "$T/vmm.conf" >"$T/mute.conf"
start=$(date +%s%N)
drive_once "$T/mute.conf" mysql_slow sample
took=$(( ($(date +%s%N) - start) / 1000000 ))
check "a mute server gives unknown ($(cut -f5 <<<"$REPLY"))" grep -q '^0' <<<"$REPLY"
check "within mysql_timeout = 2 s (${took} ms)" test "$took" -lt 4500

# --- scenario 1 (thesis nii1): the agent requests a move after `tarry` slow cycles
agent_conf_sensor mysql_slow "daemon_interval = 1" "threshold = 2" "tarry = 3" \
	"cooldown = 30" "mysql_host = \"127.0.0.1\"" "mysql_port = $MYSQL_PORT" \
	"mysql_user = \"vmm\"" "mysql_option_file = \"$T/my.cnf\"" "mysql_timeout = 2"
agent_start
wait_cycles 5 20 || fail "5 cycles at rest within 20 s (got $(cycles))"
check "at rest: no move ($(cycle_values 'slow rate'))" test -z "$(moves)"
check "the cycle log says slow rate, as the thesis did" grep -qE '^slow rate: +0$' "$T/vmmanage.log"
check "the first cycle is a baseline, logged as unknown" grep -qE '^slow rate: +unknown' "$T/vmmanage.log"
check "the agent maps libmariadb" grep -q libmariadb "/proc/$AGENT_PID/maps"
check "and not libcurl" bash -c "! grep -q libcurl /proc/$AGENT_PID/maps"
# six clients in parallel, about 10 slow queries a second: each cycle above threshold 2
load() { local end=$((SECONDS + 15)); while [ $SECONDS -lt $end ] && [ ! -s "$T/moves" ]; do slow_queries 1; done; }
LOAD_PIDS=()
for i in 1 2 3 4 5 6; do load & LOAD_PIDS+=($!); done
on_exit "kill ${LOAD_PIDS[*]}"
wait_for 20 test -s "$T/moves"
check "under slow queries the agent requests a move to h2 ($(cycle_values 'slow rate' 8))" \
	test "$(moves)" = "move h2"
wait "${LOAD_PIDS[@]}" 2>/dev/null
check "the request is logged in the thesis words" \
	grep -qE '^[0-9]+ .* nii1: Requesting migration of VM' "$T/vmmanage.log"
agent_stop

finish
