#!/bin/bash
# SPDX-License-Identifier: ISC
# A signed frame is written once, whoever replays it: an eavesdropper captures six signed
# lines of a real agent across two boots and replays them, three rounds alternating the
# boots, without the key. The collector's log holds each line once, and the real agent's
# next frames are still taken.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc od python3
[ -x "$DRIVER" ] || skip "logship_driver is not built"
PEER="$top_srcdir/tests/wire_peer.py"

od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$T/k1"
chmod 600 "$T/k1"
printf 'agent1 %s\n' "$(cat "$T/k1")" > "$T/keys"
chmod 600 "$T/keys"
PORT=$(free_port) PPORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT" "keys_file = \"$T/keys\";"
OUT="$T/out/central.log"
start_collector "$T/c.conf" "$OUT"

# the eavesdropper sits between the agent and the collector and keeps what the agent says
mkdir "$T/cap"
python3 "$PEER" proxy "$PPORT" "$PORT" "$T/cap" &
on_exit "kill $!"
wait_for 10 port_open "$PPORT" || die "proxy did not start"
"$DRIVER" -c "127.0.0.1:$PPORT" -s "$T/bootA" -n 3 -H agent1 -k "$T/k1" -x captured-A -t 20 >/dev/null 2>&1 ||
	die "agent (boot A) through the proxy"
"$DRIVER" -c "127.0.0.1:$PPORT" -s "$T/bootB" -n 3 -H agent1 -k "$T/k1" -x captured-B -t 20 >/dev/null 2>&1 ||
	die "agent (boot B) through the proxy"
A=$(grep -l "captured-A" "$T"/cap/c2s.* | head -1) B=$(grep -l "captured-B" "$T"/cap/c2s.* | head -1)
six_signed() {
	[ -n "$A" ] && [ -n "$B" ] &&
	[ "$(grep -h '^M [0-9]* [0-9]* [0-9]* [0-9a-f]\{64\}$' "$A" "$B" | wc -l)" = 6 ]
}
check "six signed lines captured across two boots" six_signed
check "six lines in the log before the replay" [ "$(grep -c ' agent1: captured-' "$OUT")" = 6 ]

# without the key: the captured bytes as they were, then without the (now useless) AUTH
for round in 1 2 3; do
	for f in "$A" "$B"; do
		python3 "$PEER" replay "$PORT" "$f" > "$T/replay.$round.$(basename "$f")" 2>&1
		python3 "$PEER" replay "$PORT" "$f" skip-auth >> "$T/replay.$round.$(basename "$f")" 2>&1
	done
done
check "a replayed HELLO learns nothing of the host (no OK LAST before AUTH)" \
	[ "$(cat "$T"/replay.* | grep -c '^VMM[12] OK')" = 0 ]
check "every replay was refused" [ "$(cat "$T"/replay.* | grep -c 'ERR')" = 12 ]

# the real agent (boot B) goes on: its next frames are taken and acknowledged
"$DRIVER" -c "127.0.0.1:$PORT" -s "$T/bootB" -n 2 -H agent1 -k "$T/k1" -x after -t 20 > "$T/after.out" 2>&1
check "the real agent's next frames are still accepted" [ $? = 0 ]
check "... and written" [ "$(seq_of agent1 after "$OUT" | tr '\n' ' ')" = "1 2 " ]
check "exactly six captured lines in the log" [ "$(grep -c ' agent1: captured-' "$OUT")" = 6 ]
check "no line twice" [ -z "$(sed -E 's/^[0-9]+ [^:]*:[0-9:]+ [A-Z+0-9-]+ [0-9]{4} //' "$OUT" | sort | uniq -d)" ]
captured() { seq_of agent1 "captured-$1" "$OUT" | tr '\n' ' '; }
check "each captured line once, boot A" [ "$(captured A)" = "1 2 3 " ]
check "each captured line once, boot B" [ "$(captured B)" = "1 2 3 " ]
check "the refusals are logged" grep -q "bad AUTH" "$T/collector.err"
finish
