#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A scripted broker for the tests of the agent's broker endpoint (see vmmanage-broker(8),
BROKER PROTOCOL), where a real broker's hosts cannot be made to differ:

  broker_fake.py PORT VM KEYHEX LOCATION HOSTS_FILE MOVES_FILE
      serve VM (its key KEYHEX) until killed: WHERE answers "HERE LOCATION 0", HOSTS
      answers the HOST lines of HOSTS_FILE (read at each request), MOVE moves at once,
      records "ACTION TARGET" in MOVES_FILE and confirms; LOCATION follows the moves.
"""
import hashlib
import hmac
import os
import socket
import sys


def mac(key, text):
    return hmac.new(key, text, hashlib.sha512).digest()[:32]


def serve(conn, vm, key, state):
    f = conn.makefile("rb")
    hello = f.readline().decode().split()
    if len(hello) != 5 or hello[:3] != ["VMB1", "HELLO", vm]:
        conn.sendall(b"VMB1 ERR authentication failed\n")
        return
    boot, cn, sn = hello[3], hello[4], os.urandom(32).hex()
    head = lambda kind: ("VMB1 %s %s %s %s %s" % (kind, vm, boot, cn, sn)).encode()
    conn.sendall(("VMB1 CHALLENGE %s\n" % sn).encode())
    auth = f.readline().decode().split()
    if len(auth) != 2 or auth[1] != mac(key, head("AUTH") + b"\n").hex():
        conn.sendall(b"VMB1 ERR authentication failed\n")
        return
    conn.sendall(("VMB1 OK %s\n" % mac(key, head("OK") + b"\n").hex()).encode())
    while True:
        hdr = f.readline().decode().split()
        if len(hdr) != 4 or hdr[0] != "Q":
            return
        seq, body = int(hdr[1]), f.read(int(hdr[2]))
        if hdr[3] != mac(key, head("Q") + b" %d %d\n" % (seq, len(body)) + body).hex():
            conn.sendall(b"VMB1 ERR bad request MAC\n")
            return
        words = body.decode().split()
        if words[0] == "WHERE":
            out = "HERE %s 0\n" % state["location"]
        elif words[0] == "HOSTS":
            lines = [l for l in open(state["hosts"]).read().splitlines() if l.startswith("HOST ")]
            out = "HOSTS %d\n" % len(lines) + "".join(l + "\n" for l in lines)
        else:
            with open(state["moves"], "a") as m:
                m.write("%s %s\n" % (words[1], words[2]))
            state["location"] = words[2]
            out = "DONE confirmed 0 0 0.100 %s moved by the scripted broker\n" % words[2]
        p = out.encode()
        r = mac(key, head("R") + b" %d %d\n" % (seq, len(p)) + p)
        conn.sendall(b"R %d %d %s\n" % (seq, len(p), r.hex().encode()) + p)


def main():
    port, vm, key = int(sys.argv[1]), sys.argv[2], bytes.fromhex(sys.argv[3])
    state = {"location": sys.argv[4], "hosts": sys.argv[5], "moves": sys.argv[6]}
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(8)
    while True:
        conn, _ = ls.accept()
        conn.settimeout(30)
        try:
            serve(conn, vm, key, state)
        except (OSError, ValueError, IndexError):
            pass
        conn.close()


main()
