#!/bin/bash
# The mln endpoint against a stand-in `mln` (MLN is not packaged): the argv and project
# file are the thesis's (`mln client -c upgrade -f host.N.mln -h server`, -S across sites).
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
export MLN_STANDIN_DIR=$T/mln
mkdir -p "$MLN_STANDIN_DIR"
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
agent_conf 'policy = "threshold"' 'threshold = 1000' 'daemon_interval = 0.2' 'cooldown = 0' \
	'max_moves_per_hour = 0' 'hosts = ["1", "2", "3"]' 'location = "1"' 'away = ["aws"]'
sed -i '/^endpoint/d' "$T/vmm.conf"
cat >> "$T/vmm.conf" <<EOC
endpoint = "mln"
mln_program = "$top_srcdir/tests/mln-standin"
mln_server = "shadowfax.vlab.iu.hio.no"
mln_template = "$T/template.mln"
mln_project_dir = "$T/projects"
EOC
sed -i 's/^hostname = .*/hostname = "nii1"/' "$T/vmm.conf"
mkdir -p "$T/projects"
values $(seq 1 50)
agent_start
vmm move >/dev/null
wait_for 15 test -s "$MLN_STANDIN_DIR/argv" || fail "mln ran"
want="$top_srcdir/tests/mln-standin|client|-c|upgrade|-f|$T/projects/nii1.2.mln|-h|shadowfax.vlab.iu.hio.no"
check "argv as the thesis ran it" test "$(head -1 "$MLN_STANDIN_DIR/argv")" = "$want"
check "the project file names the target host" grep -qx '    service_host 2' "$MLN_STANDIN_DIR/project.nii1.2.mln"
check "and keeps the rest of the template" grep -qx '    template nii.ext3' "$MLN_STANDIN_DIR/project.nii1.2.mln"
wait_for 15 grep -q 'Move to 2 unconfirmed' "$T/vmmanage.log" && ok "MLN cannot confirm: logged unconfirmed" || fail "unconfirmed"
wait_for 15 sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^location: 2 (assumed)'" \
	&& ok "the location is assumed, and status says so" || fail "assumed location"

vmm move_from_home >/dev/null
wait_for 15 sh -c "test \$(wc -l < '$MLN_STANDIN_DIR/argv') -ge 2" || fail "second mln run"
check "cross-site adds -S" test "$(sed -n 2p "$MLN_STANDIN_DIR/argv")" = \
	"$top_srcdir/tests/mln-standin|client|-c|upgrade|-f|$T/projects/nii1.aws.mln|-h|shadowfax.vlab.iu.hio.no|-S"

echo 2 > "$MLN_STANDIN_DIR/status"
vmm move_to_home >/dev/null
wait_for 15 grep -q 'Move to 1 failed (refused): mln client exited with status 2' "$T/vmmanage.log" \
	&& ok "a refusing mln server is a failure, with its status" || fail "refused logged"
agent_stop
check "a failed move leaves the location as it was" grep -qx 'location=aws' "$T/state/state"
finish
