#!/bin/bash
# Configuration errors name the file and the line and say how to mend; -t checks.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"

t_conf() { printf '%s\n' "$@" > "$T/c.conf"; "$COLLECTOR" -t -c "$T/c.conf" -o /dev/null 2>&1; }

out=$(t_conf 'listen = ["127.0.0.1:31000"];' 'max_line = 4096;' 'allow = ["10.0.0.0/8"];')
check "a good file passes -t" grep -q "configuration OK" <<<"$out"
out=$(t_conf 'max_line = 4096;' 'user = nobody;')
check "bare word: file, line 2 and a hint about quotes ($out)" grep -q "c.conf:2: .*strings need double quotes" <<<"$out"
out=$(t_conf 'max_line = "8k";')
check "wrong type names the key and the line ($out)" grep -q "c.conf:1: max_line must be a number" <<<"$out"
out=$(t_conf 'listen = ["127.0.0.1:31000"];' 'maxline = 3;')
check "unknown key named with its line ($out)" grep -q 'c.conf:2: unknown key "maxline"' <<<"$out"
out=$(t_conf 'allow = ["10.0.0.0/33"];')
check "bad CIDR explained ($out)" grep -q "c.conf:1: allow: .*prefix length must be 0..32" <<<"$out"
out=$(t_conf 'idle_timeout = 0;')
check "out of range explained ($out)" grep -q "idle_timeout = 0 is out of range" <<<"$out"
out=$(t_conf 'listen = ["localhost:31000"];')
check "listen needs numeric addresses ($out)" grep -q "not a numeric IPv4 or IPv6 address" <<<"$out"
out=$("$COLLECTOR" -c /nonexistent/c.conf -o /dev/null 2>&1)
check "a missing -c file is an error ($out)" grep -q "/nonexistent/c.conf: cannot read" <<<"$out"
printf 'state_dir = "/tmp";\n' > "$T/c.conf"
out=$("$COLLECTOR" -f -c "$T/c.conf" 2>&1)
check "no output: says how to give one ($out)" grep -q "give -o OUTPUT" <<<"$out"
finish
