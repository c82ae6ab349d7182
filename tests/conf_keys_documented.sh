#!/bin/bash
# SPDX-License-Identifier: ISC
# Every key the code knows (the core's in src/core/keys.c, each module's in its ops, read
# from the built modules as the config check reads them) is documented in
# vmmanage.conf(5), and the manual pages lint clean.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"

page="$top_srcdir/man/vmmanage.conf.5"
[ -f "$page" ] || die "no $page"

"$top_builddir/tests/conf_keys_list" "$MODULE_DIR" > "$T/keys" 2> "$T/keys.err"
rc=$?
check "every module in $MODULE_DIR says its keys: exit $rc $(head -3 "$T/keys.err" | tr '\n' ' ')" test "$rc" = 0
check "the core lists keys ($(grep -c ' the core$' "$T/keys"))" test "$(grep -c ' the core$' "$T/keys")" -gt 20
for kind in policy sensor endpoint; do
	check "the ${kind}s declare keys ($(grep -c " $kind\$" "$T/keys"))" grep -q " $kind\$" "$T/keys"
done

# The documented keys: `.It Ic key ...` entries of the page.
sed -n 's/^\.It Ic \([a-z0-9_]*\).*/\1/p' "$page" | sort -u > "$T/documented"
while read -r k who; do
	check "$k ($who) has an .It Ic $k entry in vmmanage.conf.5" grep -qx -- "$k" "$T/documented"
done < "$T/keys"

# Each entry gives a default (or says the key is required) and a literal example; keys
# listed together (min_range and max_range) share one.
awk 'function done() { if (key != "" && !(ex && def)) print key }
     /^\.It Ic / { if (prev !~ /^\.It Ic /) done(); key = $3; ex = 0; def = 0 }
     /^\.Dl / { ex = 1 }
     /[Dd]efault|[Rr]equired/ { def = 1 }
     /^\.El/ { done(); key = "" }
     { prev = $0 }' "$page" > "$T/incomplete"
check "every key entry has a default and a .Dl example (missing: $(tr '\n' ' ' < "$T/incomplete"))" \
	test ! -s "$T/incomplete"

need_cmd mandoc
for m in "$top_srcdir"/man/*.[0-9]; do
	mandoc -Tlint -W warning "$m" > "$T/lint" 2>&1
	rc=$?
	check "mandoc -Tlint -W warning ${m#"$top_srcdir"/}: exit $rc $(head -3 "$T/lint" | tr '\n' ' ')" test "$rc" = 0
done
finish
