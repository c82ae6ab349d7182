# SPDX-License-Identifier: ISC
# Shared helpers for the shell tests. Source it: . "$top_srcdir/tests/lib.sh"
# A test that cannot run here skips (77) by hand, but fails in CI (VMM_CI=1):
# there the suite installs everything and runs as root.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
VMMANAGE="$top_builddir/src/agent/vmmanage"
MODULE_DIR="$top_builddir/modules"
TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/vmm-$TEST_NAME.XXXXXX")
chmod 755 "$T"
_cleanups=()
on_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local rc=$? i
	for ((i=${#_cleanups[@]}-1; i>=0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1 || true; done
	if [ "$rc" -eq 0 ] || [ -n "${VMM_KEEP:-}" ]; then :; fi
	[ -n "${VMM_KEEP:-}" ] || rm -rf "$T"
	exit "$rc"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

_failures=0
_checks=0
skip() {
	if [ -n "${VMM_CI:-}" ]; then echo "FAIL (would skip, but CI must run it): $*"; exit 1; fi
	echo "SKIP: $*"; exit 77
}
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd() { local c; for c; do command -v "$c" >/dev/null 2>&1 || skip "needs $c"; done; }
ok()   { _checks=$((_checks+1)); echo "ok $_checks - $*"; }
fail() { _checks=$((_checks+1)); _failures=$((_failures+1)); echo "not ok $_checks - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
finish() { echo "# $_checks checks, $_failures failed"; [ "$_failures" -eq 0 ]; exit $?; }
die() { echo "not ok - $*"; exit 1; }

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
	local limit=$1; shift
	local end=$(( $(date +%s%N) + limit * 1000000000 ))
	while [ "$(date +%s%N)" -lt "$end" ]; do "$@" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# check_fails_with WHAT STATUS REGEX COMMAND...: one check that COMMAND refuses, both
# ways a user sees it: it exits with STATUS (a refusal that exits 0 passes a script by)
# and its output (stdout and stderr) matches the extended REGEX. The output is in OUT.
check_fails_with() {
	local what=$1 want=$2 re=$3 rc=0
	shift 3
	OUT=$("$@" 2>&1) || rc=$?
	check "$what: exit $rc (want $want): $(head -c 400 <<<"$OUT")" \
		sh -c '[ "$1" = "$2" ] && printf "%s\n" "$3" | grep -qE -- "$4"' _ "$rc" "$want" "$OUT" "$re"
}

# has_open PID FILE: process PID has FILE open (by that name: a file renamed since is not
# FILE any more), e.g. a daemon that reopened its log after a rotation.
has_open() {
	local f
	for f in /proc/"$1"/fd/*; do [ "$(readlink "$f" 2>/dev/null)" = "$2" ] && return 0; done
	return 1
}

# Count lines of FILE matching an extended regex (0 when the file is missing).
count_lines() { local n; n=$(grep -cE -- "$1" "$2" 2>/dev/null); echo "${n:-0}"; }
