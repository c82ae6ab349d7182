#!/bin/bash
# SPDX-License-Identifier: ISC
# metrics_file: the agent writes node_exporter textfile metrics that promtool accepts, a
# real node_exporter serves and a real Prometheus scrapes, with the values
# `vmmanage status --json` shows; an unknown sample is absent, not 0; the file is
# replaced whole, never written through a link; a directory it cannot write is said
# once per episode.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
need_cmd promtool prometheus prometheus-node-exporter python3 curl

mkdir -p "$T/textfile"
agent_conf 'policy = "threshold"' 'threshold = 50' 'tarry = 1' 'daemon_interval = 0.3' \
	'cooldown = 0' 'max_moves_per_hour = 0' 'hosts = ["h1", "h2"]' 'location = "h1"' \
	"metrics_file = \"$T/textfile/vmmanage.prom\"" 'collector = "127.0.0.1:9"'
values 10 20 99 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30 unknown
agent_start
check "a move is confirmed" wait_for 30 grep -q 'Move to h2 confirmed' "$T/vmmanage.log"
_unknown_seen() { grep -q '^vmmanage_indicator_known 0$' "$T/textfile/vmmanage.prom"; }
check "the sensor runs out: the metrics say the indicator is unknown" wait_for 30 _unknown_seen
cp "$T/textfile/vmmanage.prom" "$T/snap.prom"
check "promtool check metrics accepts the file ($(promtool check metrics < "$T/snap.prom" 2>&1 | head -3 | tr '\n' ' '))" \
	sh -c "promtool check metrics < '$T/snap.prom' > '$T/promtool.out' 2>&1"
check "no value while unknown (not 0)" sh -c "! grep -q '^vmmanage_indicator_value ' '$T/snap.prom'"
check "no timestamps on samples" sh -c "! grep -Eq '^[a-z_]+(\{[^}]*\})? [^ ]+ [0-9]+$' '$T/snap.prom'"
check "only the file itself in the directory (the temporary one was renamed)" \
	test "$(ls "$T/textfile")" = vmmanage.prom
check "the file is 0644" test "$(stat -c %a "$T/textfile/vmmanage.prom")" = 644

# status --json: parses, and says the same as the metrics
vmm status --json > "$T/status.json"
python3 - "$T/status.json" "$T/snap.prom" > "$T/compare" 2>&1 <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
m = {}
for line in open(sys.argv[2]):
    if not line.startswith('#'):
        k, v = line.rsplit(' ', 1); m[k] = float(v)
print('location', s['location'])
print('confirmed', s['requests']['confirmed'], m['vmmanage_move_outcomes_total{outcome="confirmed"}'])
print('requests', s['requests']['total'], m['vmmanage_move_requests_total'])
print('unknown', s['sensor_unknown'], s['samples'][-1], m['vmmanage_indicator_known'])
print('collector', s['collector']['address'], s['collector']['connected'], m['vmmanage_collector_connected'])
print('hosts', ' '.join(h['name'] for h in s['hosts']))
EOF
check "status --json: the location ($(grep location "$T/compare"))" grep -qx 'location h2' "$T/compare"
check "confirmed moves: 1 in both" grep -qx 'confirmed 1 1.0' "$T/compare"
check "requests: 1 in both" grep -qx 'requests 1 1.0' "$T/compare"
check "unknown: true, the last sample null, known 0 ($(grep unknown "$T/compare"))" grep -qx 'unknown True None 0.0' "$T/compare"
check "the collector: named, not connected" grep -qx 'collector 127.0.0.1:9 False 0.0' "$T/compare"
check "the hosts" grep -qx 'hosts h1 h2' "$T/compare"

# A real node_exporter serves the file and a real Prometheus scrapes it.
ne_port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$T/textfile" > "$T/ne.log" 2>&1 &
on_exit "kill $!"
pr_port=$(free_port)
cat > "$T/prom.yml" <<EOF
global: { scrape_interval: 1s }
scrape_configs:
  - job_name: vm
    static_configs: [ { targets: ['127.0.0.1:$ne_port'] } ]
EOF
prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$pr_port" > "$T/prom.log" 2>&1 &
on_exit "kill $!"
query() { curl -s "http://127.0.0.1:$pr_port/api/v1/query" --data-urlencode "query=$1"; }
_scraped() { query 'vmmanage_move_outcomes_total{outcome="confirmed"}' | grep -q '"value":\[[0-9.]*,"1"\]'; }
check "Prometheus scrapes confirmed moves = 1 through node_exporter" wait_for 60 _scraped
check "and the VM's info" sh -c "curl -s 'http://127.0.0.1:$pr_port/api/v1/query?query=vmmanage_info' | grep -q '\"vm\":\"testvm\"'"
check "node_exporter saw no parse error" sh -c "! curl -s 'http://127.0.0.1:$ne_port/metrics' | grep -q '^node_textfile_scrape_error 1'"
agent_stop

# A link at the file's name is replaced, never written through.
echo 'precious' > "$T/precious"
ln -sf "$T/precious" "$T/textfile/vmmanage.prom"
values 10 10 10 10 10
rm -f "$T/sensor.idx"
agent_start
_replaced() { [ -f "$T/textfile/vmmanage.prom" ] && [ ! -L "$T/textfile/vmmanage.prom" ]; }
check "a symlink at metrics_file is replaced by the file" wait_for 30 _replaced
check "and its target is untouched" test "$(cat "$T/precious")" = precious
agent_stop

# A directory it cannot write: said once while it lasts, not every cycle.
sed -i "s|^metrics_file = .*|metrics_file = \"$T/nodir/vmmanage.prom\"|" "$T/vmm.conf"
values 10 10 10 10 10 10 10 10 10 10
rm -f "$T/sensor.idx"
: > "$T/vmmanage.log"
agent_start
wait_cycles 6
check "the error is logged once in 6 cycles ($(count_lines 'Cannot write metrics_file' "$T/vmmanage.log"))" \
	test "$(count_lines 'Cannot write metrics_file' "$T/vmmanage.log")" = 1
agent_stop
finish
