#!/bin/bash
# SPDX-License-Identifier: ISC
# Per-host keys: with keys_file, an agent with its key writes; a wrong key, a host without
# a key, and an unsigned thesis or syslog line claiming a keyed host write nothing.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc od
[ -x "$DRIVER" ] || skip "logship_driver is not built"

key() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
K1=$(key) K2=$(key)
printf '# host key\nagent1 %s\n' "$K1" > "$T/keys"
chmod 644 "$T/keys"
PORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT" "keys_file = \"$T/keys\";"
OUT="$T/out/central.log"
"$COLLECTOR" -f -c "$T/c.conf" -o "$OUT" 2>"$T/perm.err"
check "a keys file readable by others is refused" grep -q "readable by others" "$T/perm.err"
chmod 600 "$T/keys"
start_collector "$T/c.conf" "$OUT"

echo "$K1" > "$T/k1"; echo "$K2" > "$T/k2"
chmod 600 "$T/k1" "$T/k2"
"$DRIVER" -c "127.0.0.1:$PORT" -s "$T/s1" -n 20 -H agent1 -k "$T/k1" -x signed -t 20 >/dev/null 2>&1
check "agent1 with its key: delivered" [ "$(seq_of agent1 signed "$OUT" | tr '\n' ' ')" = "$(seq -s ' ' 1 20) " ]
"$DRIVER" -c "127.0.0.1:$PORT" -s "$T/s2" -n 5 -H agent1 -k "$T/k2" -x forged -t 3 > "$T/d2.out" 2>&1
check "agent1 with a wrong key: not delivered" [ $? != 0 ]
"$DRIVER" -c "127.0.0.1:$PORT" -s "$T/s3" -n 5 -H agent9 -x nokey -t 3 > "$T/d3.out" 2>&1
check "a host without a key is refused" grep -q "no key for this host" "$T/collector.err"
echo "agent1: unsigned thesis line" | nc -N 127.0.0.1 "$PORT"
printf '<13>May  6 14:44:23 agent1 tag: unsigned syslog line\n' | nc -N 127.0.0.1 "$PORT"
echo "other: a host without a key may still use the thesis protocol" | nc -N 127.0.0.1 "$PORT"
wait_for 5 grep -q "other: " "$OUT"
check "nothing forged or unsigned from agent1 written" [ "$(grep -cE 'forged|unsigned|nokey' "$OUT")" = 0 ]
check "unkeyed host's thesis line written" [ "$(grep -c 'other: a host without a key' "$OUT")" = 1 ]
check "the wrong key is refused at AUTH, before any frame" grep -q "bad AUTH" "$T/collector.err"
finish
