#!/bin/bash
# SPDX-License-Identifier: ISC
# vmmanage-report --html writes one self-contained page (tables and inline SVG charts, no
# script, nothing from elsewhere) that a real browser renders; names from the logs are
# text, never markup.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sim_lib.sh"
need_cmd chromium python3
sim_copy "$top_srcdir/examples/sim" week.sim nii1.conf nii1b.conf nii3.conf nii5.conf
cd "$T" || die "no $T"
"$SIM" -q -o week -l week/run.log week.sim > sim.out 2>&1 || { cat sim.out; die "week.sim"; }

rc=0
"$REPORT" -w page -p '*=0.12' -p base=0.03 -b base week/events.csv > report.out 2> report.err || rc=$?
check "--html page: exit 0 ($rc) $(head -c 300 report.err)" test "$rc" = 0
check "the text report is still printed" grep -q '^ALL ' report.out
check "page/index.html is written, and nothing else is left there" \
	sh -c 'test -s page/index.html && test "$(ls page)" = index.html'

# What a browser makes of it: the DOM after parsing, and a screenshot.
browser() {
	timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --window-size=900,1200 "$@" \
		2>> chromium.err
}
browser --dump-dom "file://$T/page/index.html" > dom.html
check "chromium renders the page ($(wc -c < dom.html) bytes of DOM)" test -s dom.html
browser --screenshot="$T/shot.png" "file://$T/page/index.html" > /dev/null
check "and draws it (a PNG screenshot)" sh -c "head -c 8 shot.png | od -An -c | grep -q 'P   N   G'"

python3 - dom.html week/events.csv > dom.check <<'EOF' || true
import sys, csv, html.parser
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.tags = {}; s.titles = []; s.rows = []; s.row = None; s.cell = None; s.in_title = False
    def handle_starttag(s, t, a):
        s.tags[t] = s.tags.get(t, 0) + 1
        if t == 'tr': s.row = []
        if t in ('td', 'th'): s.cell = ''
        if t == 'text': s.in_title = True; s.title = ''
    def handle_endtag(s, t):
        if t in ('td', 'th') and s.row is not None: s.row.append(s.cell); s.cell = None
        if t == 'tr' and s.row is not None: s.rows.append(s.row); s.row = None
        if t == 'text' and s.in_title: s.titles.append(s.title); s.in_title = False
    def handle_data(s, d):
        if s.cell is not None: s.cell += d
        if s.in_title: s.title += d
p = P(); p.feed(open(sys.argv[1]).read())
print('svg', p.tags.get('svg', 0)); print('script', p.tags.get('script', 0))
print('tables', p.tags.get('table', 0))
for t in p.titles:
    if t.startswith(('Requests and confirmed', 'Move times', 'Where each VM', 'Confirmed arrivals')):
        print('chart', t.split(' ')[0])
# the requests table against the simulator's own events
conf = {}
for r in csv.DictReader(open(sys.argv[2])):
    if r['event'] == 'confirmed':
        k = r['mode'] + '/' + r['vm']; conf[k] = conf.get(k, 0) + 1
hdr = None; arrivals = {}; vm = None
for row in p.rows:
    if row and row[0] == 'VM': hdr = row; continue
    if hdr and 'confirmed' in hdr and len(row) == len(hdr):
        print('confirmed', row[0], row[hdr.index('confirmed')], conf.get(row[0], 0))
    if hdr and 'arrivals' in hdr and len(row) >= 5:
        vm = row[0] or vm; arrivals[vm] = arrivals.get(vm, 0) + int(row[4])
for vm, n in arrivals.items():
    print('arrivals', vm, n, conf.get(vm, 0))
EOF
check "four charts, as inline SVG ($(grep -c '^chart' dom.check))" \
	sh -c "grep -q '^chart Requests' dom.check && grep -q '^chart Move' dom.check && grep -q '^chart Where' dom.check && grep -q '^chart Confirmed' dom.check && test \$(awk '/^svg/{print \$2}' dom.check) -ge 4"
check "no script in the page" grep -qx 'script 0' dom.check
check "a Content-Security-Policy that forbids scripts and fetches" \
	grep -q "Content-Security-Policy\" content=\"default-src 'none'" page/index.html
check "no reference to anything outside the page" sh -c "! grep -Eq '(src|href)=\"(https?:)?//' page/index.html"
check "every VM's confirmed count is the simulator's ($(grep -c '^confirmed' dom.check) VMs)" \
	sh -c "test \$(grep -c '^confirmed' dom.check) = 4 && awk '/^confirmed/ && \$3 != \$4 { bad = 1 } END { exit bad }' dom.check"
check "arrivals per VM add up to its confirmed moves" \
	sh -c "test \$(grep -c '^arrivals' dom.check) = 4 && awk '/^arrivals/ && \$3 != \$4 { bad = 1 } END { exit bad }' dom.check"

# A name from a log is text: markup in an agent's name does not become markup.
printf '%s\n' \
	'1242232480 Wed May 13 18:34:40 CEST 2009 <img/src=x/onerror=alert(1)>: Requesting migration of VM: just moving' \
	'1242232480 Wed May 13 18:34:40 CEST 2009 <img/src=x/onerror=alert(1)>: Now using <b>h2</b>' > evil.log
"$REPORT" -w evil evil.log > evil.out 2>&1
browser --dump-dom "file://$T/evil/index.html" > evil.dom
check "markup in a VM's or host's name stays text (no img, no b element)" \
	sh -c "test -s evil.dom && ! grep -qi '<img' evil.dom && ! grep -q '<b>' evil.dom && grep -q '&lt;img/src=x/onerror=alert(1)&gt;' evil.dom"

# A directory where nothing can be written (even by root): a clear error, exit 1, and the
# text report still printed.
rc=0; "$REPORT" -w /proc/1 week/events.csv > ro.out 2> ro.err || rc=$?
check "an unwritable directory: exit 1 and names the file ($(head -c 200 ro.err))" \
	sh -c "test $rc = 1 && grep -q '/proc/1/index.html' ro.err && grep -q '^ALL ' ro.out"
finish
