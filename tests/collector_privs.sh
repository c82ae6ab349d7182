#!/bin/bash
# SPDX-License-Identifier: ISC
# Root and the service user: the collector's user owns the log directory and state_dir,
# so it can plant links there. Started as root, the collector must never open, truncate
# or chown through them: a link to a root-owned 0600 file stays root's, unchanged and
# unreadable to that user, and the start fails saying why. Then the ordinary life of the
# files: created by the user, reopened on SIGHUP after a rotation, a missing state_dir
# created for the user (0750), the pid file written as root.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd nc runuser sha256sum
id nobody >/dev/null 2>&1 || skip "needs the user nobody"

as_nobody() { runuser -u nobody -- "$@"; }

PORT=$(free_port)
collector_dirs
# targets of the attack: root's files in a directory root owns, never real system files
mkdir -m 0755 "$T/root"
printf 'root secret\n' > "$T/root/target"
printf 'root json secret\n' > "$T/root/jtarget"
chmod 0600 "$T/root/target" "$T/root/jtarget"
sum_before=$(cat "$T/root/target" "$T/root/jtarget" | sha256sum)
as_nobody ln -s "$T/root/target" "$T/out/central.log"
as_nobody ln -s "$T/root/jtarget" "$T/out/central.json"
# and a state file that asks the recovery to cut the target at offset 0
dev_ino=$(stat -c '%d %i' "$T/root/target")
as_nobody sh -c "printf 'vmmanage-collector seqdb 1\nbatch $dev_ino 0 1000000\n' > '$T/state/seq.state'"

write_conf "$T/c.conf" "$PORT" "pid_file = \"$T/c.pid\";"
OUT="$T/out/central.log"
out=$("$COLLECTOR" -c "$T/c.conf" -o "$OUT" -j "$T/out/central.json" 2>&1); rc=$?
pid=$(cat "$T/c.pid" 2>/dev/null)
[ -z "$pid" ] || on_exit "kill -9 $pid"
check "a start through a planted link fails ($rc)" test "$rc" = 1
check "and says why ($out)" grep -q "central.log: Permission denied (the collector opens it as its user" <<<"$out"
check "the target is still root's, mode 0600 ($(stat -c '%U %a' "$T/root/target"))" \
	test "$(stat -c '%U %a' "$T/root/target") $(stat -c '%U %a' "$T/root/jtarget")" = "root 600 root 600"
check "the targets are unchanged (not truncated, nothing appended)" \
	test "$(cat "$T/root/target" "$T/root/jtarget" | sha256sum)" = "$sum_before"
check "and still unreadable to the service user" sh -c "! runuser -u nobody -- cat '$T/root/target' 2>/dev/null"
check "no pid file left behind" test ! -e "$T/c.pid"

# the ordinary case: the user's own files
rm -f "$T/out/central.log" "$T/out/central.json" "$T/state/seq.state"
rmdir "$T/state"
start_collector "$T/c.conf" "$OUT" -j "$T/out/central.json"
# it listens before it drops privileges; this line comes once it has opened its files
wait_for 10 grep -q "listening on" "$T/collector.err" || die "not ready: $(cat "$T/collector.err")"
check "a missing state_dir is created for the user, 0750 ($(stat -c '%U %a' "$T/state"))" \
	test "$(stat -c '%U %a' "$T/state")" = "nobody 750"
check "the pid file is written as root ($(stat -c '%U' "$T/c.pid"))" test "$(stat -c '%U' "$T/c.pid")" = root
echo "privhost: before rotation" | nc -N 127.0.0.1 "$PORT"
wait_for 10 grep -q "privhost: before rotation" "$OUT"
check "the output is created by the user ($(stat -c '%U %a' "$OUT"))" test "$(stat -c '%U %a' "$OUT")" = "nobody 640"
mv "$OUT" "$OUT.1"
kill -HUP "$CPID"
wait_for 10 grep -q "outputs reopened" "$T/collector.err"
echo "privhost: after rotation" | nc -N 127.0.0.1 "$PORT"
wait_for 10 grep -q "privhost: after rotation" "$OUT"
check "after SIGHUP a new output is written, the user's" \
	sh -c "test \"\$(stat -c %U '$OUT')\" = nobody && grep -q 'privhost: after rotation' '$OUT'"
check "the rotated file kept its line" grep -q "privhost: before rotation" "$OUT.1"
kill "$CPID"
finish
