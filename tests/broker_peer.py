#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A scripted agent of the broker protocol for the tests (see vmmanage-broker(8)):

  broker_peer.py PORT VM KEYHEX [--twice] REQUEST...
      authenticate as VM with KEYHEX, send each REQUEST ("MOVE move h2 0", "WHERE",
      "HOSTS") with rising sequence numbers and print each answer's payload, or
      "BROKER-ERR why" when the broker closes with VMB1 ERR; with --twice the first
      request goes out a second time with its old sequence number (a replay).
The MACs are HMAC-SHA-512-256: HMAC-SHA-512 cut to 32 bytes, as libsodium's crypto_auth.
"""
import hashlib
import hmac
import os
import socket
import sys


def mac(key, text):
    return hmac.new(key, text, hashlib.sha512).digest()[:32]


class Peer:
    def __init__(self, port, vm, key):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.settimeout(60)
        self.f = self.s.makefile("rb")
        self.vm, self.key, self.boot = vm, key, "test1"
        self.cn = os.urandom(32)

    def line(self):
        l = self.f.readline()
        if not l:
            raise EOFError("closed")
        l = l.rstrip(b"\n").decode()
        if l.startswith("VMB1 ERR "):
            raise EOFError("BROKER-ERR " + l[9:])
        return l

    def head(self, kind):
        return ("VMB1 %s %s %s %s %s" % (kind, self.vm, self.boot, self.cn.hex(), self.sn.hex())).encode()

    def hello(self):
        self.s.sendall(("VMB1 HELLO %s %s %s\n" % (self.vm, self.boot, self.cn.hex())).encode())
        ch = self.line()
        assert ch.startswith("VMB1 CHALLENGE "), ch
        self.sn = bytes.fromhex(ch.split()[2])
        self.s.sendall(b"AUTH " + mac(self.key, self.head("AUTH") + b"\n").hex().encode() + b"\n")
        ok = self.line()
        want = mac(self.key, self.head("OK") + b"\n").hex()
        assert ok == "VMB1 OK " + want, "bad OK: " + ok

    def ask(self, seq, req):
        p = (req + "\n").encode()
        m = mac(self.key, self.head("Q") + b" %d %d\n" % (seq, len(p)) + p)
        self.s.sendall(b"Q %d %d %s\n" % (seq, len(p), m.hex().encode()) + p)
        hdr = self.line().split()
        assert hdr[0] == "R" and int(hdr[1]) == seq, hdr
        body = self.f.read(int(hdr[2]))
        want = mac(self.key, self.head("R") + b" %d %d\n" % (seq, len(body)) + body)
        assert hdr[3] == want.hex(), "bad R mac"
        return body.decode()


def main():
    a = sys.argv[1:]
    port, vm, key = int(a[0]), a[1], bytes.fromhex(a[2])
    twice = a[3] == "--twice"
    reqs = a[4:] if twice else a[3:]
    try:
        p = Peer(port, vm, key)
        p.hello()
        for i, r in enumerate(reqs):
            sys.stdout.write(p.ask(i + 1, r))
            sys.stdout.flush()
            if twice and i == 0:
                sys.stdout.write(p.ask(1, r))
    except EOFError as e:
        print(str(e))
    except (AssertionError, OSError) as e:
        print("PEER-FAILED %s" % e)
        sys.exit(1)


main()
