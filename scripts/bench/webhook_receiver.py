#!/usr/bin/env python3
"""A webhook receiver for benchmarks: answers every POST with 204 and logs one line per request,
`path webhook-id arrival_unix_ms occurred_at`, so that a run can be checked for missing and
repeated deliveries and for the delay between an event and its arrival.

Usage: webhook_receiver.py LOG_FILE PORT_FILE
It listens on a free loopback port and writes that port to PORT_FILE once ready.
Standard library only, so the benchmark needs nothing installed.
"""

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log_path, port_path = sys.argv[1], sys.argv[2]
log = open(log_path, "a", buffering=1)  # line-buffered: a killed run still leaves its lines
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections open, as Convene's client expects; with HTTP/1.0 every
    # delivery would pay for a new connection and the receiver would measure that instead.
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        arrived_ms = int(time.time() * 1000)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        try:
            occurred_at = json.loads(body).get("occurred_at", "-")
        except ValueError:
            occurred_at = "-"
        webhook_id = self.headers.get("webhook-id", "-")
        with lock:
            log.write(f"{self.path} {webhook_id} {arrived_ms} {occurred_at}\n")
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # one line per request is already written above
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_path + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
# Renamed into place so the script never reads a half-written port.
os.replace(port_path + ".tmp", port_path)
server.serve_forever()
