#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 120
# vmmanage-broker killed (kill -9) while its endpoint carries out a move, with the exec
# endpoint (no hypervisor needed; tests/broker_restart.sh does it on libvirt hosts). The
# move is recorded before it starts as one block, state_dir/begun.VM (the record of
# moves is written when a move ends): restarted, the broker finds it there, in flight,
# never runs it again, and answers its ID with its outcome. A block a crash cut short
# (its checksum fails) announced a move that never started: it is ignored.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/broker_lib.sh"
need_cmd python3

broker_key vm1
broker_vm vm1 "endpoint_command = [\"$top_srcdir/tests/recorder\", \"$T/moves.vm1\", \"$T/mode\"]" \
	'hosts = ["h1", "h2"]'
broker_conf 'endpoint = "exec"'
# the endpoint's call waits at the recorder's gate ($T/mode.open) until the test opens it
echo gate > "$T/mode"
on_exit "touch '$T/mode.open'"
broker_start

id=0123456789abcdef
peer vm1 "MOVE move h2 0 $id" > "$T/peer1.out" 2>&1 &
wait_for 20 grep -qx 'move h2' "$T/moves.vm1" || fail "the endpoint was called: $(tail -3 "$T/broker.log")"
check "the move was recorded before it started: one block, begun.vm1" \
	sh -c "grep -q '^$id 1 h2 0 [0-9]* -\$' '$T/bstate/begun.vm1' && test \$(stat -c %s '$T/bstate/begun.vm1') = 512"
check "the record of moves waits for its end" test ! -e "$T/bstate/moves.vm1"
kill -9 "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null
cp "$T/broker.log" "$T/broker.log.1"
# the killed broker's endpoint child still waits at the gate: let it go, and let it end
touch "$T/mode.open"
wait_for 10 sh -c "! pgrep -f '[r]ecorder $T/moves.vm1' >/dev/null" || fail "the old endpoint call ended"
rm -f "$T/mode.open"

broker_start
wait_for 20 grep -q "broker: vm1: the move to h2 (request $id) was in flight when the broker stopped" "$T/broker.log" \
	&& ok "restarted, the broker finds request $id again" || fail "broker: $(tail -3 "$T/broker.log")"
wait_for 20 grep -q 'broker: vm1: move to h2 unconfirmed' "$T/broker.log" \
	&& ok "and, the exec endpoint unable to look for it, ends it unconfirmed" || fail "broker: $(tail -3 "$T/broker.log")"
check "the endpoint ran once: nothing ran again" test "$(cat "$T/moves.vm1")" = "move h2"
out=$(peer vm1 "OUTCOME $id")
check "OUTCOME $id: its answer ($out)" grep -q '^DONE unconfirmed ' <<<"$out"
out=$(peer vm1 "MOVE move h2 0 $id")
check "MOVE with request $id again: answered from the record ($out)" grep -q '^DONE unconfirmed ' <<<"$out"
check "still one call of the endpoint" test "$(cat "$T/moves.vm1")" = "move h2"
check "the record of moves has it now, ended" grep -q "^$id 1 h2 0 [0-9]* DONE unconfirmed" "$T/bstate/moves.vm1"
broker_stop

# a block a crash cut short: another ID in it, its checksum not matching
sed -i "s/^$id /fedcba9876543210 /" "$T/bstate/begun.vm1"
broker_start
out=$(peer vm1 "OUTCOME fedcba9876543210")
check "OUTCOME of its ID: UNKNOWN ($out)" test "$out" = UNKNOWN
check "a block that fails its checksum is not taken for a move in flight" \
	sh -c "! grep -q 'was in flight' '$T/broker.log'"
check "nothing ran" test "$(cat "$T/moves.vm1")" = "move h2"
broker_stop
finish
