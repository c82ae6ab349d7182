#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Hostile peers of the agent protocol for the tests (see vmmanage-collector(8)):

  wire_peer.py proxy LPORT TPORT DIR    forward 127.0.0.1:LPORT to TPORT, saving what each
                                        client sent in DIR/c2s.N (an eavesdropper)
  wire_peer.py replay PORT FILE [skip-auth]
                                        send FILE's bytes as one connection (without its
                                        AUTH line with skip-auth), print the replies
  wire_peer.py fake PORT MODE [KEYHEX]  pose as the collector; MODE says how it lies:
      v1-ok       answer HELLO with "VMM1 OK 9223372036854775807"
      ok-nomac    answer HELLO with "VMM2 OK 9223372036854775807", no CHALLENGE
      ok-badmac   CHALLENGE, then "VMM2 OK 9223372036854775807 <a wrong MAC>"
      ack-nomac   (KEYHEX) an honest OK 0, then "A 9223372036854775807" on the first frame
      ack-badmac  (KEYHEX) the same with a wrong MAC
      ack-other   (KEYHEX) the same with the right MAC for another connection's nonces
    and counts its connections in the file "fake.count" of the current directory.
The MACs are HMAC-SHA-512-256: HMAC-SHA-512 cut to 32 bytes, as libsodium's crypto_auth.
"""
import hashlib
import hmac
import os
import socket
import sys
import threading

BIG = 9223372036854775807


def mac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha512).digest()[:32].hex()


def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    return s


def pipe(src, dst, save):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            if save:
                save.write(b)
                save.flush()
            dst.sendall(b)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def proxy(lport, tport, outdir):
    ls = listener(lport)
    n = 0
    while True:
        c, _ = ls.accept()
        n += 1
        t = socket.create_connection(("127.0.0.1", tport))
        f = open(os.path.join(outdir, "c2s.%d" % n), "wb")
        threading.Thread(target=pipe, args=(c, t, f), daemon=True).start()
        threading.Thread(target=pipe, args=(t, c, None), daemon=True).start()


def replay(port, path, skip_auth):
    data = open(path, "rb").read()
    if skip_auth:
        data = b"".join(l for l in data.splitlines(True) if not l.startswith(b"AUTH "))
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass
    sys.stdout.write(got.decode(errors="replace"))


def readline(f):
    line = f.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def fake_session(c, mode, key):
    f = c.makefile("r", encoding="latin-1", newline="\n")
    hello = readline(f).split(" ")            # VMM2 HELLO host boot cnonce
    if mode == "v1-ok":
        c.sendall(b"VMM1 OK %d\n" % BIG)
    elif mode == "ok-nomac":
        c.sendall(b"VMM2 OK %d\n" % BIG)
    else:
        snonce = os.urandom(32).hex()
        c.sendall(("VMM2 CHALLENGE %s\n" % snonce).encode())
        readline(f)                            # AUTH mac, taken on trust
        sess = "%s %s %s %s" % (hello[2], hello[3], hello[4], snonce)
        if mode == "ok-badmac":
            c.sendall(("VMM2 OK %d %s\n" % (BIG, os.urandom(32).hex())).encode())
        else:
            c.sendall(("VMM2 OK 0 %s\n" % mac(key, "VMM2 OK %s 0\n" % sess)).encode())
            readline(f)                        # the first frame's header
            if mode == "ack-nomac":
                ack = "A %d" % BIG
            elif mode == "ack-badmac":
                ack = "A %d %s" % (BIG, os.urandom(32).hex())
            else:
                other = "%s %s %s %s" % (hello[2], hello[3], os.urandom(32).hex(), snonce)
                ack = "A %d %s" % (BIG, mac(key, "VMM2 A %s %d\n" % (other, BIG)))
            c.sendall((ack + "\n").encode())
    while c.recv(65536):                        # until the agent hangs up
        pass


def fake(port, mode, key):
    ls = listener(port)
    n = 0
    while True:
        c, _ = ls.accept()
        n += 1
        with open("fake.count.tmp", "w") as f:
            f.write("%d\n" % n)
        os.rename("fake.count.tmp", "fake.count")
        try:
            fake_session(c, mode, key)
        except (OSError, EOFError, IndexError):
            pass
        c.close()


def main():
    a = sys.argv[1:]
    if a[:1] == ["proxy"] and len(a) == 4:
        proxy(int(a[1]), int(a[2]), a[3])
    elif a[:1] == ["replay"] and len(a) in (3, 4):
        replay(int(a[1]), a[2], len(a) == 4 and a[3] == "skip-auth")
    elif a[:1] == ["fake"] and len(a) in (3, 4):
        fake(int(a[1]), a[2], bytes.fromhex(a[3]) if len(a) == 4 else b"")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
