#!/bin/bash
# SPDX-License-Identifier: ISC
# The mln endpoint against a stand-in `mln` (MLN is not packaged): the thesis's argv
# (`mln client -c upgrade -f HOST.N.mln -h SERVER`, -S and the other site's server across
# sites), project files that name a real service_host, written only over vmmanage's own,
# and a move confirmed only by the administrator's mln_locate_command.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/agent_mln_lib.sh"
cat > "$T/template.mln" <<'MLN'
global {
    project nii1
}
host nii1 {
    xen
    template nii.ext3
    memory 512M
    service_host mln1.vlab.iu.hio.no
}
MLN
# the other site's project: not the array's with one line changed
cat > "$T/ec2.mln" <<'MLN'
global {
    project nii1
}
host nii1 {
    ec2 {
        type m1.small
        ami ami-2a5e4d43
    }
    memory 1700M
}
MLN
mkdir -p "$T/projects"
mln_conf() {
	# near_best = 0: "move" goes to the first host nothing is known of, 2, as these
	# checks expect (by default a VM draws among them: tests/agent_targets.sh)
	agent_conf 'policy = "threshold"' 'threshold = 1000' 'daemon_interval = 0.2' 'cooldown = 0' \
		'max_moves_per_hour = 0' 'hosts = ["1", "2", "3"]' 'location = "1"' 'away = ["aws"]' \
		'near_best = 0' "$@"
	sed -i -e '/^endpoint/d' -e 's/^hostname = .*/hostname = "nii1"/' "$T/vmm.conf"
	cat >> "$T/vmm.conf" <<-EOC
		endpoint = "mln"
		mln_program = "$MLN_STANDIN"
		mln_server = "shadowfax.vlab.iu.hio.no"
		mln_site_server = "huldra.vlab.iu.hio.no"
		mln_template = "$T/template.mln"
		mln_templates = ["aws=$T/ec2.mln"]
		mln_project_dir = "$T/projects"
	EOC
}
hosts_line='mln_hosts = ["1=mln1.vlab.iu.hio.no", "2=mln2.vlab.iu.hio.no", "3=mln3.vlab.iu.hio.no"]'

# -t: numbered hosts are no host names MLN can place a VM on
mln_conf
"$VMMANAGE" -c "$T/vmm.conf" -t > "$T/t.out" 2>&1
check "-t refuses numbered hosts without mln_hosts, with file:line and the mend: $(head -1 "$T/t.out")" \
	grep -qE "vmm.conf:[0-9]+: host '1' is not a host name MLN can place a VM on .*mln_hosts = \[\"1=" "$T/t.out"

# -t: a hand-written project file where one would be written is never overwritten
mln_conf "$hosts_line"
printf 'global {\n    project nii1\n}\n# by hand\n' > "$T/projects/nii1.2.mln"
cp "$T/projects/nii1.2.mln" "$T/handwritten"
"$VMMANAGE" -c "$T/vmm.conf" -t > "$T/t.out" 2>&1
check "-t refuses to write over a hand-written project file, naming it: $(head -1 "$T/t.out")" \
	grep -qF "$T/projects/nii1.2.mln was not written by vmmanage" "$T/t.out"
check "and the file is as it was" cmp -s "$T/handwritten" "$T/projects/nii1.2.mln"
rm "$T/projects/nii1.2.mln"
"$VMMANAGE" -c "$T/vmm.conf" -t > "$T/t.out" 2>&1
check "with mln_hosts, -t passes: $(head -1 "$T/t.out")" grep -q 'configuration OK' "$T/t.out"

values $(seq 1 50)
agent_start
mln_move move
check "the move to 2 is unconfirmed (no mln_locate_command): $MLN_OUTCOME" \
	grep -q 'Move to 2 unconfirmed: shadowfax.vlab.iu.hio.no accepted' <<< "$MLN_OUTCOME"
want="$MLN_STANDIN|client|-c|upgrade|-f|$T/projects/nii1.2.mln|-h|shadowfax.vlab.iu.hio.no"
check "argv as the thesis ran it: $(mln_argv 1)" test "$(mln_argv 1)" = "$want"
p=$MLN_STANDIN_DIR/project.nii1.2.mln
check "the project file's service_host is host 2's MLN name: $(mln_service_host "$p")" \
	test "$(mln_service_host "$p")" = mln2.vlab.iu.hio.no
check "it keeps the rest of the template" grep -qx '    template nii.ext3' "$p"
check "it says vmmanage wrote it" grep -q '^# vmmanage: ' "$T/projects/nii1.2.mln"
check "mode 0600 (a project may hold its password)" test "$(stat -c %a "$T/projects/nii1.2.mln")" = 600
wait_for 15 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^location: 2 (assumed)'" \
	&& ok "the location is assumed, and status says so" || fail "assumed location"

# a symlink put where a project file goes is never followed nor replaced
echo "not for mln" > "$T/victim"
ln -s "$T/victim" "$T/projects/nii1.3.mln"
mln_move move_up
check "a symlink at the project file fails the move: $MLN_OUTCOME" \
	grep -q 'Move to 3 failed (configuration.*not a regular file' <<< "$MLN_OUTCOME"
check "the symlink's target is untouched" test "$(cat "$T/victim")" = "not for mln"
check "and mln was not run" test "$(mln_runs)" = 1
rm "$T/projects/nii1.3.mln"

# confirmed: the locate command names the target's MLN host
mln_conf "$hosts_line" "mln_locate_command = [\"cat\", \"$MLN_STANDIN_DIR/where\"]"
mln_reload
mln_move move_up
check "mln_locate_command naming the target confirms the move: $MLN_OUTCOME" \
	grep -q 'Move to 3 confirmed.*mln_locate_command reports the VM on mln3.vlab.iu.hio.no' <<< "$MLN_OUTCOME"
wait_for 15 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^location: 3 (confirmed'" \
	&& ok "status: location 3, confirmed" || fail "confirmed location"

# an answer naming another host (a move still under way, or gone elsewhere) is asked
# again until mln_locate_timeout, and the move stays unconfirmed
mln_conf "$hosts_line" 'mln_locate_command = ["echo", "location=mln1.vlab.iu.hio.no"]' \
	'mln_locate_timeout = 2'
mln_reload
mln_move move_down
check "another host named: unconfirmed, with the answer: $MLN_OUTCOME" \
	grep -q 'Move to 2 unconfirmed: .*still reports the VM on mln1.vlab.iu.hio.no' <<< "$MLN_OUTCOME"
wait_for 15 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^location: 2 (assumed)'" \
	&& ok "status: location 2, assumed" || fail "assumed location after another answer"
mln_move move_up

# no answer: unconfirmed, said once however many moves
mln_conf "$hosts_line" 'mln_locate_command = ["false"]'
mln_reload
mln_move move_down
check "no answer from mln_locate_command: unconfirmed: $MLN_OUTCOME" \
	grep -q 'Move to 2 unconfirmed: .*mln_locate_command gave no answer' <<< "$MLN_OUTCOME"
mln_move move_up
check "the second move too" grep -q 'Move to 3 unconfirmed' <<< "$MLN_OUTCOME"
check "the missing answer is logged once ($(count_lines 'mln_locate_command gives no answer' "$T/agent.out"))" \
	test "$(count_lines 'mln_locate_command gives no answer' "$T/agent.out")" = 1

# a locate command that hangs costs its timeout, and the move stays unconfirmed
mln_conf "$hosts_line" 'mln_locate_command = ["sleep", "30"]' 'mln_locate_timeout = 1'
mln_reload
start=$(date +%s)
mln_move move_down
check "a hanging mln_locate_command: unconfirmed: $MLN_OUTCOME" \
	grep -q 'Move to 2 unconfirmed: .*gave no answer' <<< "$MLN_OUTCOME"
check "within its timeout ($(( $(date +%s) - start )) s)" test $(( $(date +%s) - start )) -lt 15

# across sites: the other server, -S, and the other site's own project
mln_conf "$hosts_line"
mln_reload
n=$(( $(mln_runs) + 1 ))
mln_move move_from_home
check "the move to aws is unconfirmed: $MLN_OUTCOME" grep -q 'Move to aws unconfirmed' <<< "$MLN_OUTCOME"
check "cross-site: mln_site_server and -S: $(mln_argv $n)" test "$(mln_argv $n)" = \
	"$MLN_STANDIN|client|-c|upgrade|-f|$T/projects/nii1.aws.mln|-h|huldra.vlab.iu.hio.no|-S"
check "the other site's project is its own template" \
	cmp -s <(tail -n +2 "$MLN_STANDIN_DIR/project.nii1.aws.mln") "$T/ec2.mln"

echo 2 > "$MLN_STANDIN_DIR/status"
n=$(( $(mln_runs) + 1 ))
mln_move move_to_home
check "a refusing mln server is a failure, with its status: $MLN_OUTCOME" \
	grep -q 'Move to 1 failed (refused): mln client exited with status 2' <<< "$MLN_OUTCOME"
check "back home goes through the site server too: $(mln_argv $n)" test "$(mln_argv $n)" = \
	"$MLN_STANDIN|client|-c|upgrade|-f|$T/projects/nii1.1.mln|-h|huldra.vlab.iu.hio.no|-S"
agent_stop
check "a failed move leaves the location as it was" grep -qx 'location=aws' "$T/state/state"
finish
