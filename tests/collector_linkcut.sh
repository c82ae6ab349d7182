#!/bin/bash
# SPDX-License-Identifier: ISC
# Cut the link between an agent and the collector (two network namespaces joined by a veth
# pair, one end set down for 5 s) while it streams 5,000 messages: after the link comes
# back everything arrives, exactly once, in order.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/collector_lib.sh"
need_root
need_cmd ip nc ss
[ -x "$DRIVER" ] || skip "logship_driver is not built"

N=5000
NSC=vmmc$$ NSA=vmma$$
ip netns add "$NSC" || skip "cannot create network namespaces here"
on_exit "ip netns del $NSC"
ip netns add "$NSA"
on_exit "ip netns del $NSA"
ip link add vc$$ netns "$NSC" type veth peer name va$$ netns "$NSA"
ip -n "$NSC" addr add 10.231.0.1/24 dev vc$$
ip -n "$NSA" addr add 10.231.0.2/24 dev va$$
ip -n "$NSC" link set vc$$ up; ip -n "$NSC" link set lo up
ip -n "$NSA" link set va$$ up; ip -n "$NSA" link set lo up

collector_dirs
cat > "$T/c.conf" <<CONF
listen = ["10.231.0.1:31000"];
allow = ["10.231.0.0/24"];
state_dir = "$T/state";
user = "nobody";
rate_limit = 0;
CONF
OUT="$T/out/central.log"
ip netns exec "$NSC" "$COLLECTOR" -f -c "$T/c.conf" -o "$OUT" 2>>"$T/collector.err" &
CPID=$!
on_exit "kill -9 $CPID"
wait_for 10 ip netns exec "$NSA" nc -z 10.231.0.1 31000 || die "collector not reachable"

ip netns exec "$NSA" "$DRIVER" -c 10.231.0.1:31000 -s "$T/spool" -n "$N" -H agent2 -r 1000 \
	-a 2 -t 50 -v > "$T/driver.out" 2> "$T/driver.err" &
DPID=$!
on_exit "kill -9 $DPID"
# the cut comes in the middle of the stream
flowing() { [ "$(wc -l < "$OUT")" -ge 1000 ]; }
wait_for 30 flowing || fail "1,000 messages arrive before the cut"
ip -n "$NSA" link set va$$ down
# what reached the collector before the cut is written once nothing waits in its sockets
# and it is back in epoll_wait (with the link down nothing new can come)
drained() {
	[ -z "$(ip netns exec "$NSC" ss -Htn state established '( sport = :31000 )' | awk '$1 != 0')" ] &&
		grep -q epoll "/proc/$CPID/wchan"
}
wait_for 10 drained || fail "the collector has written what reached it before the cut"
before=$(wc -l < "$OUT")
sleep 5 # the link stays down this long
during=$(wc -l < "$OUT")
ip -n "$NSA" link set va$$ up
echo "# link down for 5 s: $before lines before, $during after"
check "nothing arrived while the link was down" [ "$before" = "$during" ]
wait "$DPID"; rc=$?
cat "$T/driver.out"; grep -m3 -E "not connected|no ack" "$T/driver.err"
check "driver saw all $N acknowledged (rc $rc)" [ "$rc" = 0 ]
seq_of agent2 message "$OUT" > "$T/got"
seq 1 "$N" > "$T/want"
check "OUTPUT has each of the $N messages exactly once, in order" cmp -s "$T/got" "$T/want"
finish
