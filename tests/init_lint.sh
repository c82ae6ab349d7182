#!/bin/bash
# SPDX-License-Identifier: ISC
# The installed init scripts, /etc/default files, logrotate file and systemd units, read
# without running them: POSIX sh (dash -n, checkbashisms, shellcheck -s sh), the LSB
# header, every @dir@ substituted with the directories make was given, the units accepted
# by systemd-analyze verify, the logrotate file by logrotate -d; and the install rules:
# everything under DESTDIR, nothing left after uninstall. checkbashisms also reads every
# script of the tree that claims /bin/sh.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/init_lib.sh"

init_install
SCRIPTS=("$ROOT/etc/init.d/vmmanage" "$ROOT/etc/init.d/vmmanage-collector" "$ROOT/etc/init.d/vmmanage-broker")
DEFAULTS=("$ROOT/etc/default/vmmanage" "$ROOT/etc/default/vmmanage-collector" "$ROOT/etc/default/vmmanage-broker")
UNITS=("$ROOT/lib/systemd/system/vmmanage.service" "$ROOT/lib/systemd/system/vmmanage-collector.service"
	"$ROOT/lib/systemd/system/vmmanage-broker.service")
LOGROTATE=$ROOT/etc/logrotate.d/vmmanage
BLOGROTATE=$ROOT/etc/logrotate.d/vmmanage-broker
RSYSLOG=$ROOT/etc/rsyslog.d/vmmanage-broker.conf
ALL=("${SCRIPTS[@]}" "${DEFAULTS[@]}" "${UNITS[@]}" "$LOGROTATE" "$BLOGROTATE" "$RSYSLOG")

# A check that needs a tool: in CI the tool must be there.
have() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ -n "${VMM_CI:-}" ]; then fail "$1 is not installed ($2)"; else echo "# $1 is not installed: $2 not checked"; fi
	return 1
}

for f in "${ALL[@]}"; do
	check "installed: ${f#"$ROOT"/}" test -s "$f"
	check "${f##*/}: every @dir@ substituted" sh -c "! grep -n '@[a-z_]*@' '$f'"
done
check "the init scripts are executable" test -x "${SCRIPTS[0]}" -a -x "${SCRIPTS[1]}" -a -x "${SCRIPTS[2]}"
check "the units name the installed daemons, run in the foreground" \
	grep -q "^ExecStart=$SBIN/vmmanage -f -c" "${UNITS[0]}"
check "the collector's unit too" grep -q "^ExecStart=$SBIN/vmmanage-collector -f -c" "${UNITS[1]}"
check "both are Type=notify (the daemons speak sd_notify)" \
	sh -c "grep -qx 'Type=notify' '${UNITS[0]}' && grep -qx 'Type=notify' '${UNITS[1]}'"
check "and the broker's" grep -q "^ExecStart=$SBIN/vmmanage-broker -c" "${UNITS[2]}"
check "the logrotate file names the installed logs" grep -q "^$ROOT/var/log/vmmanage/vmmanage.log " "$LOGROTATE"

for f in "${SCRIPTS[@]}"; do
	n=${f##*/}
	check "$n: #!/bin/sh" test "$(head -1 "$f")" = "#!/bin/sh"
	for k in Provides Required-Start Required-Stop Default-Start Default-Stop Short-Description Description; do
		check "$n: LSB header has $k" grep -qE "^# $k: +[^ ]" "$f"
	done
	check "$n: Provides: $n" grep -qE "^# Provides: +$n\$" "$f"
	check "$n: Required-Start: \$network \$remote_fs \$syslog" grep -qE '^# Required-Start: +\$network \$remote_fs \$syslog$' "$f"
	check "$n: Default-Start: 2 3 4 5" grep -qE '^# Default-Start: +2 3 4 5$' "$f"
	check "$n: Default-Stop: 0 1 6" grep -qE '^# Default-Stop: +0 1 6$' "$f"
	check "$n: the header is closed" grep -qx '### END INIT INFO' "$f"
done

for f in "${SCRIPTS[@]}" "${DEFAULTS[@]}"; do
	n=${f#"$ROOT"/etc/}
	check "$n: bash -n" bash -n "$f"
	check "$n: bash --posix -n" bash --posix -n "$f"
	if have dash "POSIX sh syntax"; then check "$n: dash -n" dash -n "$f"; fi
	if have shellcheck "shellcheck -s sh"; then
		# the defaults only assign variables for the scripts
		check "$n: shellcheck -s sh" shellcheck -s sh -e SC2034 "$f"
	fi
done
# checkbashisms: the installed init scripts, and every script of the tree that claims
# /bin/sh (the test helpers, the maintainer scripts, the benchmarks' stand-ins)
if have checkbashisms "bashisms in /bin/sh scripts"; then
	for f in "${SCRIPTS[@]}"; do check "${f##*/}: checkbashisms" checkbashisms "$f"; done
	n=0
	while IFS= read -r f; do
		[ "$(head -c 9 "$f")" = '#!/bin/sh' ] || continue
		n=$((n + 1))
		check "${f#"$top_srcdir"/}: checkbashisms" checkbashisms "$f"
	done < <(find "$top_srcdir/tests" "$top_srcdir/debian" "$top_srcdir/bench" "$top_srcdir/tools" \
		"$top_srcdir/initscripts" "$top_srcdir/examples" -type f ! -name '*.c' ! -name '*.h' | sort)
	check "the tree's /bin/sh scripts were found ($n)" test "$n" -ge 5
fi

if have systemd-analyze "the units"; then
	for u in "${UNITS[@]}"; do
		systemd-analyze verify --man=no "$u" >"$T/verify.out" 2>&1
		rc=$?
		# verify complains about more than this unit (the host's units, no running
		# systemd); what counts is what it says about ours
		grep -F "${u##*/}" "$T/verify.out" >"$T/verify.ours"
		check "systemd-analyze verify ${u##*/} ($rc): $(head -c 400 "$T/verify.ours")" test ! -s "$T/verify.ours"
	done
fi
if have logrotate "the logrotate file"; then
	logrotate -d -s "$T/logrotate.state" "$LOGROTATE" >"$T/logrotate.out" 2>&1
	rc=$?
	check "logrotate -d accepts it ($rc)" test "$rc" = 0
	check "without an error or a warning" sh -c "! grep -iE '^(error|warning)' '$T/logrotate.out' | grep -v 'in debug mode'"
	check "it rotates the agent's and the collector's logs" \
		sh -c "grep -q 'vmmanage/vmmanage.json' '$T/logrotate.out' && grep -q 'vmmanage/central.json' '$T/logrotate.out'"
	logrotate -d -s "$T/logrotate.state" "$BLOGROTATE" >"$T/blogrotate.out" 2>&1
	rc=$?
	check "logrotate -d accepts the broker's ($rc)" test "$rc" = 0
	check "without an error or a warning" sh -c "! grep -iE '^(error|warning)' '$T/blogrotate.out' | grep -v 'in debug mode'"
	check "it rotates the broker's log" grep -q "$ROOT/var/log/vmmanage/broker.log" "$T/blogrotate.out"
fi
check "the rsyslog snippet writes the broker's lines to that log" \
	grep -q "file=\"$ROOT/var/log/vmmanage/broker.log\"" "$RSYSLOG"
if have rsyslogd "the rsyslog snippet"; then
	printf 'module(load="imuxsock" SysSock.Use="off")\ninclude(file="%s")\n' "$RSYSLOG" > "$T/rsyslog.conf"
	rsyslogd -N1 -f "$T/rsyslog.conf" >"$T/rsyslog.out" 2>&1
	check "rsyslogd -N1 accepts it ($(grep -iE 'error|warning' "$T/rsyslog.out" | head -2))" \
		sh -c "! grep -qiE 'error|warning' '$T/rsyslog.out'"
fi

# ---- the install rules: DESTDIR, uninstall
D=$T/dest
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install-initscripts DESTDIR="$D" \
	>"$T/dinstall.out" 2>&1
check "make install-initscripts DESTDIR=... ($(tail -c 300 "$T/dinstall.out"))" test "$?" = 0
check "installs 12 files" test "$(find "$D" -type f | wc -l)" = 12
check "the scripts name the configured directories, not DESTDIR" sh -c "! grep -rq '$D' '$D'"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" uninstall-initscripts DESTDIR="$D" \
	>"$T/duninstall.out" 2>&1
check "make uninstall-initscripts DESTDIR=..." test "$?" = 0
check "leaves no file ($(find "$D" -type f | head -3 | tr '\n' ' '))" test "$(find "$D" -type f | wc -l)" = 0

check "the build dir has its own copies" test -s "$top_builddir/initscripts/vmmanage.init"
finish
