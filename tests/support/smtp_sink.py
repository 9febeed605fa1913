#!/usr/bin/env python3
"""A real SMTP server for the integration tests: stores every accepted message as a .eml file.

Usage: python3 smtp_sink.py --port N --maildir DIR [--host 127.0.0.1] [--fail-first N]

Prints "READY <port>" on stdout once listening (--port 0 picks a free port). Each message is
written as DIR/<sequence>-<nanoseconds>.eml with an "X-Envelope-To" header (the envelope
recipients, comma-separated) prepended. Files appear atomically, so a reader never sees a
half-written message. --fail-first N answers the first N DATA commands with a temporary
failure, to simulate an outage. Stops on SIGTERM or SIGINT. Needs `pip install aiosmtpd`.
"""

import argparse
import asyncio
import os
import signal
import sys
import time

from aiosmtpd.smtp import SMTP


class MaildirHandler:
    def __init__(self, maildir, fail_first):
        self.maildir = maildir
        self.failures_left = fail_first
        self.stored = 0

    async def handle_DATA(self, server, session, envelope):
        if self.failures_left > 0:
            self.failures_left -= 1
            return "451 4.3.0 try again later"
        self.stored += 1
        name = f"{self.stored:08d}-{time.time_ns()}.eml"
        recipients = ", ".join(envelope.rcpt_tos)
        data = f"X-Envelope-To: {recipients}\r\n".encode() + envelope.original_content
        partial = os.path.join(self.maildir, f".{name}.tmp")
        with open(partial, "wb") as file:
            file.write(data)
        os.replace(partial, os.path.join(self.maildir, name))
        return "250 2.0.0 OK"


async def serve(args):
    os.makedirs(args.maildir, exist_ok=True)
    handler = MaildirHandler(args.maildir, args.fail_first)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True, hostname="smtp-sink.test"),
        host=args.host,
        port=args.port,
    )
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    await stopped.wait()
    # Not awaiting wait_closed(): since Python 3.12 it also waits for clients that keep a
    # pooled connection open, which would stall shutdown.
    server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--fail-first", type=int, default=0, metavar="N")
    asyncio.run(serve(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
