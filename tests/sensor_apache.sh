#!/bin/bash
# SPDX-License-Identifier: ISC
# apache_idle against a real Apache started here (mod_status, four prefork workers):
# IdleWorkers at rest and under wrk load, and every way the answer can be wrong gives
# unknown with a reason, within the timeout.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sensor_services.sh"
. "$top_srcdir/tests/agent_lib.sh"
need_root
need_cmd wrk curl python3
apache_setup 'Redirect /moved /server-status?auto
<Location /plain-html>
  ForceType text/plain
</Location>'
printf 'BusyWorkers: 1\nIdleWorkers: 1' >"$T/www/cut.txt"
head -c 3000 /dev/urandom >"$T/www/garbage.txt"
echo '<html><body><h1>It works!</h1></body></html>' >"$T/www/plain-html"
apache_start
URL="http://127.0.0.1:$HTTP_PORT"

# conf_for URL [more lines]: a config for the sensor in $T/c.conf
conf_for() {
	printf 'apache_status_url = "%s"\nhttp_timeout = %s\n%s\n' "$1" "${TIMEOUT:-2}" "${2:-}" >"$T/c.conf"
}
# one_sample URL [more lines]: a fresh sensor, one sample, into REPLY; the driver must
# end cleanly (under the sanitizers: no leak on that path)
one_sample() {
	conf_for "$@"
	drive_once "$T/c.conf" apache_idle sample
}

# --- at rest: three of four workers idle (one serves the status request)
TIMEOUT=8 conf_for "$URL/server-status?auto"
drive_init 0 "$T/c.conf" apache_idle
check "init names the label ($REPLY)" grep -q $'^ready\tapache_idle\tidle workers' <<<"$REPLY"
drive_start "$T/c.conf" apache_idle
drive sample
rest=$(s_value)
check "at rest: known, IdleWorkers $rest >= 2 ($REPLY)" test "$(s_known)" = 1 -a "${rest:-0}" -ge 2
check "BusyWorkers kept as an extra ($(s_extra))" grep -q "BusyWorkers=[1-9]" <<<"$(s_extra)"
# ReqPerSec is printed once Apache has run a second and served something
sleep 1.2
drive sample
check "ReqPerSec kept when present ($(s_extra))" grep -q "ReqPerSec=" <<<"$(s_extra)"

# --- under load the workers are held by keep-alive connections: none idle
wrk -c 16 -t 2 -d 8s "$URL/index.html" >"$T/wrk.log" 2>&1 &
WRK_PID=$!
on_exit "kill $WRK_PID"
sleep 1.5
low=99 seen=""
for i in 1 2 3 4; do
	drive sample 15 || break
	seen="$seen $(s_known):$(s_value)"
	[ "$(s_known)" = 1 ] && [ "$(s_value)" -lt "$low" ] && low=$(s_value)
	sleep 0.5
done
check "under wrk load IdleWorkers falls to 0 (samples:$seen)" test "$low" = 0
wait "$WRK_PID"
sleep 1
drive sample
check "after the load it recovers ($(s_value) idle)" test "$(s_known)" = 1 -a "$(s_value)" -ge 2
drive_stop

# --- scenario 1 (thesis nii2): the agent requests a move under load, not at rest
agent_conf_sensor apache_idle "daemon_interval = 1" "threshold = 1" "tarry = 3" \
	"cooldown = 30" "apache_status_url = \"$URL/server-status?auto\"" "http_timeout = 5"
agent_start
wait_cycles 4 20 || fail "4 cycles at rest within 20 s (got $(cycles))"
check "at rest: no move ($(cycle_values 'idle workers'))" test -z "$(moves)"
check "the cycle log says idle workers" grep -qE '^idle workers: +[2-4]$' "$T/vmmanage.log"
check "the agent maps libcurl" grep -q libcurl "/proc/$AGENT_PID/maps"
check "and not libmariadb" bash -c "! grep -q libmariadb /proc/$AGENT_PID/maps"
wrk -c 16 -t 2 -d 10s "$URL/index.html" >"$T/wrk2.log" 2>&1 &
WRK_PID=$!
on_exit "kill $WRK_PID"
wait_for 20 test -s "$T/moves"
check "under wrk load the agent requests a move to h2 ($(cycle_values 'idle workers' 6))" \
	test "$(moves)" = "move h2"
check "the request is logged in the thesis words" \
	grep -qE '^[0-9]+ .* nii1: Requesting migration of VM' "$T/vmmanage.log"
check "BusyWorkers is in the machine-readable log" grep -q 'BusyWorkers' "$T/vmmanage.json"
kill "$WRK_PID" 2>/dev/null
wait "$WRK_PID" 2>/dev/null
agent_stop

# --- wrong answers: unknown, and the reason says what was wrong
one_sample "$URL/nope?auto"
check "404: $(cut -f5 <<<"$REPLY")" grep -q $'^0\t.*apache: '"$URL"'/nope?auto: HTTP 404$' <<<"$REPLY"
one_sample "$URL/server-status"
check "the HTML page: $(cut -f5 <<<"$REPLY")" grep -q $'^0\t.*Content-Type text/html.*not text/plain' <<<"$REPLY"
one_sample "$URL/moved"
check "a redirect is not followed: $(cut -f5 <<<"$REPLY")" grep -q $'^0\t.*HTTP 302 redirect to .*server-status?auto, not followed' <<<"$REPLY"
one_sample "$URL/garbage.txt"
check "garbage as text/plain: $(cut -f5 <<<"$REPLY")" grep -q $'^0\t.*garbage.txt: no\\(`Key: value` lines\\| IdleWorkers line\\)' <<<"$REPLY"
one_sample "$URL/plain-html"
check "an HTML body labelled text/plain: $(cut -f5 <<<"$REPLY")" grep -q $'^0\t.*not server-status?auto output' <<<"$REPLY"
one_sample "$URL/cut.txt"
check "a body cut inside its last line: $(cut -f5 <<<"$REPLY")" grep -q $'^0\t.*no IdleWorkers line.*cut' <<<"$REPLY"
one_sample "$URL/server-status?auto" "http_max_bytes = 100"
check "longer than http_max_bytes: $(cut -f5 <<<"$REPLY")" grep -q $'^0\t.*longer than 100 bytes (http_max_bytes)' <<<"$REPLY"
CLOSED=$(free_port)
one_sample "http://127.0.0.1:$CLOSED/server-status?auto"
check "nothing listening: $(cut -f5 <<<"$REPLY")" grep -q $'^0\t.*[Cc]onnect' <<<"$REPLY"

# --- a server that accepts and never answers: unknown within http_timeout
MUTE=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
c=[s.accept() for _ in range(4)]; time.sleep(120)' "$MUTE" &
MUTE_PID=$!
on_exit "kill $MUTE_PID"
port_open() { bash -c "exec 3<>/dev/tcp/127.0.0.1/$1"; }
wait_for 10 port_open "$MUTE" || die "the mute listener did not start"
start=$(date +%s%N)
one_sample "http://127.0.0.1:$MUTE/server-status?auto"
took=$(( ($(date +%s%N) - start) / 1000000 ))
check "a mute server: $(cut -f5 <<<"$REPLY")" grep -q $'^0\t.*[Tt]imed out' <<<"$REPLY"
check "given up within http_timeout = 2 s (${took} ms)" test "$took" -lt 3500

# --- the curl sensor never maps libmariadb
conf_for "$URL/server-status?auto"
drive_start "$T/c.conf" apache_idle
check "the apache_idle process maps libcurl" grep -q libcurl "/proc/$DRV_PID/maps"
check "and not libmariadb" bash -c "! grep -q libmariadb /proc/$DRV_PID/maps"
drive_stop

finish
