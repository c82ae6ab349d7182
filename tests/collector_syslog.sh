#!/bin/bash
# SPDX-License-Identifier: ISC
# Syslog in and out: a real rsyslog forwarding over TCP (omfwd) and logger --tcp (RFC 5424
# and RFC 3164, LF and octet-counting framing) land in OUTPUT; the agent's log path with
# collector_protocol = "syslog" lands in a real rsyslog's file.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd rsyslogd logger nc
[ -x "$DRIVER" ] || skip "logship_driver is not built"

PORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT"
OUT="$T/out/central.log"
start_collector "$T/c.conf" "$OUT"

RS_FWD=$(free_port)
RS_FILE=$(free_port)
mkdir -p "$T/rs"
cat > "$T/rs.conf" <<CONF
global(workDirectory="$T/rs")
module(load="imtcp")
input(type="imtcp" port="$RS_FWD" address="127.0.0.1" ruleset="fwd")
input(type="imtcp" port="$RS_FILE" address="127.0.0.1" ruleset="file")
ruleset(name="fwd") { action(type="omfwd" target="127.0.0.1" port="$PORT" protocol="tcp") }
ruleset(name="file") { action(type="omfile" file="$T/rs.out") }
CONF
rsyslogd -f "$T/rs.conf" -i "$T/rs.pid" -n 2>"$T/rs.err" &
RPID=$!
on_exit "kill $RPID"
wait_for 10 port_open "$RS_FILE" || { cat "$T/rs.err"; die "rsyslogd did not start"; }

logger --tcp -n 127.0.0.1 -P "$RS_FWD" -t fwdtag "through rsyslog omfwd"
logger --tcp -n 127.0.0.1 -P "$PORT" -t l5424 "logger rfc5424 lf"
logger --tcp --octet-count -n 127.0.0.1 -P "$PORT" -t loctet "logger rfc5424 octet"
logger --tcp --rfc3164 -n 127.0.0.1 -P "$PORT" -t l3164 "logger rfc3164 lf"
logger --tcp --octet-count --rfc3164 -n 127.0.0.1 -P "$PORT" -t l3164o "logger rfc3164 octet"
wait_for 10 grep -q "through rsyslog omfwd" "$OUT"
wait_for 5 grep -q "logger rfc3164 octet" "$OUT"
H=$(hostname)
# rsyslog forwards an RFC 5424 message in its traditional format with the APP-NAME as a
# tag without a colon; the collector keeps the text as received
check "rsyslog omfwd over TCP lands in OUTPUT" [ "$(grep -cE "^$STAMP_RE [^ ]+: fwdtag(\[[0-9]+\])?:? through rsyslog omfwd\$" "$OUT")" = 1 ]
for t in "l5424:logger rfc5424 lf" "loctet:logger rfc5424 octet" "l3164:logger rfc3164 lf" "l3164o:logger rfc3164 octet"; do
	tag=${t%%:*} msg=${t#*:}
	check "logger --tcp $msg: host, tag and message" \
		[ "$(grep -cE "^$STAMP_RE $H: $tag(\[[0-9]+\])?: $msg\$" "$OUT")" = 1 ]
done

# the agent's log path speaking RFC 5424 to rsyslog
"$DRIVER" -p syslog -c "127.0.0.1:$RS_FILE" -s "$T/spool" -n 200 -H agent3 -x "to rsyslog" -t 20 \
	> "$T/driver.out" 2>&1
rc=$?
check "driver delivered 200 messages to rsyslog (rc $rc)" [ "$rc" = 0 ]
wait_for 10 grep -q "to rsyslog 200\$" "$T/rs.out"
check "rsyslog's file has the 200 messages from agent3, in order" \
	[ "$(grep -E ' agent3 vmmanage:? to rsyslog [0-9]+$' "$T/rs.out" | grep -oE '[0-9]+$' | tr '\n' ' ')" = "$(seq -s ' ' 1 200) " ]
finish
