# SPDX-License-Identifier: ISC
# Helpers for the tests of the mln endpoint against tests/mln-standin (MLN is not
# packaged). Source after agent_lib.sh.
export MLN_STANDIN_DIR=$T/mln
mkdir -p "$MLN_STANDIN_DIR"
MLN_STANDIN="$top_srcdir/tests/mln-standin"

# The log lines that end a move: its outcome.
_mln_outcome_re='Move to [^ ]+ (confirmed|unconfirmed|failed)'
mln_outcomes() { count_lines "$_mln_outcome_re" "$T/vmmanage.log"; }
_mln_outcomes_ge() { [ "$(mln_outcomes)" -ge "$1" ]; }

# mln_move ACTION: ask the running agent for ACTION; the request must be accepted (exit
# 0), and the move must end (its outcome logged) within 30 s. MLN_OUTCOME is that line.
mln_move() {
	local rc=0 want
	MLN_OUTCOME=
	want=$(($(mln_outcomes) + 1))
	"$VMMANAGE" -c "$T/vmm.conf" "$1" > "$T/cli.out" 2>&1 || rc=$?
	check "vmmanage $1: the request is accepted (exit $rc: $(head -1 "$T/cli.out"))" test "$rc" = 0
	[ "$rc" = 0 ] || return 1
	if ! wait_for 30 _mln_outcomes_ge "$want"; then
		fail "vmmanage $1: the move ends within 30 s"
		return 1
	fi
	MLN_OUTCOME=$(grep -E "$_mln_outcome_re" "$T/vmmanage.log" | tail -1)
}

# mln_argv N: the N-th recorded run of the stand-in.
mln_argv() { sed -n "${1}p" "$MLN_STANDIN_DIR/argv"; }
# mln_runs: how many times it ran.
mln_runs() { count_lines . "$MLN_STANDIN_DIR/argv"; }
# mln_service_host FILE: the host its first service_host line names.
mln_service_host() {
	sed -n 's/^[[:space:]]*service_host[[:space:]][[:space:]]*\([^[:space:]]*\).*/\1/p' "$1" | head -1
}
_mln_reloaded() { [ "$(count_lines 'Reloaded ' "$T/vmmanage.log")" -ge "$1" ]; }
# mln_reload: `vmmanage reload` must say the new configuration is in use.
mln_reload() {
	local out rc=0 want
	want=$(($(count_lines 'Reloaded ' "$T/vmmanage.log") + 1))
	out=$("$VMMANAGE" -c "$T/vmm.conf" reload 2>&1) || rc=$?
	check "reload (exit $rc: $out)" test "$rc" = 0
	wait_for 30 _mln_reloaded "$want" || fail "the reload is logged"
}
