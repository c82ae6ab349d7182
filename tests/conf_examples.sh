#!/bin/bash
# SPDX-License-Identifier: ISC
# The example configurations in conf/ load with `vmmanage -t`, with the policy, sensor and
# endpoint their comments promise, and use no key that their modules would ignore.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"

[ -x "$VMMANAGE" ] || die "no $VMMANAGE: build first"
[ -d "$MODULE_DIR" ] || die "no $MODULE_DIR: build first (make modules-stamp)"

# file, then what `vmmanage -t` must report
examples=(
	"vmmanage.conf|policy threshold, sensor load, endpoint exec"
	"nii1-threshold-mysql.conf|policy threshold, sensor mysql_slow, endpoint mln"
	"nii2-threshold-apache.conf|policy threshold, sensor apache_idle, endpoint mln"
	"nii3-base.conf|policy base, sensor mysql_slow, endpoint mln"
	"nii4-site.conf|policy site, sensor queue, endpoint mln"
	"nii5-schedule.conf|policy schedule, sensor mysql_slow, endpoint mln"
)

for e in "${examples[@]}"; do
	f=${e%%|*} want=${e#*|}
	src="$top_srcdir/conf/$f"
	if [ ! -f "$src" ]; then
		fail "conf/$f exists"
		continue
	fi
	# The build tree's modules and paths of our own; libconfig refuses a key twice, so
	# the file's own settings of these keys go first.
	grep -Ev '^[[:space:]]*(module_dir|policy_dir|state_dir|log_file|json_log_file|pid_file|control_socket)[[:space:]]*[=:]' \
		"$src" > "$T/$f"
	cat >> "$T/$f" <<-C
		module_dir = "$MODULE_DIR"
		state_dir = "$T/state"
		log_file = "$T/log/vmmanage.log"
		pid_file = "$T/run/vmmanage.pid"
		control_socket = "$T/run/vmmanage.sock"
	C
	"$VMMANAGE" -c "$T/$f" -t > "$T/out" 2>&1
	rc=$?
	check "conf/$f loads with -t: exit $rc $(grep -v '^vmmanage: mln:' "$T/out" | head -3 | tr '\n' ' ')" \
		test "$rc" = 0
	check "conf/$f: $want" grep -qF "($want," "$T/out"
	check "conf/$f sets no key its modules ignore" \
		sh -c "! grep -q 'which this configuration does not use' '$T/out'"
	check "conf/$f names a policy (none inferred)" sh -c "! grep -q 'policy is not set' '$T/out'"
	check "conf/$f says in a comment what it does" grep -q '^#' "$src"
	case $f in nii*)
		check "conf/$f names its thesis scenario" grep -qE '^# .*scenario [123]' "$src"
	esac
	check "-t wrote nothing" test ! -e "$T/state" -a ! -e "$T/log" -a ! -e "$T/run"
done
finish
