#!/bin/bash
# SPDX-License-Identifier: ISC
# A bad simulation file, trace or vmmanage.conf is reported as file:line with what to
# write instead, and nothing runs.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"

sim_copy "$SIMDATA" flap.sim flap.conf
cd "$T" || die "no $T"
# expect NAME REGEX: run on $T/NAME.sim, must fail with REGEX on stderr and print nothing
expect() {
	local name=$1 re=$2 rc=0
	"$SIM" "$name.sim" > "$name.out" 2> "$name.err" || rc=$?
	check "$name: exit 1 ($rc)" test "$rc" = 1
	check "$name: '$(head -c 300 "$name.err")' matches '$re'" grep -qE -- "$re" "$name.err"
	check "$name: nothing on stdout" test ! -s "$name.out"
}
"$SIM" --check flap.sim > check.out 2>&1
check "--check on a good file: OK" grep -q 'flap.sim: 4 hosts, 1 VMs: OK' check.out

h2=$(grep -n 'name = "f2"' flap.sim | cut -d: -f1)   # the line of host f2
vm=$(grep -n 'name = "flap"' flap.sim | cut -d: -f1)  # of the VM
dl=$((vm + 1))                                         # of its demand
sed "${h2}s/capacity = 4.0;/capacity = = 4.0;/" flap.sim > syntax.sim
expect syntax "^vmmanage-sim: (\./)?syntax\.sim:$h2: syntax error"
sed "${h2}s/capacity/capacty/" flap.sim > typo.sim
expect typo "typo\.sim:$h2: unknown key 'capacty' in a host: did you mean 'capacity'\?"
sed "${h2}s/capacity = 4.0; //" flap.sim > nocap.sim
expect nocap "nocap\.sim:$h2: host 'f2': capacity is not set: add e\.g\. capacity = 8\.0"
sed 's/name = "f4"/name = "f9"/; s/start = "f4"/start = "f1"/' flap.sim > nohost.sim
expect nohost "nohost\.sim:$vm: VM 'flap': .*flap\.conf names host 'f4', which the simulation file does not define: add \{ name = \"f4\";"
sed 's/start = "f4"/start = "f7"/' flap.sim > start.sim
expect start "start\.sim:$vm: start: no host 'f7' in hosts"
sed 's/days = 2;/days = "two";/' flap.sim > type.sim
expect type "type\.sim:[0-9]+: days: expected a number, got a string"
sed 's/shape = "square"/shape = "triangle"/' flap.sim > shape.sim
expect shape "shape\.sim:$dl: shape: 'triangle' is neither \"sine\" nor \"square\""
printf 'time,value\n0,1\n60,2\n120,x\n' > bad.csv
sed 's/demand = { mean = 1.4;/demand = { csv = "bad.csv"; mean = 1.4;/' flap.sim > csv.sim
expect csv "csv\.sim:$dl: csv: .*bad\.csv:4: the value is not a number: '120,x'"
printf '0,1\n60,2\n60,3\n' > order.csv
sed 's/demand = { mean = 1.4;/demand = { csv = "order.csv"; mean = 1.4;/' flap.sim > order.sim
expect order "order\.csv:3: times must increase"
grep -v '^threshold' flap.conf > nothr.conf
sed 's/"flap.conf"/"nothr.conf"/' flap.sim > nothr.sim
expect nothr "nothr\.sim:$vm: VM 'flap': .*nothr\.conf.*threshold is not set: add e\.g\. threshold = 50"
sed 's/"flap.conf"/"missing.conf"/' flap.sim > noconf.sim
expect noconf "noconf\.sim:$vm: VM 'flap': .*missing\.conf: cannot read"
sed 's/start = "f4";/start = "f4"; count = 2.5;/' flap.sim > count.sim
expect count "count\.sim:$vm: count: a whole number"
rc=0; "$SIM" no-such.sim > /dev/null 2> nofile.err || rc=$?
check "a missing file: exit 1, says so ($(cat nofile.err))" sh -c "test $rc = 1 && grep -q 'no-such.sim: cannot read' nofile.err"
rc=0; "$SIM" --bogus flap.sim > /dev/null 2>&1 || rc=$?
check "an unknown option: exit 2" test "$rc" = 2
finish
