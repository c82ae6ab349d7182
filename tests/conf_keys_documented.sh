#!/bin/bash
# SPDX-License-Identifier: ISC
# Every key the code knows is documented in vmmanage.conf(5), every module key is in
# src/core/keys.c, and the manual pages lint clean.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"

page="$top_srcdir/man/vmmanage.conf.5"
[ -f "$page" ] || die "no $page"

# The names in src/core/keys.c's table: lines like `{ "policy", "the core" },`.
sed -n 's/^[[:space:]]*{ *"\([a-z0-9_]*\)",.*/\1/p' "$top_srcdir/src/core/keys.c" | sort -u > "$T/table"
check "src/core/keys.c lists keys ($(wc -l < "$T/table"))" test "$(wc -l < "$T/table")" -gt 20

# The strings of each module's *_keys[] array, which may span lines.
modkeys() {
	awk '/_keys\[\] *= *\{/ { on = 1 }
	     on { line = $0; while (match(line, /"[^"]*"/)) {
	              print substr(line, RSTART + 1, RLENGTH - 2); line = substr(line, RSTART + RLENGTH) }
	          if ($0 ~ /\}/) on = 0 }' "$1"
}
: > "$T/modules"
for f in "$top_srcdir"/policies/*.c "$top_srcdir"/src/sensors/*.c "$top_srcdir"/src/endpoints/*.c; do
	[ -f "$f" ] || continue
	modkeys "$f" | while read -r k; do printf '%s %s\n' "$k" "${f#"$top_srcdir"/}"; done >> "$T/modules"
done
check "the modules declare keys ($(wc -l < "$T/modules"))" test -s "$T/modules"

# The documented keys: `.It Ic key ...` entries of the page.
sed -n 's/^\.It Ic \([a-z0-9_]*\).*/\1/p' "$page" | sort -u > "$T/documented"

while read -r k f; do
	check "$k ($f) is in src/core/keys.c" grep -qx -- "$k" "$T/table"
done < "$T/modules"
cut -d' ' -f1 "$T/modules" | sort -u | cat - "$T/table" | sort -u > "$T/all"
while read -r k; do
	check "$k has an .It Ic $k entry in vmmanage.conf.5" grep -qx -- "$k" "$T/documented"
done < "$T/all"

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
