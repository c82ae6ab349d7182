# SPDX-License-Identifier: ISC
# Helpers for the simulator's and the report's tests; source after lib.sh.
SIM="$top_builddir/src/sim/vmmanage-sim"
REPORT="$top_builddir/src/report/vmmanage-report"
SIMDATA="$top_srcdir/tests/data/sim"
[ -x "$SIM" ] || die "no $SIM: build first"
[ -x "$REPORT" ] || die "no $REPORT: build first"
[ -d "$MODULE_DIR" ] || die "no $MODULE_DIR: build first (make modules-stamp)"

# sim_copy DIR FILE...: copy simulation files and vmmanage.conf files into $T; the confs
# get the build tree's modules (a conf may not set a key twice, so theirs goes first).
sim_copy() {
	local dir=$1 f; shift
	for f; do
		case $f in
		*.conf)
			grep -Ev '^[[:space:]]*module_dir[[:space:]]*=' "$dir/$f" > "$T/$f"
			echo "module_dir = \"$MODULE_DIR\"" >> "$T/$f" ;;
		*) cp "$dir/$f" "$T/$f" ;;
		esac
	done
}

# col FILE COLUMN [KEY=VALUE...]: COLUMN of the CSV rows whose named columns match.
col() {
	local file=$1 c=$2; shift 2
	awk -F, -v c="$c" -v conds="$*" '
		NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; n = split(conds, cs, " "); next }
		{ ok = 1; for (k = 1; k <= n; k++) { split(cs[k], kv, "="); if ($(idx[kv[1]]) != kv[2]) ok = 0 }
		  if (ok) print $(idx[c]) }' "$file"
}

# sim_office_pair LINE: the 8-VM office week (tests/data/sim/office.sim) with --compare,
# into off/ as shipped and into on/ (and on-ours.log) with LINE added to both confs.
sim_office_pair() {
	sim_copy "$SIMDATA" office.sim office-thr.conf office-base.conf
	cd "$T" || die "no $T"
	"$SIM" --compare -q -o off office.sim > off.out 2>&1 || { cat off.out; die "office.sim"; }
	echo "$1" | tee -a office-thr.conf >> office-base.conf
	"$SIM" --compare -q -o on -l on.log office.sim > on.out 2>&1 || { cat on.out; die "office.sim, $1"; }
}
