#!/bin/bash
# SPDX-License-Identifier: ISC
# Names are what they say: with vm1 keyed, no unsigned line claiming "VM1", "vm1." or
# "Vm1.." (thesis or syslog, RFC 3164 or 5424) is written; an agent that proves vm1's key
# under another spelling is written as vm1, one without the key not at all. Bidi controls
# and zero-width characters reach neither output file as such.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc od
[ -x "$DRIVER" ] || skip "logship_driver is not built"

od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$T/k1"
chmod 600 "$T/k1"
PORT=$(free_port)
collector_dirs
write_conf "$T/c.conf" "$PORT" "keys_file = \"$T/keys\";"
OUT="$T/out/central.log" JSON="$T/out/central.json"
# two keys for names that fold alike would make one of them a look-alike of the other
printf 'vm1 %s\nVM1. %s\n' "$(cat "$T/k1")" "$(cat "$T/k1")" > "$T/keys"
chmod 600 "$T/keys"
"$COLLECTOR" -f -c "$T/c.conf" -o "$OUT" 2> "$T/dup.err"
check "keys for vm1 and VM1. are refused, with file and line" grep -q "keys:2: a second key for vm1" "$T/dup.err"
printf 'vm1 %s\n' "$(cat "$T/k1")" > "$T/keys"
start_collector "$T/c.conf" "$OUT" -j "$JSON"

send() { printf '%b' "$1" | nc -N 127.0.0.1 "$PORT"; }
send 'VM1: forged upper\n'
send 'vm1.: forged dot\n'
send 'Vm1..: forged dots\n'
send '<13>May  6 14:44:23 VM1 tag: forged syslog upper\n'
send '<13>May  6 14:44:23 vm1. tag: forged syslog dot\n'
send '<14>1 2009-05-06T14:44:23Z vM1. app - - - forged 5424\n'
"$DRIVER" -c "127.0.0.1:$PORT" -s "$T/s1" -n 2 -H VM1. -k "$T/k1" -x proven -t 20 >/dev/null 2>&1
check "an agent proving vm1's key as \"VM1.\" is taken" [ $? = 0 ]
"$DRIVER" -c "127.0.0.1:$PORT" -s "$T/s2" -n 2 -H VM1 -x nokey -t 3 > "$T/nokey.out" 2>&1
check "\"VM1\" without the key is not" [ $? != 0 ]
# bidi override, isolate, zero width space, BOM and an Arabic letter mark in a message
send 'other: pay \xe2\x80\xae1gpj.exe\xe2\x81\xa6 zero\xe2\x80\x8bwidth \xef\xbb\xbfbom \xd8\x9cmark\n'
send 'other: last\n'
wait_for 10 grep -q "other: last" "$OUT" || die "the unkeyed host's lines were not written"
check "no forged line claiming a look-alike of vm1 written" [ "$(grep -c forged "$OUT")" = 0 ]
check "the refusals name the claimed and the keyed name" grep -q "claiming host VM1 (vm1 has a key)" "$T/collector.err"
check "the proven agent is written as vm1" [ "$(seq_of vm1 proven "$OUT" | tr '\n' ' ')" = "1 2 " ]
check "no line under a look-alike name" [ "$(grep -ciE ' (vm1\.+|VM1|Vm1|vM1): ' "$OUT")" = "$(grep -c ' vm1: ' "$OUT")" ]
check "the invisible characters are escaped in OUTPUT" \
	grep -qF 'other: pay \xe2\x80\xae1gpj.exe\xe2\x81\xa6 zero\xe2\x80\x8bwidth \xef\xbb\xbfbom \xd8\x9cmark' "$OUT"
check "... and in the JSON file" \
	grep -qF '"msg":"pay \\xe2\\x80\\xae1gpj.exe\\xe2\\x81\\xa6 zero\\xe2\\x80\\x8bwidth \\xef\\xbb\\xbfbom \\xd8\\x9cmark"' "$JSON"
check "no raw bidi, zero-width or BOM byte sequence in either file" \
	[ "$(cat "$OUT" "$JSON" | LC_ALL=C grep -cP '\xe2\x80[\x8b-\x8f\xaa-\xae]|\xe2\x81[\xa0-\xa9]|\xef\xbb\xbf|\xd8\x9c')" = 0 ]
finish
