#!/bin/bash
# SPDX-License-Identifier: ISC
# `make install` leaves an agent that can start: the example configuration in
# sysconfdir/vmmanage, and the state, log and run directories with safe modes; a second
# install keeps what the administrator changed. The installed agent's -t runs where the
# install puts it (the DESTDIR tree bind-mounted over the prefix, in a mount namespace of
# its own) and finds its modules, its configuration and its directories.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
need_root
need_cmd make unshare mount

# a make of its own, not a job of the make running the tests
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" "$@"; }
read -r prefix sysconfdir localstatedir runstatedir sbindir pkglibdir < <(mk --eval \
	'vmm-print-dirs: ; @echo $(prefix) $(sysconfdir) $(localstatedir) $(runstatedir) $(sbindir) $(pkglibdir)' \
	vmm-print-dirs)
for d in "$sysconfdir" "$localstatedir" "$runstatedir" "$sbindir" "$pkglibdir"; do
	case "$d" in "$prefix"/*) ;; *) skip "$d is outside the prefix $prefix: one bind mount cannot show it" ;; esac
done
[ -d "$prefix" ] || skip "no $prefix to mount the installed tree over"

D="$T/inst"
mk install DESTDIR="$D" >"$T/install.out" 2>&1 || { tail -20 "$T/install.out"; die "make install"; }
mode() { stat -c %a "$D$1" 2>/dev/null || echo missing; }
check "the configuration directory, 755 ($(mode "$sysconfdir/vmmanage"))" \
	test "$(mode "$sysconfdir/vmmanage")" = 755
check "the example configuration installed, 644 ($(mode "$sysconfdir/vmmanage/vmmanage.conf"))" \
	sh -c "test '$(mode "$sysconfdir/vmmanage/vmmanage.conf")' = 644 && cmp -s '$top_srcdir/conf/vmmanage.conf' '$D$sysconfdir/vmmanage/vmmanage.conf'"
check "state_dir for root only, 750 ($(mode "$localstatedir/lib/vmmanage"))" \
	test "$(mode "$localstatedir/lib/vmmanage")" = 750
check "the log directory for root only, 750 ($(mode "$localstatedir/log/vmmanage"))" \
	test "$(mode "$localstatedir/log/vmmanage")" = 750
check "the run directory, 755 ($(mode "$runstatedir/vmmanage"))" \
	test "$(mode "$runstatedir/vmmanage")" = 755

# the installed agent where it was meant to be, with the installed configuration
installed_t() {
	unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1" "$2" && exec "$3/vmmanage" -t' \
		sh "$D$prefix" "$prefix" "$sbindir"
}
out=$(installed_t 2>&1); rc=$?
check "the installed agent's -t with the installed configuration: exit $rc" test "$rc" = 0
check "finds its modules and configuration ($(head -1 <<<"$out"))" \
	grep -q "^$sysconfdir/vmmanage/vmmanage.conf: configuration OK" <<<"$out"
check "and its state_dir ready ($(grep state_dir <<<"$out"))" \
	grep -qx "ok: state_dir $localstatedir/lib/vmmanage: ready (mode 0750)" <<<"$out"
check "its log directory ready" grep -qx "ok: log_file $localstatedir/log/vmmanage: ready (mode 0750)" <<<"$out"
check "its run directory ready" grep -qx "ok: pid_file $runstatedir/vmmanage: ready (mode 0755)" <<<"$out"

# a state_dir the agent cannot use is an error of -t, with the reason
chmod 700 "$D$localstatedir/lib/vmmanage"
rmdir "$D$localstatedir/log/vmmanage" && touch "$D$localstatedir/log/vmmanage"
out=$(installed_t 2>&1); rc=$?
check "a log directory that is a file: -t fails, exit $rc" test "$rc" = 1
check "and says which and why ($(grep log_file <<<"$out"))" \
	grep -qx "error: log_file $localstatedir/log/vmmanage: exists and is not a directory" <<<"$out"
rm "$D$localstatedir/log/vmmanage"

# a second install keeps the administrator's configuration and modes
echo '# the administrator was here' >>"$D$sysconfdir/vmmanage/vmmanage.conf"
mk install-data-local DESTDIR="$D" >"$T/install2.out" 2>&1 || { cat "$T/install2.out"; die "second install"; }
check "a second install keeps the edited configuration" \
	grep -q '^# the administrator was here$' "$D$sysconfdir/vmmanage/vmmanage.conf"
check "and a state_dir made tighter ($(mode "$localstatedir/lib/vmmanage"))" \
	test "$(mode "$localstatedir/lib/vmmanage")" = 700
check "and makes again what was removed ($(mode "$localstatedir/log/vmmanage"))" \
	test "$(mode "$localstatedir/log/vmmanage")" = 750
mk uninstall DESTDIR="$D" >"$T/uninstall.out" 2>&1 || { cat "$T/uninstall.out"; die "uninstall"; }
check "uninstall keeps an edited configuration" test -e "$D$sysconfdir/vmmanage/vmmanage.conf"
check "and leaves no other file ($(find "$D" -type f | grep -v /vmmanage.conf$ | head -3))" \
	test -z "$(find "$D" -type f | grep -v '/vmmanage.conf$')"
finish
