#!/bin/bash
# SPDX-License-Identifier: ISC
# vmmanage -t: the thesis's configs load; errors name file and line and say how to mend.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"

conf() { printf '%s\n' "$@" > "$T/c.conf"; }
t() { "$VMMANAGE" -c "$T/c.conf" -t > "$T/out" 2>&1; }
# refused WHAT REGEX: -t refuses the config with exit 1 and a message matching REGEX (ERE)
refused() { check_fails_with "$1" 1 "$2" "$VMMANAGE" -c "$T/c.conf" -t; }
m="module_dir = \"$MODULE_DIR\""

# Listing 3.8 exactly as printed (nii5), plus where this build keeps its modules
conf '#configuration file for mysqlstatus - vmmanage' '' 'daemon_interval=60' 'threshold=50' \
	'tarry=3' 'lowthreshold=1' 'lowtarry=20' 'workstart=108' 'workstop=170' "$m"
t; rc=$?
check "Listing 3.8 loads: exit $rc" test "$rc" = 0
check "as the schedule policy, inferred and said" grep -q "using 'schedule'" "$T/out"

# Listing 3.9 as printed: the unquoted string
conf '#configuration file for queue processing – vmmanage' 'daemon_interval=120' 'threshold=2' \
	'bigjobs=grade a' "$m"
t; rc=$?
check "Listing 3.9 unquoted fails: exit $rc" test "$rc" = 1
check "naming file and line and the mend" grep -q 'c.conf:4: syntax error (strings need double quotes: write bigjobs = "grade a")' "$T/out"
conf '#configuration file for queue processing – vmmanage' 'daemon_interval=120' 'threshold=2' \
	'bigjobs="grade a"' "$m"
t; rc=$?
check "Listing 3.9 quoted loads: exit $rc ($(tail -1 "$T/out"))" test "$rc" = 0

conf 'policy = "threshold"' 'treshold = 50' "$m"
refused "a typo is an error with a suggestion" "c.conf:2: unknown key 'treshold' \\(did you mean 'threshold'\\?\\)"
conf 'policy = "threshold"' 'threshold = "50"' "$m"
refused "a wrong type names key, line and type" 'c.conf:2: threshold: expected a number, got a string'
conf 'policy = "thresold"' 'threshold = 50' "$m"
refused "a missing policy module, the available ones listed" "available policy modules: .*threshold"
conf 'policy = "threshold"' 'threshold = 50' 'lowtarry = 4' 'sensor = "exec"' \
	'sensor_command = "/bin/echo 1"' 'endpoint = "exec"' 'endpoint_command = "/bin/true"' "$m"
t; rc=$?
check "a key of another policy only warns: exit $rc" sh -c "test $rc = 0 && grep -q 'lowtarry is read by the base and schedule policies' '$T/out'"
conf 'policy = "base"' 'threshold = 5' 'lowthreshold = 10' "$m"
refused "lowthreshold on the wrong side is refused" 'lowthreshold = 10 must be below threshold = 5'
conf 'policy = "threshold"' 'threshold = 5' 'hosts = ["a", "b"]' 'base = "a"' "$m"
refused "a base inside the array is refused" "base 'a' is also in hosts"
conf 'policy = "threshold"' 'threshold = 5' 'daemon_interval = 2' 'sensor_timeout = 5' "$m"
refused "a sensor timeout past the interval is refused" \
	'sensor_timeout \(5 s\) must be above 0 and below daemon_interval \(2 s\)'

# a module built for another ABI
cat > "$T/bad.c" <<'C'
#include <stdint.h>
struct ops { uint32_t abi, size; const char *name; };
static const struct ops bad = { 99, sizeof(bad), "bad" };
const struct ops *vmm_policy_entry(void);
const struct ops *vmm_policy_entry(void) { return &bad; }
C
mkdir -p "$T/pol"
cc -shared -fPIC -o "$T/pol/bad.so" "$T/bad.c" || die "cc"
conf 'policy = "bad"' "policy_dir = \"$T/pol\"" "$m"
refused "a module of another ABI is refused clearly" 'built for policy ABI 99 .* rebuild the module'
# The keys of a module installed but not configured come from the module itself; a file
# in a module dir that is no usable module costs one warning, not the start.
cat > "$T/frob.c" <<'C'
#include <vmmanage/policy.h>
static const char *const frob_keys[] = { "frob_level", NULL };
static const struct vmm_policy_ops frob = { .abi = VMM_POLICY_ABI, .size = sizeof(frob),
	.name = "frob", .keys = frob_keys };
const struct vmm_policy_ops *vmm_policy_entry(void) { return &frob; }
C
cc -shared -fPIC -I"$top_srcdir/include" -o "$T/pol/frob.so" "$T/frob.c" || die "cc frob"
echo 'not a shared object' > "$T/pol/junk.so"
ln -s "$MODULE_DIR/policies/threshold.so" "$T/pol/threshold.so"
conf 'policy = "threshold"' 'threshold = 5' 'frob_level = 2' "policy_dir = \"$T/pol\"" \
	'sensor = "exec"' 'sensor_command = "/bin/echo 1"' 'endpoint = "exec"' \
	'endpoint_command = "/bin/true"' "$m"
t; rc=$?
check "a key of a policy installed beside the one in use only warns: exit $rc ($(tail -1 "$T/out"))" test "$rc" = 0
check "naming that policy as it names itself" \
	grep -q "c.conf:3: frob_level is read by the frob policy, which this configuration does not use; ignored" "$T/out"
check "a file there that is no module is warned about once" test "$(grep -c 'junk.so: .*; not in use, but its keys are not known either' "$T/out")" = 1
check "and so is a module of another ABI" grep -q 'bad.so: built for policy ABI 99 .*; not in use, but its keys are not known either' "$T/out"
conf 'policy = "threshold"' 'threshold = 5' 'frob_levl = 2' "policy_dir = \"$T/pol\"" "$m"
refused "a typo of an installed module's key is an error with its suggestion" \
	"c.conf:3: unknown key 'frob_levl' \\(did you mean 'frob_level'\\?\\)"
# the thesis's variables: numbers where a host name is meant, also for home and away
conf 'policy = "site"' 'threshold = 2' 'bigjobs = "grade a"' 'hosts = ["1", "2"]' 'home=1' 'away=2' \
	'sensor = "exec"' 'sensor_command = "/bin/echo 1"' 'endpoint = "exec"' \
	'endpoint_command = "/bin/true"' "$m"
t; rc=$?
check "home=1 and away=2 (numbers as host names) load: exit $rc ($(tail -1 "$T/out"))" test "$rc" = 0
conf 'policy = "site"' 'threshold = 2' 'bigjobs = "grade a"' 'hosts = ["1", "2"]' 'away = [3, 4]' \
	'sensor = "exec"' 'sensor_command = "/bin/echo 1"' 'endpoint = "exec"' \
	'endpoint_command = "/bin/true"' "$m"
t; rc=$?
check "a list of numbers as host names loads: exit $rc ($(tail -1 "$T/out"))" test "$rc" = 0
conf 'policy = "site"' 'threshold = 2' 'bigjobs = "grade a"' 'home = true' "$m"
t; rc=$?
check "true is no host name: exit $rc" test "$rc" = 1
check "and says what is wanted ($(tail -1 "$T/out"))" grep -q 'c.conf:4: home: expected a list of names' "$T/out"

# an unquoted address is a string that needs quotes, like any other
conf 'policy = "site"' 'threshold = 2' 'bigjobs = "grade a"' 'home_broadcast=1.2.3.255' "$m"
t; rc=$?
check "an unquoted address fails: exit $rc" test "$rc" = 1
check "with the quoting hint ($(tail -1 "$T/out"))" \
	grep -q 'c.conf:4: syntax error (strings need double quotes: write home_broadcast = "1.2.3.255")' "$T/out"

# @include: relative to the including file, wherever vmmanage runs; errors name the
# included file and its line
mkdir -p "$T/etc/site" "$T/elsewhere"
printf '%s\n' 'policy = "threshold"' '@include "site/thresholds.conf"' \
	'sensor = "exec"' 'sensor_command = "/bin/echo 1"' 'endpoint = "exec"' \
	'endpoint_command = "/bin/true"' "$m" >"$T/etc/vmm.conf"
printf '%s\n' '# the site'"'"'s numbers' 'threshold = 77' '@include "tarry.conf"' >"$T/etc/site/thresholds.conf"
printf '%s\n' 'tarry = 4' >"$T/etc/site/tarry.conf"
out=$(cd "$T/elsewhere" && "$VMMANAGE" -c "$T/etc/vmm.conf" -t 2>&1); rc=$?
check "@include relative to the including file, run from elsewhere: exit $rc ($out)" test "$rc" = 0
printf '%s\n' 'tarry = "4"' >"$T/etc/site/tarry.conf"
out=$(cd "$T/elsewhere" && "$VMMANAGE" -c "$T/etc/vmm.conf" -t 2>&1); rc=$?
check "an error in an included file: exit $rc" test "$rc" = 1
check "names the included file and its line ($out)" \
	grep -q "$T/etc/site/tarry.conf:1: tarry: expected a whole number, got a string" <<<"$out"
printf '%s\n' 'tarry = 4' 'lowtarry = 3 4' >"$T/etc/site/tarry.conf"
out=$(cd "$T/elsewhere" && "$VMMANAGE" -c "$T/etc/vmm.conf" -t 2>&1); rc=$?
check "a syntax error in an included file: exit $rc" test "$rc" = 1
check "names the included file and its line ($out)" grep -q "$T/etc/site/tarry.conf:2: syntax error" <<<"$out"
printf '%s\n' 'policy = "threshold"' '@include "missing.conf"' "$m" >"$T/etc/vmm.conf"
out=$(cd "$T/elsewhere" && "$VMMANAGE" -c "$T/etc/vmm.conf" -t 2>&1); rc=$?
check "a missing include: exit $rc" test "$rc" = 1
check "names the including line and the file it looked for ($out)" \
	grep -q "$T/etc/vmm.conf:2: cannot read $T/etc/missing.conf: No such file or directory" <<<"$out"
printf '%s\n' '@include "loop.conf"' >"$T/etc/loop.conf"
printf '%s\n' 'policy = "threshold"' '@include "loop.conf"' "$m" >"$T/etc/vmm.conf"
out=$(cd "$T/elsewhere" && "$VMMANAGE" -c "$T/etc/vmm.conf" -t 2>&1); rc=$?
check "an include loop: exit $rc" test "$rc" = 1
check "is refused, not followed forever ($out)" grep -q "loop.conf:1: .*include.*deep" <<<"$out"
printf '%s\n' 'policy = "threshold"' '@include "/dev/zero"' "$m" >"$T/etc/vmm.conf"
out=$(cd "$T/elsewhere" && timeout 20 "$VMMANAGE" -c "$T/etc/vmm.conf" -t 2>&1); rc=$?
check "an include of a device: exit $rc" test "$rc" = 1
check "is refused at once ($out)" grep -q "vmm.conf:2: cannot include /dev/zero: not a regular file" <<<"$out"
printf '%s\n' 'threshold = 60' >"$T/abs.conf"
printf '%s\n' 'policy = "threshold"' "@include \"$T/abs.conf\"" 'sensor = "exec"' \
	'sensor_command = "/bin/echo 1"' 'endpoint = "exec"' 'endpoint_command = "/bin/true"' \
	"$m" >"$T/etc/vmm.conf"
out=$(cd "$T/elsewhere" && "$VMMANAGE" -c "$T/etc/vmm.conf" -t 2>&1); rc=$?
check "an absolute include: exit $rc ($out)" test "$rc" = 0
finish
