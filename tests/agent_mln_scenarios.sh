#!/bin/bash
# SPDX-License-Identifier: ISC
# Each scenario config in conf/ that uses the mln endpoint, run by the agent against the
# stand-in `mln` with moves forced from the CLI: the thesis's argv (`mln client -c upgrade
# -f HOST.N.mln -h SERVER`, the site server and -S across sites), project files whose
# service_host is a real host, and the administrator's own files used byte for byte and
# never written (mln_project_mode = "own"), a missing one an error at -t.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/agent_mln_lib.sh"
[ -x "$VMMANAGE" ] || die "no $VMMANAGE: build first"

SERVER_RE='(shadowfax|huldra)\.vlab\.iu\.hio\.no'
mkdir -p "$T/templates"
# the thesis's Listing 3.7, its passwords left out
array_template() {
	cat <<-MLN
	global {
	    project $1
	}
	host $1 {
	    xen
	    iscsi sanserver
	    template nii.ext3
	    network eth0 {
	        address dhcp
	    }
	    memory 512M
	    service_host mln1.vlab.iu.hio.no
	}
	MLN
}
# the other site's project: Amazon EC2, not the array's with one line changed
ec2_template() {
	cat <<-MLN
	global {
	    project $1
	}
	host $1 {
	    ec2 {
	        type m1.small
	        ami ami-2a5e4d43
	    }
	    memory 1700M
	}
	MLN
}

# scenario_conf FILE NAME [own]: the shipped file with the exec sensor, the stand-in,
# this test's paths, moves only when asked (mode = "recommend"), and its commented
# templates enabled (or, with own, mln_project_mode = "own" in $T/own).
scenario_conf() {
	local src=$1 name=$2 mode=${3:-generate}
	array_template "$name" > "$T/templates/$name.mln"
	ec2_template "$name" > "$T/templates/$name.aws.mln"
	grep -Ev '^[[:space:]]*(sensor[a-z_]*|mysql_[a-z_]*|apache_[a-z_]*|http_[a-z_]*|queue_[a-z_]*|job_[a-z_]*|tls_verify|daemon_interval|cooldown|max_moves_per_hour|mode|mln_program|mln_project_dir|mln_project_mode|state_dir|log_file|pid_file|control_socket|module_dir|hostname)[[:space:]]*[=:]' "$src" |
	if [ "$mode" = own ]; then cat; else
		sed -e "s|^#mln_template = .*|mln_template = \"$T/templates/$name.mln\"|" \
		    -e "s|^#mln_templates = \\[\"aws=.*|mln_templates = [\"aws=$T/templates/$name.aws.mln\"]|"
	fi > "$T/vmm.conf"
	cat >> "$T/vmm.conf" <<-EOC
		sensor = "exec"
		sensor_command = ["$top_srcdir/tests/scripted-sensor", "$T/values", "$T/sensor.idx"]
		daemon_interval = 0.5
		sensor_timeout = 0.45
		mode = "recommend"
		cooldown = 0
		max_moves_per_hour = 0
		module_dir = "$MODULE_DIR"
		state_dir = "$T/state"
		log_file = "$T/vmmanage.log"
		pid_file = "$T/vmmanage.pid"
		control_socket = "$T/vmmanage.sock"
		hostname = "$name"
		mln_program = "$MLN_STANDIN"
	EOC
	if [ "$mode" = own ]; then
		printf 'mln_project_mode = "own"\nmln_project_dir = "%s"\n' "$T/own" >> "$T/vmm.conf"
	else
		printf 'mln_project_dir = "%s"\n' "$T/projects" >> "$T/vmm.conf"
	fi
	rm -rf "$T/state" "$T/projects" "$T/vmmanage.log" "$MLN_STANDIN_DIR"/*
	mkdir -p "$T/projects"
	: > "$T/values"
	rm -f "$T/sensor.idx"
}

# check_run NAME DIR N: the stand-in's N-th run is the thesis's command line for a
# project file DIR/NAME.TARGET.mln; for a project with a service_host, that host is the
# target's MLN host (mlnTARGET of the thesis's cluster), never a bare number.
check_run() {
	local name=$1 dir=$2 n=$3 argv target copy sh
	argv=$(mln_argv "$n")
	check "$name: run $n is mln client -c upgrade -f FILE -h SERVER [-S]: $argv" \
		grep -qE "^$MLN_STANDIN\|client\|-c\|upgrade\|-f\|$dir/$name\.[^|/]+\.mln\|-h\|$SERVER_RE(\|-S)?\$" <<< "$argv"
	target=${argv#*|-f|"$dir/$name".}
	target=${target%%.mln|*}
	copy=$MLN_STANDIN_DIR/project.$name.$target.mln
	check "$name: the stand-in got the project file for $target" test -s "$copy"
	sh=$(mln_service_host "$copy")
	case $target in
	aws) check "$name: the other site's project is EC2's, without a service_host ($sh)" \
		sh -c "grep -q '^    ec2 {' '$copy' && test -z '$sh'" ;;
	*) check "$name: service_host for host $target is a real host: $sh" \
		test "$sh" = "mln$target.vlab.iu.hio.no" ;;
	esac
	check "$name: the project keeps its project name" grep -qx "    project $name" "$copy"
}

n_scenarios=0
for src in "$top_srcdir"/conf/nii*.conf; do
	grep -qE '^endpoint *= *"mln"' "$src" || continue
	n_scenarios=$((n_scenarios + 1))
	f=$(basename "$src")
	name=${f%%-*}
	policy=$(sed -n 's/^policy *= *"\([a-z]*\)".*/\1/p' "$src")
	scenario_conf "$src" "$name"
	"$VMMANAGE" -c "$T/vmm.conf" -t > "$T/t.out" 2>&1
	check "$f with its templates enabled loads with -t: $(head -1 "$T/t.out")" grep -q 'configuration OK' "$T/t.out"
	grep -q 'configuration OK' "$T/t.out" || continue
	agent_start
	case $policy in
	site) actions="move_from_home move_to_home" ;;
	base|schedule) actions="move move_to_base" ;;
	*) actions="move move" ;;
	esac
	i=0
	for a in $actions; do
		i=$((i + 1))
		mln_move "$a" || continue
		check "$f: $a is accepted by MLN (unconfirmed): $MLN_OUTCOME" grep -q 'unconfirmed' <<< "$MLN_OUTCOME"
		check_run "$name" "$T/projects" "$i"
		case $a in
		move_from_home|move_to_home)
			check "$f: $a goes to the site server with -S" grep -qE '\|-h\|huldra\.vlab\.iu\.hio\.no\|-S$' <<< "$(mln_argv $i)" ;;
		*)
			check "$f: $a goes to the array's server" grep -qE '\|-h\|shadowfax\.vlab\.iu\.hio\.no$' <<< "$(mln_argv $i)" ;;
		esac
		[ "$a" = move_to_base ] && check "$f: the base is host 1" grep -q 'Move to 1 ' <<< "$MLN_OUTCOME"
	done
	agent_stop
done
check "the scenario configs using mln were all run ($n_scenarios)" test "$n_scenarios" -ge 5

# own files: nii4 with the administrator's project files, as the thesis's /root/.vmmanage
src=$top_srcdir/conf/nii4-site.conf
scenario_conf "$src" nii4 own
mkdir -p "$T/own" "$T/pristine"
array_template nii4 > "$T/own/nii4.1.mln"
array_template nii4 | sed 's/service_host mln1\./service_host mln2./' > "$T/own/nii4.2.mln"
"$VMMANAGE" -c "$T/vmm.conf" -t > "$T/t.out" 2>&1
rc=$?
check "own files: -t fails while nii4.aws.mln is missing (exit $rc)" test "$rc" = 1
check "and names it: $(head -1 "$T/t.out")" grep -qF "$T/own/nii4.aws.mln" "$T/t.out"
check "and says how to mend it" grep -q 'write it (one file nii4.HOST.mln per host)' "$T/t.out"
# an EC2 project, by hand, with what no template would give it
{ ec2_template nii4; printf '# hand-written, keep: \t trailing  \n'; } > "$T/own/nii4.aws.mln"
cp -p "$T/own"/* "$T/pristine/"
stat -c '%n %i %Y %a' "$T/own"/* > "$T/own.stat"
"$VMMANAGE" -c "$T/vmm.conf" -t > "$T/t.out" 2>&1
check "own files: -t passes with all three: $(head -1 "$T/t.out")" grep -q 'configuration OK' "$T/t.out"
agent_start
mln_move move_from_home
check "own files: the move to aws is accepted: $MLN_OUTCOME" grep -q 'Move to aws unconfirmed' <<< "$MLN_OUTCOME"
check "own files: argv names the administrator's file, the site server and -S: $(mln_argv 1)" \
	test "$(mln_argv 1)" = "$MLN_STANDIN|client|-c|upgrade|-f|$T/own/nii4.aws.mln|-h|huldra.vlab.iu.hio.no|-S"
check "own files: mln got the administrator's file byte for byte" \
	cmp -s "$MLN_STANDIN_DIR/project.nii4.aws.mln" "$T/pristine/nii4.aws.mln"
mln_move move_to_home
check "own files: home again with nii4.1.mln: $(mln_argv 2)" \
	test "$(mln_argv 2)" = "$MLN_STANDIN|client|-c|upgrade|-f|$T/own/nii4.1.mln|-h|huldra.vlab.iu.hio.no|-S"
agent_stop
check "own files: none was written (same inode, time and mode)" \
	test "$(stat -c '%n %i %Y %a' "$T/own"/*)" = "$(cat "$T/own.stat")"
for f in "$T/pristine"/*; do
	check "own files: $(basename "$f") is as the administrator wrote it" cmp -s "$f" "$T/own/$(basename "$f")"
done
check "own files: nothing else appeared in the directory" test "$(ls -A "$T/own" | wc -l)" = 3
finish
