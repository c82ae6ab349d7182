#!/bin/bash
# SPDX-License-Identifier: ISC
# The control socket with clients that do not follow the protocol: a NUL byte, a line
# too long, a line without LF ended by shutdown, silence. Each gets an answer (an ERR
# line) at once, or when its time is up, never a hang; the agent goes on serving.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
need_cmd python3

agent_conf 'policy = "threshold"' 'threshold = 1000' 'tarry = 3' 'daemon_interval = 0.3' \
	'hosts = ["h1", "h2"]' 'location = "h1"'
values $(yes 5 | head -n 500)
agent_start
wait_cycles 1 || die "a first cycle"

# ask BYTES [shutdown]: send the bytes (Python escapes), print the answer and how long
# it took; gives up after 15 s.
ask() {
	python3 - "$T/vmmanage.sock" "$1" "${2:-}" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(15)
s.connect(sys.argv[1])
t0 = time.monotonic()
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
if sys.argv[3] == "shutdown":
    s.shutdown(socket.SHUT_WR)
out = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        out += b
except socket.timeout:
    out += b"(no answer)"
print("%.1f %s" % (time.monotonic() - t0, out.decode("latin-1").strip().splitlines()[-1:] or ["(closed)"]))
EOF
}
secs() { cut -d' ' -f1 <<<"$1"; }
fast() { awk -v s="$(secs "$1")" 'BEGIN { exit !(s < 2) }'; }

out=$(ask 'status\n')
check "a good request: OK ($out)" grep -q "\['OK'\]" <<<"$out"
out=$(ask 'sta\x00tus\n')
check "a NUL byte: an ERR answer ($out)" grep -q "ERR request holds a NUL byte" <<<"$out"
check "at once, not at the client's timeout" fast "$out"
long=$(head -c 600 /dev/zero | tr '\0' x)
out=$(ask "$long")
check "a request too long: an ERR answer ($out)" grep -q "ERR request too long (at most 512 bytes)" <<<"$out"
check "at once" fast "$out"
out=$(ask "$long\\n")
check "with its LF too ($out)" grep -q "ERR request too long" <<<"$out"
out=$(ask "$(head -c 512 /dev/zero | tr '\0' x)\\r\\n")
check "512 bytes and CR LF is not too long: the command is unknown ($out)" grep -q "ERR unknown command" <<<"$out"
out=$(ask 'status' shutdown)
check "a line without LF, then shutdown: answered ($out)" grep -q "\['OK'\]" <<<"$out"
check "at once" fast "$out"
out=$(ask '')
check "silence: an ERR answer after 5 s ($out)" grep -q "ERR no request line within 5 s" <<<"$out"
check "and not much later" awk -v s="$(secs "$out")" 'BEGIN { exit !(s >= 4.5 && s < 10) }'
check "the agent still serves" sh -c "'$VMMANAGE' -c '$T/vmm.conf' status | grep -q '^location: h1'"
agent_stop
finish
