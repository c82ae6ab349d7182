#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 300
# Forwarding to a real rsyslog over RELP (imrelp) loses nothing: agents' lines go to
# OUTPUT and on to rsyslog's file across a clean rsyslog restart, a kill -9 of rsyslog in
# the middle of a burst, a collector restart while rsyslog is down, and a rotation of
# OUTPUT (rename, SIGHUP) while forwarding is behind and across a collector restart,
# under logrotate's numbered name and under its dateext name.
# At the end every line of every OUTPUT file is in rsyslog's file, at its (file,
# offset), with the same text; copies are only of the same line.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd rsyslogd nc
[ -x "$DRIVER" ] || skip "logship_driver is not built"
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/imrelp.so ] || ls /usr/lib/*/rsyslog/imrelp.so >/dev/null 2>&1 ||
	skip "needs rsyslog's imrelp (apt-get install rsyslog-relp)"

# the configuration: a bad address names the file and line; the rsyslog example loads
printf 'output = "/dev/null";\nforward_relp = "[::1:2514";\n' > "$T/bad.conf"
check_fails_with "forward_relp with a bad address" 1 "bad.conf:2: forward_relp: .*IPv6" \
	"$COLLECTOR" -t -c "$T/bad.conf"
printf 'output = "/dev/null";\nforward_relp = "loghost:99999";\n' > "$T/bad.conf"
check_fails_with "forward_relp with a bad port" 1 "bad.conf:2: forward_relp: .*port" \
	"$COLLECTOR" -t -c "$T/bad.conf"
check "conf/collector.conf loads" "$COLLECTOR" -t -c "$top_srcdir/conf/collector.conf" -o /dev/null
check "conf/rsyslog-vmmanage-relp.conf passes rsyslogd -N1" \
	rsyslogd -N1 -f "$top_srcdir/conf/rsyslog-vmmanage-relp.conf"

PORT=$(free_port) RP=$(free_port)
collector_dirs
OUT="$T/out/central.log"
write_conf "$T/c.conf" "$PORT" "forward_relp = \"127.0.0.1:$RP\";" "forward_retry_max = 1;" \
	"forward_timeout = 8;"

# rsyslog as the operator's pipeline: imrelp into a file, with direct queues so that what
# imrelp acknowledges is in the file (rsyslog's own queues are its side of the promise)
mkdir -p "$T/rs"
cat > "$T/rs.conf" <<CONF
global(workDirectory="$T/rs")
main_queue(queue.type="Direct")
module(load="imrelp")
template(name="sdmsg" type="string" string="%structured-data% %msg%\n")
input(type="imrelp" port="$RP" address="127.0.0.1" ruleset="relp")
ruleset(name="relp" queue.type="Direct") {
	action(type="omfile" file="$T/rs.out" template="sdmsg")
}
CONF
RPID=
rs_start() {
	rsyslogd -f "$T/rs.conf" -i "$T/rs.pid" -n 2>>"$T/rs.err" &
	RPID=$!
	on_exit "kill -9 $RPID"
	wait_for 10 port_open "$RP" || { cat "$T/rs.err"; die "rsyslogd did not start"; }
}
rs_stop() { kill "-${1:-TERM}" "$RPID"; wait "$RPID" 2>/dev/null; ! port_open "$RP" || die "rsyslogd still listens"; }
send() { "$DRIVER" -c "127.0.0.1:$PORT" -s "$T/spool" -n "$1" -H agent1 -x "$2" -t 120 >/dev/null 2>&1 || die "agent: $2"; }
in_rs() { [ "$(grep -c " agent1: $1 [0-9]*\$" "$T/rs.out" 2>/dev/null)" -ge "$2" ]; }
logged() { [ "$(grep -c -- "$1" "$T/collector.err")" -ge "$2" ]; }
# relp.pos at OUTPUT's end: every line acknowledged (a line in rsyslog's file may be one
# of a batch whose session has not closed yet)
caught_up() { [ "$(sed -n 2p "$T/state/relp.pos")" = "$(stat -c '%d %i %s' "$OUT")" ]; }
settle() { wait_for 30 caught_up || die_log "forwarding did not catch up ($1)"; }
# die with what the collector said (RELP_DEBUG=1: and the stacks of its threads)
die_log() { [ -n "${RELP_DEBUG:-}" ] && gdb -p "$CPID" -batch -ex "thread apply all bt" 2>&1 | grep -E "^#|^Thread" | head -60; sed 's/^/# /' "$T/collector.err"; grep -c . "$T/rs.out" | sed 's/^/# rsyslog has /'; die "$@"; }

rs_start
start_collector "$T/c.conf" "$OUT"
send 100 before
check "100 lines reach rsyslog" wait_for 20 in_rs before 100
settle before

# a clean restart of rsyslog, lines written while it is away
rs_stop TERM
send 100 clean
check "the collector says once that forwarding stopped" wait_for 20 logged "forwarding to 127.0.0.1:$RP stopped" 1
rs_start
check "the lines written while rsyslog was stopped reach it" wait_for 30 in_rs clean 100
check "... and the collector says it resumed, with the lines it caught up" \
	wait_for 10 logged "forwarding to 127.0.0.1:$RP resumed after [0-9]* s (.*), 100 lines" 1
settle clean

# kill -9 in the middle of a batch: a backlog is made while rsyslog is frozen, then it
# runs until the first lines of it are in its file and is frozen and killed, with a
# session under way (lines sent, not all answered); that batch is sent again
kill -STOP "$RPID"
send 10000 burst
kill -CONT "$RPID"
wait_for 30 in_rs burst 1 || die_log "the backlog did not start reaching rsyslog"
kill -STOP "$RPID"
check "rsyslog was stopped in the middle of the backlog ($(grep -c " burst " "$T/rs.out") of 10000 lines)" \
	[ "$(grep -c " agent1: burst " "$T/rs.out")" -lt 10000 ]
rs_stop KILL
rs_start
check "after a kill -9 of rsyslog mid-batch, all 10000 lines reach it" wait_for 90 in_rs burst 10000
settle burst

# the collector restarts while rsyslog is down; what it had not forwarded waits in OUTPUT
rs_stop TERM
send 100 outage
wait_for 20 logged "stopped" 3 || die_log "no second stop logged"
kill "$CPID"
wait "$CPID" 2>/dev/null
start_collector "$T/c.conf" "$OUT"
send 100 restarted
rs_start
check "lines written before and after a collector restart during the outage arrive" \
	wait_for 30 sh -c '[ "$(grep -c " agent1: outage [0-9]*$" "$1")" -ge 100 ] &&
		[ "$(grep -c " agent1: restarted [0-9]*$" "$1")" -ge 100 ]' _ "$T/rs.out"
settle restarted

# logrotate's way (rename, SIGHUP) while forwarding is behind (rsyslog frozen): the lines
# written to the old file before the SIGHUP are sent before the new file's
kill -STOP "$RPID"
mv "$OUT" "$OUT.1"
send 50 rotating
kill -HUP "$CPID"
wait_for 10 logged "outputs reopened" 1 || die_log "no reopen"
send 50 rotated
wait_for 20 logged "stopped" 5 || die_log "no stop logged while rsyslog was frozen"
kill -CONT "$RPID"
check "after a rotation while behind, the rotated file's last lines arrive" wait_for 30 in_rs rotating 50
check "... and the new file's" wait_for 30 in_rs rotated 50
settle rotated

# rotated while rsyslog is down, and the collector restarted before it has sent the
# rotated file's last lines: it finds that file under ROTATED's name and finishes it
# first. rotate_across_restart ROTATED UNSENT NEWFILE REOPENS STOPS (the counts of those
# log lines expected by then)
rotate_across_restart() {
	local rotated=$1 unsent=$2 newfile=$3
	rs_stop TERM
	send 50 "$unsent"
	mv "$OUT" "$rotated"
	kill -HUP "$CPID"
	wait_for 10 logged "outputs reopened" "$4" || die_log "no reopen ($rotated)"
	send 50 "$newfile"
	wait_for 20 logged "stopped" "$5" || die_log "no stop logged ($rotated)"
	kill "$CPID"
	wait "$CPID" 2>/dev/null
	start_collector "$T/c.conf" "$OUT"
	check "after a restart the collector finishes the rotated file first ($rotated)" \
		wait_for 10 logged "finishing $rotated first" 1
	rs_start
	check "the rotated file's unsent lines arrive ($unsent)" wait_for 30 in_rs "$unsent" 50
	check "... and the new file's ($newfile)" wait_for 30 in_rs "$newfile" 50
	settle "$newfile"
}
mv "$OUT.1" "$OUT.2"
rotate_across_restart "$OUT.1" unsent newfile 2 6
# logrotate's dateext name
rotate_across_restart "$OUT-20261207" undated dated 3 8

# every line of every OUTPUT file, with its (file, offset), against rsyslog's file
want() {
	local f id
	for f in "$OUT.2" "$OUT.1" "$OUT-20261207" "$OUT"; do
		id=$(stat -c '%d:%i' "$f")
		LC_ALL=C awk -v id="$id" '{ printf "file=\"%s\" offset=\"%d\"] %s\n", id, off, $0; off += length($0) + 1 }' "$f"
	done
}
want | sort > "$T/want"
sed -n 's/^\[vmmanage@32473 //p' "$T/rs.out" | sort > "$T/got.all"
sort -u "$T/got.all" > "$T/got"
missing=$(comm -23 "$T/want" "$T/got" | wc -l)
extra=$(comm -13 "$T/want" "$T/got" | wc -l)
check "every line of OUTPUT is in rsyslog's file ($(wc -l < "$T/want") lines; $missing missing)" \
	[ "$(wc -l < "$T/want")" -eq 10700 -a "$missing" = 0 ]
check "rsyslog has no line OUTPUT has not at that place ($extra)" [ "$extra" = 0 ]
check "the lines sent twice ($(($(wc -l < "$T/got.all") - $(wc -l < "$T/got")))) are copies of one line at one offset" \
	[ "$(sed 's/\].*//' "$T/got" | sort | uniq -d | wc -l)" = 0 ]
check "relp.pos ends at OUTPUT's end" wait_for 30 caught_up
# six outages, three of them across a collector restart (its new process says it again)
check "each outage logged once: 9 stops, 6 resumes" \
	[ "$(grep -c "forwarding to .* stopped" "$T/collector.err")" = 9 -a \
	  "$(grep -c "forwarding to .* resumed" "$T/collector.err")" = 6 ]
# a frozen rsyslog does not hold the collector's stop for long
kill -STOP "$RPID"
send 10 last
t0=$(date +%s)
kill "$CPID"
rc=0
wait "$CPID" || rc=$?
check "with rsyslog frozen the collector stops within 5 s ($(($(date +%s) - t0)) s)" \
	[ $(($(date +%s) - t0)) -le 5 ]
kill -CONT "$RPID"
check "the collector exits 0 at SIGTERM (exit $rc), with no sanitizer report" \
	sh -c '[ "$1" = 0 ] && ! grep -qE "Sanitizer|runtime error" "$2"' _ "$rc" "$T/collector.err"
grep "forwarding" "$T/collector.err" | sed 's/^/# /'
finish
