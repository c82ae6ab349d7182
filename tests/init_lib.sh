# SPDX-License-Identifier: ISC
# Helpers for the init script tests; source after lib.sh.
#
# init_install puts under $ROOT what `make install` puts there for the init scripts, with
# every directory given to make (so the scripts name $ROOT/etc/default/..., $ROOT/run/...
# and nothing of the real system), and private copies of the two daemons in $ROOT/sbin,
# so that start-stop-daemon --exec matches this test's daemons only.
ROOT=$T/root
SBIN=$ROOT/sbin

init_install() {
	need_cmd make
	mkdir -p "$SBIN"
	cp "$top_builddir/src/agent/vmmanage" "$top_builddir/src/collector/vmmanage-collector" \
		"$top_builddir/src/broker/vmmanage-broker" "$SBIN/" ||
		die "no daemons to copy from $top_builddir"
	on_exit kill_copies
	# a make of its own, not a job of the make running the tests
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install-initscripts \
		DESTDIR= prefix="$ROOT" exec_prefix="$ROOT" sbindir="$SBIN" sysconfdir="$ROOT/etc" \
		localstatedir="$ROOT/var" runstatedir="$ROOT/run" \
		systemdunitdir="$ROOT/lib/systemd/system" >"$T/install.out" 2>&1 ||
		{ cat "$T/install.out"; die "make install-initscripts"; }
	mkdir -p "$ROOT/etc/vmmanage"
}

# run_init SCRIPT ARGS...: runs it; its stdout and stderr in $OUT, its status in $RC.
run_init() {
	OUT=$("$@" 2>&1)
	RC=$?
	printf '# %s %s: %s\n' "${1##*/}" "${*:2}" "$RC"
	[ -z "$OUT" ] || printf '%s\n' "$OUT" | sed 's/^/#   /'
}

# out_has REGEX: $OUT matches the extended regex.
out_has() { printf '%s\n' "$OUT" | grep -qE -- "$1"; }

# instances EXE: how many processes run that executable.
instances() {
	local n=0 p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$1" ] && n=$((n + 1))
	done
	echo "$n"
}

# pids_of EXE: their pids.
pids_of() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
}

# alive PID: the process exists and runs EXE (second argument).
alive() { [ -n "$1" ] && [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ]; }
gone() { ! alive "$@"; }
# reaped PID: not even a zombie is left (a container's init may reap late).
reaped() { ! kill -0 "$1" 2>/dev/null; }

# No daemon of this test survives it.
kill_copies() {
	local p
	for p in $(pids_of "$SBIN/vmmanage") $(pids_of "$SBIN/vmmanage-collector"); do
		kill -9 "$p"
	done
}

# set_default FILE KEY VALUE: KEY=VALUE in an /etc/default file, replacing or adding.
set_default() {
	if grep -q "^#*$2=" "$1"; then
		sed -i "s|^#*$2=.*|$2=$3|" "$1"
	else
		echo "$2=$3" >>"$1"
	fi
}
