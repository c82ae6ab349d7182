#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# The service manager's end of sd_notify, for the tests: binds the datagram socket a
# Type=notify unit would get as $NOTIFY_SOCKET and writes each message it receives as one
# line (its fields joined by '|') to OUT, flushed at once. Runs until killed.
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
# as /run/systemd/notify: a daemon that has dropped to its user can still write to it
os.chmod(path, 0o666)
with open(out, "a", buffering=1) as f:
    print("listening", file=f)
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        print("|".join(msg.strip().split("\n")), file=f)
