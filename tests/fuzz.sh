#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# Every parser of outside input has a libFuzzer target in tests/fuzz/. This builds each
# with clang (-fsanitize=fuzzer,address,undefined) from the sources its first lines name
# (`fuzz-sources:`, and `fuzz-pkgs:` for pkg-config packages) and runs it for
# FUZZ_SECONDS (default 15) from its seed corpus. A crash, leak or UB report fails.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
need_cmd clang
seconds=${FUZZ_SECONDS:-15}
for src in "$top_srcdir"/tests/fuzz/${FUZZ_ONLY:-fuzz_*}.c; do
	name=$(basename "$src" .c)
	sources=$(sed -n 's#.*fuzz-sources: *\(.*\) \*/.*#\1#p' "$src" | head -1)
	pkgs=$(sed -n 's#.*fuzz-pkgs: *\(.*\) \*/.*#\1#p' "$src" | head -1)
	paths=()
	for s in $sources; do paths+=("$top_srcdir/$s"); done
	flags=$( [ -n "$pkgs" ] && pkg-config --cflags --libs $pkgs )
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I"$top_builddir" -I"$top_srcdir/include" -I"$top_srcdir/src" \
		-o "$T/$name" "$src" "${paths[@]}" $flags -lm 2>"$T/$name.build"; then
		fail "$name builds: $(head -5 "$T/$name.build")"
		continue
	fi
	mkdir -p "$T/corpus-$name"
	[ -d "$top_srcdir/tests/fuzz/corpus/$name" ] && cp -r "$top_srcdir/tests/fuzz/corpus/$name/." "$T/corpus-$name/"
	if LSAN_OPTIONS=suppressions=$top_srcdir/tests/fuzz/lsan.supp "$T/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$T/$name-" "$T/corpus-$name" >"$T/$name.log" 2>&1; then
		ok "$name: $(grep -oE "Done [0-9]+ runs" "$T/$name.log" | head -1) in ${seconds} s"
	else
		fail "$name found a problem: $(grep -E 'ERROR|SUMMARY' "$T/$name.log" | head -3)"
		ls "$T"/"$name"-* 2>/dev/null | head -3 | while read -r f; do echo "# artifact $f: $(od -c "$f" | head -3)"; done
	fi
done
finish
