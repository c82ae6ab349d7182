#!/bin/bash
# SPDX-License-Identifier: ISC
# Each event's words are written once, in src/core/journal.c: no other source of the daemon,
# the simulator or the report types them again (they drifted apart when they did).
# The thesis's date is src/common/strutil.c's, which the collector uses too.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"

cd "$top_srcdir" || die "no $top_srcdir"
[ -f src/core/journal.c ] || die "no src/core/journal.c"
for words in '"Move to ' '"Now using ' '"Requesting migration of VM' '"Suppressed ' '"Recommend ' \
	'"Efficacy of the move ' '"Starting VMManage' '"Stopping VMManage' \
	'"The endpoint reports the VM on ' '"cycle %s=' '"Chose %s' '"Warning: %s' '%a %b %e %H:%M:%S'; do
	found=$(grep -rlF --include='*.c' -- "$words" src policies | grep -v -e '^src/core/journal\.c$' \
		-e '^src/common/strutil\.c$' | tr '\n' ' ')
	check "$words is written only in src/core/journal.c (the date: src/common/strutil.c)${found:+ (also in: $found)}" test -z "$found"
done
finish
