#!/bin/bash
# SPDX-License-Identifier: ISC
# vmmanage-report on what a real agent sent a real collector: the collector's thesis-format
# output and its JSON lines, and the agent's own logs (cycle blocks and JSON), all tell the
# same story as `vmmanage status`: requests, confirmed and failed moves, where the VM ran.
# And the thesis's own Listings 4.3 and 4.4 read as the thesis printed them.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/sim_lib.sh"
COLLECTOR=$top_builddir/src/collector/vmmanage-collector
[ -x "$COLLECTOR" ] || die "no $COLLECTOR: build first"

port=$(free_port)
printf 'listen = ["127.0.0.1:%s"]\nstate_dir = "%s"\n' "$port" "$T/cstate" > "$T/collector.conf"
mkdir -p "$T/cstate" && { chown nobody "$T/cstate" 2>/dev/null || chmod 777 "$T/cstate"; }
chmod 777 "$T"
"$COLLECTOR" -c "$T/collector.conf" -f -o "$T/central.log" -j "$T/central.json" 2>"$T/collector.err" &
cpid=$!
on_exit "kill $cpid"
wait_for 10 nc -z 127.0.0.1 "$port" || { cat "$T/collector.err"; die "the collector did not start"; }

agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 2' 'daemon_interval = 0.2' \
	'cooldown = 0' 'max_moves_per_hour = 0' 'target_choice = "round_robin"' \
	'hosts = ["h1", "h2", "h3"]' 'location = "h1"' "collector = \"127.0.0.1:$port\"" \
	"json_log_file = \"$T/vmmanage.json\""
burst="60 60 1 1 1 1 1 1"
# a quiet spell after the second move: time to switch the endpoint to fail before the third
values $burst $burst $(yes 1 | head -n 20) $burst $burst 1 1 1 1 1 1 1 1 1 1
echo confirm > "$T/mode"
agent_start
wait_for 20 sh -c "[ \$(wc -l < '$T/moves' 2>/dev/null || echo 0) -ge 2 ]" || fail "two moves"
echo fail > "$T/mode"
wait_for 20 sh -c "[ \$(wc -l < '$T/moves' 2>/dev/null || echo 0) -ge 3 ]" || fail "a third move"
echo confirm > "$T/mode"
wait_cycles 58 || fail "58 cycles"
vmm status > "$T/status" 2>&1
agent_stop
wait_for 10 grep -q 'testvm: Stopping VMManage' "$T/central.log" || fail "the collector has it all"
kill "$cpid"; wait "$cpid" 2>/dev/null
read -r req conf unconf failed < <(sed -nE 's/^requests: ([0-9]+) \(confirmed ([0-9]+), unconfirmed ([0-9]+), failed ([0-9]+)\)$/\1 \2 \3 \4/p' "$T/status")
echo "# the agent says: $req requests, $conf confirmed, $unconf unconfirmed, $failed failed"
check "the agent moved and failed once" test "${req:-0}" -ge 3 -a "${failed:-0}" -ge 1

# ALL's row: requests confirmed failed unconf
all_row() { awk '$1 == "ALL" && NF >= 7 { print $2, $3, $4, $5; exit }' "$1"; }
for f in central.log central.json vmmanage.log vmmanage.json; do
	"$REPORT" -p 'h1=0.10' -p '*=0.12' "$T/$f" > "$T/report-$f" 2>&1 || fail "report on $f: exit $?"
	check "$f: requests, confirmed, failed, unconfirmed as the agent counted ($(all_row "$T/report-$f"))" \
		test "$(all_row "$T/report-$f")" = "$req $conf $failed $unconf"
	check "$f: nothing malformed" grep -q '^skipped: 0 malformed' "$T/report-$f"
	# the cycle blocks of vmmanage.log say nothing of where the VM is: there only the moves do
	if [ "$f" = vmmanage.log ]; then
		check "$f: residency on h2, where the first move went" grep -qE '^testvm +h2 ' "$T/report-$f"
	else
		check "$f: residency on h1 and h2" sh -c "grep -qE '^testvm +h1 ' '$T/report-$f' && grep -qE '^ +h2 ' '$T/report-$f'"
	fi
	check "$f: time to confirmation, $conf moves" grep -qE "^testvm .*\\[.*\\] \\($conf\\)$" "$T/report-$f"
	check "$f: cost priced, no host without a price" sh -c "! grep -q 'without a price' '$T/report-$f'"
done
# every known value the agent logged (a busy machine may time a sample out: unknown)
known=$(grep '"type":"cycle"' "$T/vmmanage.json" | grep -vc '"value":null')
for f in central.log vmmanage.log vmmanage.json; do
	n=$(awk '$1 == "testvm" && NF >= 10 { print $10; exit }' "$T/report-$f")
	check "$f: the cycles' values are read ($n of the $known known)" test "${n:-0}" -eq "$known" -a "$known" -ge 30
done
check "central.log is the thesis's format" grep -q '^formats: thesis/collector$' "$T/report-central.log"
check "central.json is the collector's JSON" grep -q '^formats: collector JSON$' "$T/report-central.json"
check "vmmanage.log: event lines and cycle blocks" grep -q '^formats: thesis/collector cycle blocks$' "$T/report-vmmanage.log"

# The thesis's Listing 4.4 (nii3's requests, on mainsyslog) and Listing 4.3 (its blocks)
TZ=Europe/Oslo "$REPORT" -H "$SIMDATA/thesis-nii3.log" > "$T/thesis.out" 2>&1
check "Listing 4.4: 25 requests, no outcome (the thesis could not tell)" \
	grep -qE '^nii3 +25 +0 +0 +0 +25 ' "$T/thesis.out"
check "Listing 4.4: 4 requests in the hour from 07:00 on May 14" grep -qE '^nii3 +Thu 2009-05-14 07:00 +4 +0$' "$T/thesis.out"
check "Listing 4.4: 5 in the hour from 10:00, the most" grep -qE '^nii3 .* 5 +[0-9.]+ +0 ' "$T/thesis.out"
check "Listing 4.4: nii3..mln is the base, nii3.2.mln host 2" \
	sh -c "grep -qE '^ +base +[0-9.]+ ' '$T/thesis.out' && grep -qE '^nii3 +2 +[0-9.]+ ' '$T/thesis.out'"
TZ=Europe/Oslo "$REPORT" "$SIMDATA/thesis-nii3-cycles.log" > "$T/blocks.out" 2>&1
check "Listing 4.3: 7 cycle blocks read" grep -qE '^nii3 .* 7  -$' "$T/blocks.out"
check "Listing 4.3: nothing malformed" grep -q '^skipped: 0 malformed' "$T/blocks.out"
finish
