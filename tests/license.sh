#!/bin/bash
# SPDX-License-Identifier: ISC
# The project is under the ISC licence: LICENSE holds it, debian/copyright says so, and
# every source file names it on an SPDX-License-Identifier line.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"

check "LICENSE holds the ISC licence" grep -q 'Permission to use, copy, modify, and distribute' "$top_srcdir/LICENSE"
check "debian/copyright says ISC" grep -q '^License: ISC$' "$top_srcdir/debian/copyright"
check "debian/copyright has no placeholder" sh -c "! grep -q 'no-license' '$top_srcdir/debian/copyright'"

# the sources: C, shell, Python, make and autoconf files, man pages, init scripts, and
# every script that starts with #!; not data, fixtures or build directories
missing=() n=0
while IFS= read -r -d '' f; do
	case $f in
	*.[ch] | *.sh | *.py | */Makefile.inc | */Makefile.am | */configure.ac | *.[1-8] | *.in) ;;
	*) head -c 2 "$f" | grep -q '^#!' || continue ;;
	esac
	n=$((n + 1))
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier: ISC' || missing+=("${f#"$top_srcdir"/}")
done < <(find "$top_srcdir" \( -name .git -o -name 'build*' -o -name _build -o -name autom4te.cache -o -name m4 \
	-o -name data -o -name corpus -o -name debian -o -name '.deps' -o -name '.libs' \) -prune \
	-o -type f ! -name configure ! -name 'config.*' ! -name 'Makefile.in' ! -name 'ltmain.sh' ! -name libtool \
	! -name 'aclocal.m4' ! -name compile ! -name depcomp ! -name install-sh ! -name missing \
	! -name test-driver ! -name 'ar-lib' ! -name '*.o' ! -name '*.so*' ! -name '*~' -print0)
check "each of $n source files names the ISC licence (missing: ${missing[*]:-none})" \
	test "${#missing[@]}" = 0
check "and there are sources to check" test "$n" -gt 100
finish
