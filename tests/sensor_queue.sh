#!/bin/bash
# SPDX-License-Identifier: ISC
# The queue sensor against a real Apache with mod_dav: claiming with MOVE (two agents at
# once: exactly one gets each queue), storing before running, malformed lines never run,
# and an agent killed with SIGKILL mid-queue resumes with every result recorded once.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/sensor_services.sh"
need_root
need_cmd bc curl
apache_setup
apache_start
URL="http://127.0.0.1:$HTTP_PORT"

# queue_conf NAME: agent NAME claims $URL/jobs as $URL/NAMEjobs, state in $T/NAME
queue_conf() {
	cat >"$T/$1.conf" <<CONF
queue_url = "$URL/jobs"
queue_claim_url = "$URL/${1}jobs"
bigjobs = "grade a"
state_dir = "$T/$1"
job_timeout = 10
http_timeout = 5
CONF
}
# publish FILE: the main queue, as the site's server would serve it
publish() { cp "$1" "$T/www/jobs"; chown nobody "$T/www/jobs"; }
http_code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
# results ID: the results lines of queue ID in agent's state dir $1
results_of() { grep "^$2 " "$T/$1/queue.results" 2>/dev/null; }

queue_conf nii4
queue_conf nii5
drive_init 0 "$T/nii4.conf" queue
check "init names the label ($REPLY)" grep -q $'^ready\tqueue\tbig jobs' <<<"$REPLY"
check "init touches no state_dir" test ! -e "$T/nii4"

# --- the thesis's page, with lines that must never run
{
	printf 'grade b = 123^123\ngrade b = 344^12\ngrade b = 12^2\ngrade b = 2^1\ngrade a = 1^2\n'
	printf ':\nrm -rf /\ngrade a = 2^10\ngrade a = 3^3; 1/0\n'
} >"$T/page1"
publish "$T/page1"
drive_start -n a "$T/nii4.conf" queue
drive -n a sample
check "the claim: known, 3 jobs of grade a ($REPLY)" test "$(s_known):$(s_value)" = 1:3
check "7 jobs left in all ($(s_extra))" test "$(s_extra)" = "jobs_left=7"
check "the main queue is gone from the server" test "$(http_code "$URL/jobs")" = 404
check "our claimed copy was deleted once stored" test "$(http_code "$URL/nii4jobs")" = 404
check "the queue is stored in state_dir" grep -q '^grade a = 2^10$' "$T/nii4/queue"
check "before any job ran" test ! -s "$T/nii4/queue.results"
check "the malformed lines are logged as skipped" \
	test "$(grep -c 'queue: .*skipped, never run' "$T/drive.log")" = 2
id=$(head -1 "$T/nii4/queue" | cut -d' ' -f3)
drive -n a "process"
check "process runs the queue to its end ($REPLY)" test "$REPLY" = $'1\t'
check "7 results recorded" test "$(results_of nii4 "$id" | wc -l)" = 7
want=$(echo '123^123' | bc | sed 's/\\/\\\\/g' | sed ':a;N;$!ba;s/\n/\\n/g')
check "bc's answer, escaped on one line: ${want:0:40}..." grep -qxF "$id 1 ok $want" "$T/nii4/queue.results"
check "2^10 = 1024" grep -qx "$id 8 ok 1024" "$T/nii4/queue.results"
check "a job that fails is recorded as failed" grep -q "^$id 9 failed " "$T/nii4/queue.results"
check "the malformed lines 6 and 7 never ran" bash -c "! grep -qE '^$id (6|7) ' '$T/nii4/queue.results'"
drive -n a sample
check "the finished queue is retired; nothing more to claim: 0 ($REPLY)" \
	test "$(s_known):$(s_value)" = 1:0 -a ! -e "$T/nii4/queue"

# --- two agents claim at once: exactly one gets each queue
drive_start -n b "$T/nii5.conf" queue
rounds=8 exact=0
for r in $(seq 1 $rounds); do
	printf 'grade a = %d\ngrade a = %d+1\n' "$r" "$r" >"$T/page-r"
	publish "$T/page-r"
	drive_send -n a sample
	drive_send -n b sample
	drive_read a 30; ra=$REPLY
	drive_read b 30; rb=$REPLY
	got=0
	[ "$(cut -f4 <<<"$ra")" = jobs_left=2 ] && got=$((got + 1))
	[ "$(cut -f4 <<<"$rb")" = jobs_left=2 ] && got=$((got + 1))
	if [ "$got" = 1 ] && [ "$(cut -f1 <<<"$ra")$(cut -f1 <<<"$rb")" = 11 ]; then
		exact=$((exact + 1))
	else
		echo "# round $r: nii4 [$ra] nii5 [$rb]"
	fi
	drive -n a process; drive -n b process
done
check "in $rounds rounds of simultaneous claims exactly one agent got the queue ($exact)" \
	test "$exact" = "$rounds"
all=$(cat "$T/nii4/queue.results" "$T/nii5/queue.results" | grep -c ' ok ')
# the first page had 6 jobs that succeed; each round 2
check "every claimed job ran once across both agents ($all of $((6 + rounds * 2)))" \
	test "$all" = $((6 + rounds * 2))
# mod_dav answers the loser of a MOVE race 500 (its rename found no source): say how often
echo "# MOVE races lost with a 500: $(grep -c 'Could not rename resource' "$T/error.log")"
drive_stop -n b

# --- killed with SIGKILL in the middle of a queue: resumed after the restart
drive -n a sample >/dev/null   # retire the last round's queue
: >"$T/page2"
for i in $(seq 1 40); do
	g=b; [ $((i % 4)) = 0 ] && g=a
	echo "grade $g = a=7^$((30000 + i)); a%1000" >>"$T/page2"
done
publish "$T/page2"
drive -n a sample
check "claimed 40 jobs, 10 big ($REPLY)" test "$(s_value):$(s_extra)" = "10:jobs_left=40"
id=$(head -1 "$T/nii4/queue" | cut -d' ' -f3)
drive_send -n a process
n=0
for ((w = 0; w < 300; w++)); do
	n=$(results_of nii4 "$id" | wc -l)
	[ "$n" -ge 10 ] && break
	sleep 0.05
done
kill -9 "${DRV_PIDS[a]}"
wait "${DRV_PIDS[a]}" 2>/dev/null || true
before=$(results_of nii4 "$id" | wc -l)
check "killed with SIGKILL after $before of 40 results" test "$before" -ge 10 -a "$before" -lt 40
cp "$T/nii4/queue.results" "$T/results-before"
drive_start -n a2 "$T/nii4.conf" queue
drive -n a2 sample
check "after the restart the stored queue resumes: no claim, $((40 - before)) left ($REPLY)" \
	test "$(s_extra)" = "jobs_left=$((40 - before))" -a "$(head -1 "$T/nii4/queue" | cut -d' ' -f3)" = "$id"
drive -n a2 process
check "and finishes ($REPLY)" test "$REPLY" = $'1\t'
check "the results recorded before the kill are untouched" \
	cmp -s "$T/results-before" <(head -c "$(stat -c %s "$T/results-before")" "$T/nii4/queue.results")
dups=$(results_of nii4 "$id" | cut -d' ' -f2 | sort | uniq -d | wc -l)
check "every job's result is recorded exactly once ($(results_of nii4 "$id" | wc -l) lines, $dups twice)" \
	test "$(results_of nii4 "$id" | cut -d' ' -f2 | sort -u | wc -l)" = 40 -a "$dups" = 0
wrong=0
for i in $(seq 1 40); do
	want=$(echo "a=7^$((30000 + i)); a%1000" | bc)
	grep -qx "$id $i ok $want" "$T/nii4/queue.results" || wrong=$((wrong + 1))
done
check "and right ($wrong wrong)" test "$wrong" = 0
drive_stop -n a2

# --- the agent with the site policy at home: an empty queue is processed without a word
# every cycle; a queue that arrives is run and said once
. "$top_srcdir/tests/agent_lib.sh"
cat >"$T/vmm.conf" <<CONF
policy = "site"
sensor = "queue"
threshold = 2
bigjobs = "grade a"
queue_url = "$URL/jobs"
queue_claim_url = "$URL/agentjobs"
job_timeout = 10
http_timeout = 5
daemon_interval = 0.5
endpoint = "exec"
endpoint_command = ["$top_srcdir/tests/recorder", "$T/moves", "$T/mode"]
home = ["h1"]
away = ["aws1"]
location = "h1"
module_dir = "$MODULE_DIR"
state_dir = "$T/agent"
log_file = "$T/vmmanage.log"
pid_file = "$T/vmmanage.pid"
control_socket = "$T/vmmanage.sock"
hostname = "nii4"
CONF
rm -f "$T/www/jobs"
agent_start
wait_cycles 8 || fail "8 cycles with an empty queue (got $(cycles))"
check "an empty queue: 'Would process' said once in 8 cycles ($(count_lines 'Would process' "$T/vmmanage.log"))" \
	test "$(count_lines 'nii4: Would process: at home now$' "$T/vmmanage.log")" = 1
check "and no 'Queue processed' for nothing ($(count_lines 'Queue processed' "$T/vmmanage.log"))" \
	test "$(count_lines 'Queue processed' "$T/vmmanage.log")" = 0
printf 'grade b = 2+2\ngrade b = 3*3\n' >"$T/page3"
publish "$T/page3"
wait_for 30 grep -q 'Queue processed' "$T/vmmanage.log" || fail "the new queue is processed"
n=$(cycles)
wait_cycles $((n + 6)) || fail "6 more cycles"
agent_stop
check "the queue that came was run ($(grep -c ' ok ' "$T/agent/queue.results" 2>/dev/null) results)" \
	test "$(grep -c ' ok ' "$T/agent/queue.results" 2>/dev/null)" = 2
check "and 'Queue processed' said once ($(count_lines 'Queue processed' "$T/vmmanage.log"))" \
	test "$(count_lines 'Queue processed' "$T/vmmanage.log")" = 1
check "'Would process' still once ($(count_lines 'Would process' "$T/vmmanage.log"))" \
	test "$(count_lines 'nii4: Would process: at home now$' "$T/vmmanage.log")" = 1

finish
