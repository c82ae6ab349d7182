#!/bin/bash
# SPDX-License-Identifier: ISC
# Configuration errors name the file and the line and say how to mend; -t checks.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"

t_conf() { printf '%s\n' "$@" > "$T/c.conf"; "$COLLECTOR" -t -c "$T/c.conf" -o /dev/null 2>&1; }
# refused WHAT REGEX LINES...: -t on a file of these lines exits 1 and says REGEX
refused() {
	local what=$1 re=$2
	shift 2
	printf '%s\n' "$@" > "$T/c.conf"
	check_fails_with "$what" 1 "$re" "$COLLECTOR" -t -c "$T/c.conf" -o /dev/null
}

out=$(t_conf 'listen = ["127.0.0.1:31000"];' 'max_line = 4096;' 'allow = ["10.0.0.0/8"];'); rc=$?
check "a good file passes -t: exit $rc ($out)" sh -c "test $rc = 0 && echo '$out' | grep -q 'configuration OK'"
refused "bare word: file, line 2 and a hint about quotes" "c.conf:2: .*strings need double quotes" \
	'max_line = 4096;' 'user = nobody;'
refused "wrong type names the key and the line" "c.conf:1: max_line must be a number" 'max_line = "8k";'
refused "unknown key named with its line" 'c.conf:2: unknown key "maxline"' \
	'listen = ["127.0.0.1:31000"];' 'maxline = 3;'
refused "bad CIDR explained" "c.conf:1: allow: .*prefix length must be 0..32" 'allow = ["10.0.0.0/33"];'
refused "out of range explained" "idle_timeout = 0 is out of range" 'idle_timeout = 0;'
refused "listen needs numeric addresses" "not a numeric IPv4 or IPv6 address" 'listen = ["localhost:31000"];'
check_fails_with "a missing -c file is an error" 1 "/nonexistent/c.conf: cannot read" \
	"$COLLECTOR" -c /nonexistent/c.conf -o /dev/null
printf 'state_dir = "/tmp";\n' > "$T/c.conf"
check_fails_with "no output: says how to give one" 1 "give -o OUTPUT" timeout 20 "$COLLECTOR" -f -c "$T/c.conf"

# -t prints its verdict for the shipped example, also before state_dir exists
sed "s|^state_dir = .*|state_dir = \"$T/nostate\";|" "$top_srcdir/conf/collector.conf" > "$T/shipped.conf"
out=$("$COLLECTOR" -t -c "$T/shipped.conf" -o "$T/o.log" 2>&1); rc=$?
check "the shipped example passes -t before state_dir exists ($rc)" test "$rc" = 0
check "and -t prints its verdict ($out)" grep -q "^$T/shipped.conf: configuration OK" <<<"$out"
check "and -t says state_dir will be created" grep -q "nostate does not exist yet: it is created at start" <<<"$out"
out=$("$COLLECTOR" -t -c "$T/shipped.conf" 2>&1); rc=$?
check "-t without an output exits 1 ($rc)" test "$rc" = 1
check "and says so ($out)" grep -q "no output file: give -o OUTPUT or set output in $T/shipped.conf" <<<"$out"
printf 'user = "no-such-user-vmm";\n' > "$T/c.conf"
out=$("$COLLECTOR" -t -c "$T/c.conf" -o "$T/o.log" 2>&1); rc=$?
check "-t refuses a user that does not exist ($rc)" test "$rc" = 1
check "and names it ($out)" grep -q 'c.conf: user "no-such-user-vmm" does not exist' <<<"$out"

# as a daemon, the parent returns only once the collector is ready, or with its reason
port=$(free_port)
mkdir -p "$T/st"
printf 'listen = ["127.0.0.1:%s"];\nstate_dir = "%s";\npid_file = "%s";\nuser = "no-such-user-vmm";\n' \
	"$port" "$T/st" "$T/c.pid" > "$T/c.conf"
out=$("$COLLECTOR" -c "$T/c.conf" -o "$T/out.log" 2>&1); rc=$?
check "a daemon that cannot become its user: the start exits 1 ($rc)" test "$rc" = 1
check "and the parent says why ($out)" grep -q 'user "no-such-user-vmm" does not exist' <<<"$out"
check "and leaves no pid file behind" test ! -e "$T/c.pid"
sed -i '/^user = /d' "$T/c.conf"
[ "$(id -u)" = 0 ] && echo 'user = "root";' >> "$T/c.conf"
"$COLLECTOR" -c "$T/c.conf" -o "$T/out.log"; rc=$?
pid=$(cat "$T/c.pid" 2>/dev/null)
on_exit "kill $pid"
check "a good start exits 0 once it is ready ($rc), its pid file naming a live process" \
	sh -c "test $rc = 0 && kill -0 $pid"
check "and it answers at once" nc -z 127.0.0.1 "$port"
kill "$pid"
finish
