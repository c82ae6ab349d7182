# SPDX-License-Identifier: ISC
# Helpers for the collector tests; source after lib.sh.
COLLECTOR="$top_builddir/src/collector/vmmanage-collector"
DRIVER="$top_builddir/tests/logship_driver"
LOADGEN="$top_builddir/bench/collector_loadgen"
# The whole line as the thesis wrote it: EPOCH, date(1)'s date, "host: message".
STAMP_RE='[0-9]+ (Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [A-Z+0-9-]+ [0-9]{4}'

[ -x "$COLLECTOR" ] || skip "vmmanage-collector is not built"

# Directories the unprivileged collector writes (state, and the output's for SIGHUP).
collector_dirs() {
	mkdir -p "$T/state" "$T/out"
	chown nobody "$T/state" "$T/out" 2>/dev/null || chmod 777 "$T/state" "$T/out"
}

# write_conf FILE PORT [extra libconfig lines...]
write_conf() {
	local f=$1 port=$2; shift 2
	{
		echo "listen = [\"127.0.0.1:$port\", \"[::1]:$port\"];"
		echo "state_dir = \"$T/state\";"
		echo "user = \"nobody\";"
		local l; for l in "$@"; do echo "$l"; done
	} > "$f"
}

port_open() { nc -z "${2:-127.0.0.1}" "$1" 2>/dev/null; }

# start_collector CONF OUTPUT [args...]: sets CPID; logs to $T/collector.err
start_collector() {
	local conf=$1 out=$2; shift 2
	"$COLLECTOR" -f -c "$conf" -o "$out" "$@" 2>>"$T/collector.err" &
	CPID=$!
	on_exit "kill -9 $CPID"
	local port; port=$(sed -n 's/.*"127.0.0.1:\([0-9]*\)".*/\1/p' "$conf" | head -1)
	wait_for 10 port_open "$port" || { cat "$T/collector.err"; die "collector did not start"; }
}

# Lines of FILE that match the thesis format with HOST and MESSAGE exactly.
count_exact() { grep -cxE -- "$STAMP_RE $1: $2" "$3" || true; }

# The numbers N of "HOST: PREFIX N" lines, in file order.
seq_of() { grep -oE -- " $1: $2 [0-9]+\$" "$3" | awk '{print $NF}'; }
