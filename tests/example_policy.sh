#!/bin/bash
# SPDX-License-Identifier: ISC
# The example policy of vmmanage-policy(7), examples/policy/window.c: the page's listing
# is the file, the page's cc line builds it, `vmmanage -t` loads it from policy_dir and
# refuses it built for another ABI, and in the running daemon it decides as the page
# says: a move when 3 of the last 5 known samples are worse than the threshold, the
# window empty again after a move, unknown samples left out, equal ones not worse.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"

page=$top_srcdir/man/vmmanage-policy.7
src=$top_srcdir/examples/policy/window.c
built=$top_builddir/examples/policy/.libs
[ -f "$built/window.so" ] || die "no $built/window.so: build it with make check"
has() { grep -qE -- "$1" <<<"$2"; }

# The listing: the literal display after the comment that names the file, with mdoc's
# escapes undone.
awk '/^\.\\" This listing is examples\/policy\/window\.c/ { want = 1; next }
     want && /^\.Bd -literal/ { on = 1; want = 0; next }
     on && /^\.Ed/ { exit }
     on' "$page" | sed -e 's/\\e/\\/g' -e 's/\\&//g' > "$T/listing.c"
check "the page's listing is examples/policy/window.c" cmp -s "$T/listing.c" "$src"
diff -u "$src" "$T/listing.c" | head -20

# The page's build line, with the source tree's headers for the installed ones.
line=$(sed -n 's/^\$ cc //p' "$page" | head -1)
check "the page shows a cc line" test -n "$line"
mkdir -p "$T/cc" "$T/abi"
args=()
for a in $line; do
	case $a in
		-I*) args+=("-I$top_srcdir/include") ;;
		window.so) args+=("$T/cc/window.so") ;;
		window.c) args+=("$src") ;;
		*) args+=("$a") ;;
	esac
done
check "the page's line builds the example warning-free: cc ${args[*]}" \
	"${CC:-cc}" -Werror "${args[@]}"
check "the module exports vmm_policy_entry alone" \
	test "$(nm -D --defined-only "$T/cc/window.so" | awk '{ print $3 }')" = vmm_policy_entry

# -t loads the module that make check built, and the one the page's line built.
agent_conf 'policy = "window"' "policy_dir = \"$built\"" 'threshold = 50' 'window = 5' \
	'window_hits = 3' 'daemon_interval = 0.3' 'cooldown = 1' 'max_moves_per_hour = 0' \
	'hosts = ["h1", "h2", "h3"]' 'location = "h1"'
out=$(vmm -t 2>&1)
check "vmmanage -t loads the built module: $out" \
	has 'configuration OK \(policy window, sensor exec, endpoint exec, 3 hosts' "$out"
check "no warning: the policy declares its keys" test "$(grep -c warning <<<"$out")" = 0
sed "s|^policy_dir = .*|policy_dir = \"$T/cc\"|" "$T/vmm.conf" > "$T/cc.conf"
check "vmmanage -t loads the module built with the page's line" \
	sh -c "'$VMMANAGE' -c '$T/cc.conf' -t | grep -q 'policy window'"

# Refused: another policy ABI; a window_hits larger than the window; no threshold.
sed 's/\.abi = VMM_POLICY_ABI,/.abi = VMM_POLICY_ABI + 1,/' "$src" > "$T/abi/window.c"
"${CC:-cc}" -shared -fPIC -I"$top_srcdir/include" -o "$T/abi/window.so" "$T/abi/window.c"
sed "s|^policy_dir = .*|policy_dir = \"$T/abi\"|" "$T/vmm.conf" > "$T/abi.conf"
out=$("$VMMANAGE" -c "$T/abi.conf" -t 2>&1); rc=$?
check "another ABI is refused (exit $rc): $out" test "$rc" = 1
check "... saying which and what to do" \
	has 'window\.so: built for policy ABI 2 \(size [0-9]+\), this vmmanage has ABI 1: rebuild the module' "$out"
sed 's/^window_hits = 3/window_hits = 6/' "$T/vmm.conf" > "$T/hits.conf"
out=$("$VMMANAGE" -c "$T/hits.conf" -t 2>&1); rc=$?
check "window_hits above window is refused (exit $rc): $out" test "$rc" = 1
check "... naming the key, file and line" \
	has 'policy window: .*/hits\.conf:[0-9]+: window_hits: 6 is out of range \(1 to 5\)' "$out"
sed '/^threshold = /d' "$T/vmm.conf" > "$T/nothr.conf"
out=$("$VMMANAGE" -c "$T/nothr.conf" -t 2>&1); rc=$?
check "a missing threshold is refused (exit $rc): $out" test "$rc" = 1
check "... saying what to add" has 'nothr\.conf: threshold is not set: add e\.g\. threshold = 50' "$out"

# The daemon. Windows (worse = 1), the count the log shows, and the request:
#   60 40 60 40 60       1 1 2 2 -> 3 of 5: move (window empty again; count 0)
#   60 60 40 40 40 40 40 60      two worse, then they leave the window: no move
#   60 unknown 50 unknown 60     unknown left out, 50 is not worse: 3 of 5, move
#   40 40 40                     quiet
# The threshold policy (tarry 3) would not move at all on these.
values 60 40 60 40 60  60 60 40 40 40 40 40 60  60 unknown 50 unknown 60  40 40 40
agent_start
wait_cycles 21 60 || fail "21 cycles within 60 s (got $(cycles))"
vmm status > "$T/status" 2>&1
agent_stop

check "two requests, both move: $(moves | tr '\n' ' ')" \
	test "$(moves | awk '{ print $1 }' | tr '\n' ' ')" = "move move "
check "counts 1 1 2 2 0 for 60 40 60 40 60" \
	test "$(grep -E '^count:' "$T/vmmanage.log" | head -5 | awk '{ print $2 }' | tr '\n' ' ')" = "1 1 2 2 0 "
n=$(grep -cE 'Now using h[0-9] \(indicator 60, 3 of the last 5 samples above 50\)' "$T/vmmanage.log")
check "both requests logged with the policy's reason ($n)" test "$n" = 2
check "the first request came on the 5th sample" \
	test "$(awk '/^\*\*-----\*\*$/ { n++ } /Requesting migration/ { print n; exit }' "$T/vmmanage.log")" = 5
check "the second on the 18th (unknowns skipped, 50 not worse)" \
	test "$(awk '/^\*\*-----\*\*$/ { n++ } /Requesting migration/ { r++; if (r == 2) { print n; exit } }' "$T/vmmanage.log")" = 18
check "status names the policy and its threshold" \
	sh -c "grep -qx 'policy: window' '$T/status' && grep -qx 'threshold: 50' '$T/status'"
finish
