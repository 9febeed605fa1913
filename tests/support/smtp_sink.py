"""A real SMTP server for the test suite: accepts every message and writes it, as received, to
a folder (one .eml file per message, named in arrival order).

    python3 smtp_sink.py --port 2525 --dir /tmp/mail [--fail-first N] [--delay-data SECONDS]

--fail-first N answers the first N messages with a temporary 451 error, as a busy or
recovering server does. --delay-data holds every reply to DATA for a while after the message
was written, so a test can stop the sender between the server having the message and the
sender hearing so. It prints "ready" on stdout once it listens.
"""

import argparse
import asyncio
import itertools
import os
import signal
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder, fail_first, delay_data):
        self.folder = folder
        self.failures_left = fail_first
        self.delay_data = delay_data
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        if self.failures_left > 0:
            self.failures_left -= 1
            return "451 4.3.0 try again later"
        # Named by arrival time, so the names sort in arrival order even across restarts of
        # the sink on the same folder.
        name = f"{time.time_ns():020d}-{next(self.numbers):06d}"
        partial = os.path.join(self.folder, f".{name}.partial")
        with open(partial, "wb") as out:
            out.write(envelope.original_content or envelope.content)
        os.rename(partial, os.path.join(self.folder, f"{name}.eml"))
        if self.delay_data:
            await asyncio.sleep(self.delay_data)
        return "250 2.0.0 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--delay-data", type=float, default=0.0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(
        Sink(args.dir, args.fail_first, args.delay_data),
        hostname="127.0.0.1",
        port=args.port,
        decode_data=False,
        data_size_limit=10 * 1024 * 1024,
    )
    controller.start()
    print("ready", flush=True)
    stop = asyncio.new_event_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.call_soon_threadsafe(stop.stop))
    try:
        stop.run_forever()
    finally:
        controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
