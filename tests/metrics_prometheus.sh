#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 180
# The collector's and the broker's /metrics (metrics_listen): a real Prometheus, run with
# conf/prometheus-vmmanage.yml and conf/vmmanage-alerts.yml (checked by promtool), scrapes
# both and its HTTP API gives back what the test caused: agent messages counted, a move
# refused by reason, a move confirmed. `promtool check metrics` accepts each exposition;
# other paths are 404, other methods 405; `vmmanage-broker status --json` parses and says
# the same; the HTTP server runs as the service user.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/broker_lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_cmd promtool prometheus python3 curl nc

# ---- the examples in conf/ ----
check "promtool check rules conf/vmmanage-alerts.yml" \
	sh -c "promtool check rules '$top_srcdir/conf/vmmanage-alerts.yml' > '$T/rules.out' 2>&1"
mkdir -p "$T/conf"
cp "$top_srcdir/conf/prometheus-vmmanage.yml" "$top_srcdir/conf/vmmanage-alerts.yml" "$T/conf/"
check "promtool check config conf/prometheus-vmmanage.yml (with its rules)" \
	sh -c "cd '$T/conf' && promtool check config prometheus-vmmanage.yml > '$T/config.out' 2>&1"

# ---- a bad metrics_listen is an error naming file and line ----
collector_dirs
write_conf "$T/bad.conf" 1 'metrics_listen = "localhost:9465";'
check_fails_with "collector -t: metrics_listen must be numeric" 1 "bad.conf:[0-9]+: metrics_listen \"localhost:9465\": .*numeric" \
	"$COLLECTOR" -t -c "$T/bad.conf" -o "$T/out/x.log"
write_conf "$T/bad.conf" 1 'metrics_listen = "127.0.0.1";'
check_fails_with "collector -t: metrics_listen needs a port" 1 "bad.conf:[0-9]+: metrics_listen \"127.0.0.1\": expected ADDRESS:PORT" \
	"$COLLECTOR" -t -c "$T/bad.conf" -o "$T/out/x.log"

# ---- a collector and a broker, each with metrics_listen ----
cport=$(free_port)
cmport=$(free_port)
write_conf "$T/c.conf" "$cport" "metrics_listen = \"127.0.0.1:$cmport\";"
start_collector "$T/c.conf" "$T/out/central.log"

broker_key vm1
broker_vm vm1 "endpoint_command = [\"$top_srcdir/tests/recorder\", \"$T/moves.vm1\", \"$T/mode\"]" \
	'hosts = ["h1", "h2"]'
bmport=$(free_port)
broker_conf 'endpoint = "exec"' "metrics_listen = \"127.0.0.1:$bmport\"" "state_dir = \"$T/bstate\""
broker_start

# what the test causes: 3 agent messages; a move refused (h9 is not vm1's); one confirmed
python3 - "$cport" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"VMM1 HELLO vm1 00000000000000c1\n")
f = s.makefile("rb")
seq = int(f.readline().split()[2])
for m in [b"cycle x=1 count=0 threshold=5 action=none location=h1", b"one", b"two"]:
    seq += 1
    s.sendall(b"M %d %d %d\n" % (seq, int(time.time()), len(m)) + m + b"\n")
while int(f.readline().split()[1]) < seq:
    pass
PY
out=$(peer vm1 "MOVE move h9 0" "MOVE move h2 0")
check "the broker refuses h9 ($(head -1 <<<"$out"))" grep -q '^REFUSED 3600 h9' <<<"$out"
check "and moves to h2 ($(tail -1 <<<"$out"))" grep -q '^DONE confirmed' <<<"$out"

curl -s "http://127.0.0.1:$cmport/metrics" > "$T/collector.prom"
curl -s "http://127.0.0.1:$bmport/metrics" > "$T/broker.prom"
for d in collector broker; do
	check "promtool check metrics: the $d's exposition ($(promtool check metrics < "$T/$d.prom" 2>&1 | head -2 | tr '\n' ' '))" \
		sh -c "promtool check metrics < '$T/$d.prom' > '$T/$d.promtool' 2>&1"
	check "the $d's samples carry no timestamp" \
		sh -c "! grep -Eq '^[a-z_]+(\{[^}]*\})? [^ ]+ [0-9]+\$' '$T/$d.prom'"
done
check "collector: 3 agent messages" grep -qx 'vmmanage_collector_messages_total{protocol="agent"} 3' "$T/collector.prom"
check "collector: by kind, 1 cycle and 2 notes" \
	sh -c "grep -qx 'vmmanage_collector_agent_messages_total{kind=\"cycle\"} 1' '$T/collector.prom' && grep -qx 'vmmanage_collector_agent_messages_total{kind=\"note\"} 2' '$T/collector.prom'"
check "collector: vm1's last-seen age" grep -Eq '^vmmanage_collector_vm_last_seen_seconds\{vm="vm1"\} [0-9]+$' "$T/collector.prom"
check "broker: refused for not_allowed 1" grep -qx 'vmmanage_broker_refused_total{reason="not_allowed"} 1' "$T/broker.prom"
check "broker: confirmed 1, in the duration histogram" \
	sh -c "grep -qx 'vmmanage_broker_moves_total{outcome=\"confirmed\"} 1' '$T/broker.prom' && grep -qx 'vmmanage_broker_move_duration_seconds_count 1' '$T/broker.prom'"
check "Content-Type is the text format 0.0.4" \
	sh -c "curl -sI 'http://127.0.0.1:$cmport/metrics' | grep -qi '^Content-Type: text/plain; version=0.0.4'"
check "another path: 404" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$cmport/other")" = 404
check "another method: 405" test "$(curl -s -X POST -d x -o /dev/null -w '%{http_code}' "http://127.0.0.1:$bmport/metrics")" = 405
cpid=$(ss -Hltnp "sport = :$cmport" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
check "the collector serves /metrics as its service user ($(ps -o user= -p "${cpid:-0}"))" \
	test "$(ps -o user= -p "${cpid:-0}")" = nobody

# ---- scrapers are bounded: 4 connections from one address, the rest closed ----
cat > "$T/hold.py" <<'PY'
import socket, sys, time
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(10)]
time.sleep(2)
open_ = 0
for c in conns:
    c.setblocking(False)
    try:
        open_ += c.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        open_ += 1
    except OSError:
        pass
print(open_)
PY
held=$(python3 "$T/hold.py" "$cmport")
check "10 idle connections from one address: 4 kept, the rest closed ($held)" test "$held" = 4
check "and once they are gone, a scrape works" \
	sh -c "curl -s -m 5 'http://127.0.0.1:$cmport/metrics' | grep -q '^vmmanage_collector_connections '"

# ---- a port below 1024: bound as root, served as the service user ----
if [ "$(id -u)" = 0 ]; then
	lowport=$(python3 -c '
import socket
for p in range(990, 900, -1):
    try:
        s = socket.socket(); s.bind(("127.0.0.1", p)); s.close(); print(p); break
    except OSError:
        pass')
	cport2=$(free_port)
	mkdir -p "$T/state2"
	chown nobody "$T/state2"
	printf 'listen = ["127.0.0.1:%s"];\nstate_dir = "%s";\nuser = "nobody";\nmetrics_listen = "127.0.0.1:%s";\n' \
		"$cport2" "$T/state2" "$lowport" > "$T/c2.conf"
	"$COLLECTOR" -f -c "$T/c2.conf" -o "$T/out/c2.log" 2>"$T/c2.err" &
	c2pid=$!
	on_exit "kill $c2pid"
	_low_up() { curl -s "http://127.0.0.1:$lowport/metrics" | grep -q '^vmmanage_collector_info'; }
	check "metrics_listen on port $lowport (below 1024) serves /metrics" wait_for 10 _low_up
	check "as nobody, not root ($(ps -o user= -p "$c2pid"))" test "$(ps -o user= -p "$c2pid")" = nobody
	kill "$c2pid"
fi

# ---- broker status --json ----
bctl status --json > "$T/bstatus.json"
check "broker status --json parses and agrees: admitted 1, refused not_allowed 1, confirmed 1, vm1 on h2" \
	python3 -c "
import json; s = json.load(open('$T/bstatus.json'))
assert s['admitted'] == 1 and s['refused']['not_allowed'] == 1 and s['moves']['confirmed'] == 1, s
assert s['requests']['move'] == 2 and s['moves_running'] == 0, s
assert [v['location'] for v in s['vms'] if v['vm'] == 'vm1'] == ['h2'], s
assert sorted(h['host'] for h in s['hosts']) == ['h1', 'h2'], s"
bctl drain h1 >/dev/null
check "a drained host shows in the metrics" \
	sh -c "curl -s 'http://127.0.0.1:$bmport/metrics' | grep -qx 'vmmanage_broker_hosts_draining 1'"

# ---- a real Prometheus with the example config, its targets made this test's ----
pport=$(free_port)
sed -e "s/127.0.0.1:9465/127.0.0.1:$cmport/; s/127.0.0.1:9466/127.0.0.1:$bmport/" \
	-e 's/scrape_interval: 15s/scrape_interval: 1s/; s/evaluation_interval: 15s/evaluation_interval: 1s/' \
	"$top_srcdir/conf/prometheus-vmmanage.yml" > "$T/conf/prometheus-vmmanage.yml"
prometheus --config.file="$T/conf/prometheus-vmmanage.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$pport" > "$T/prom.log" 2>&1 &
on_exit "kill $!"
query() { curl -s "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1"; }
# has QUERY VALUE: the query's first result has that value
has() { query "$1" | grep -q "\"value\":\[[0-9.]*,\"$2\"\]"; }
check "Prometheus: the collector counted 3 agent messages" \
	wait_for 60 has 'vmmanage_collector_messages_total{protocol="agent"}' 3
check "Prometheus: the broker refused 1 move for not_allowed" \
	wait_for 30 has 'vmmanage_broker_refused_total{reason="not_allowed"}' 1
check "Prometheus: the broker confirmed 1 move" wait_for 30 has 'vmmanage_broker_moves_total{outcome="confirmed"}' 1
check "Prometheus: both targets up" wait_for 30 has 'count(up{job=~"vmmanage-collector|vmmanage-broker"} == 1)' 2
check "Prometheus loaded the alert rules" \
	sh -c "curl -s 'http://127.0.0.1:$pport/api/v1/rules' | grep -q VmmanageVmSilent"
broker_stop
finish
