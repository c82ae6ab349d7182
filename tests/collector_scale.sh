#!/bin/bash
# SPDX-License-Identifier: ISC
# Many agents cost the collector little memory: 5,000 keyed agents, each from its own
# connection out of 127.0.0.0/8 (bench/collector_scale: the VMM2 handshake, then signed
# cycle lines and events spread over 10 s), are all held and all acknowledged, every host's
# lines are written, and what the collector's RSS grew by stays under 1.3 KiB a connection
# (what 100,000 agents in 128 MiB allow; a collector that gives each connection buffers
# or names at their longest, or each host a name twice, is over it).
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
# built with AddressSanitizer (VMM_SANITIZE, or the binary says so)
asan() { [ "${VMM_SANITIZE:-no}" = yes ] || ldd "$COLLECTOR" 2>/dev/null | grep -q libasan; }
need_root
SCALE="$top_builddir/bench/collector_scale"
[ -x "$SCALE" ] || skip "collector_scale is not built"
N=5000
[ "$(ulimit -Hn)" -gt $((N + 200)) ] || skip "the open files limit is under $((N + 200))"

PORT=$(free_port)
collector_dirs
"$SCALE" -K "$T/keys" -c "$N" || die "cannot write the keys file"
write_conf "$T/c.conf" "$PORT" "keys_file = \"$T/keys\";" "max_clients = $((N + 100));" \
	"max_agent_hosts = $((N + 100));"
OUT="$T/out/central.log"
start_collector "$T/c.conf" "$OUT"
# RSS before: once it has read the keys (it listens first)
wait_for 10 grep -q "listening on" "$T/collector.err" || die "collector did not say it is ready"

# -r 6 -d 10: every connection sends at least one frame in the 10 s
"$SCALE" -p "$PORT" -c "$N" -P "$CPID" -d 10 -r 6 -s 1 > "$T/scale.out" 2> "$T/scale.err"
echo "# $(cat "$T/scale.out")"
val() { sed -n "s/.* $1=\([0-9.-]*\).*/\1/p" "$T/scale.out"; }
check "all $N agents authenticated and held to the end" \
	[ "$(val held)" = "$N" -a "$(val held_end)" = "$N" ]
frames=$(val frames)
check "frames sent and acknowledged (${frames:-none})" [ "${frames:-0}" -ge "$N" -a "$(val skipped)" = 0 ]
# an acknowledged frame is in OUTPUT already (written and synced before its ack)
hosts=$(grep -oE ' sc[0-9]+: vmmanage\[' "$OUT" | sort -u | wc -l)
check "every agent's lines written ($hosts hosts)" [ "$hosts" = "$N" ]
check "every acknowledged frame written" [ "$(grep -c ' sc[0-9]*: vmmanage\[' "$OUT")" -ge "$frames" ]
base=$(val rss_base_kib) end=$(val rss_end_kib)
per=$(awk -v a="$base" -v b="$end" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / n }')
echo "# RSS $base KiB before, $(val rss_conn_kib) KiB connected, $end KiB after the frames: $per KiB a connection"
# AddressSanitizer's redzones and quarantine say nothing of what the collector holds
if asan; then
	echo "# the RSS bound is not checked under AddressSanitizer"
else
	check "RSS grows by under 1.3 KiB a connection ($per KiB)" \
		awk -v p="$per" -v b="$base" 'BEGIN { exit !(b > 0 && p > 0 && p < 1.3) }'
fi
finish
