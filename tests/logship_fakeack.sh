#!/bin/bash
# SPDX-License-Identifier: ISC
# The agent believes only its collector: with a key, a peer posing as the collector that
# acknowledges without proving the key (a VMM1 or unsigned OK, a wrong MAC, an ack signed
# for another connection) trims nothing. The agent says why once per episode, and the
# real collector afterwards gets every message.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc od python3
[ -x "$DRIVER" ] || skip "logship_driver is not built"
PEER="$top_srcdir/tests/wire_peer.py"

KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
echo "$KEY" > "$T/k1"
chmod 600 "$T/k1"
n=5
for mode in v1-ok ok-nomac ok-badmac ack-nomac ack-badmac ack-other; do
	FPORT=$(free_port)
	mkdir "$T/$mode"
	(cd "$T/$mode" && exec python3 "$PEER" fake "$FPORT" "$mode" "$KEY") &
	fake=$!
	wait_for 10 port_open "$FPORT" || die "fake collector ($mode) did not start"
	# the first run spools five messages; later runs only try to send them
	"$DRIVER" -c "127.0.0.1:$FPORT" -s "$T/spool" -n "$n" -H agent1 -k "$T/k1" -x kept -t 5 \
		> "$T/$mode.out" 2> "$T/$mode.err"
	rc=$?
	kill "$fake"; wait "$fake" 2>/dev/null
	n=0
	check "$mode: the agent did not count its messages as delivered" [ "$rc" != 0 ]
	check "$mode: nothing trimmed from the spool" grep -q "acked=0 spooled=5 " "$T/$mode.out"
	check "$mode: it tried more than once" [ "$(cat "$T/$mode/fake.count")" -ge 2 ]
	check "$mode: it said why, once" [ "$(grep -c 'not trusted, the spool is kept (5 messages)' "$T/$mode.err")" = 1 ]
done
grep -h "not trusted" "$T"/*.err | sed 's/^/# /'

KEYS_PORT=$(free_port)
printf 'agent1 %s\n' "$KEY" > "$T/keys"
chmod 600 "$T/keys"
collector_dirs
write_conf "$T/c.conf" "$KEYS_PORT" "keys_file = \"$T/keys\";"
OUT="$T/out/central.log"
start_collector "$T/c.conf" "$OUT"
"$DRIVER" -c "127.0.0.1:$KEYS_PORT" -s "$T/spool" -n 0 -H agent1 -k "$T/k1" -t 20 > "$T/real.out" 2> "$T/real.err"
check "the real collector then gets every message" [ $? = 0 ]
check "... each once, in order" [ "$(seq_of agent1 kept "$OUT" | tr '\n' ' ')" = "1 2 3 4 5 " ]
finish
