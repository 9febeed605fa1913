#!/usr/bin/env python3
"""Reads a webhook receiver log (see webhook_receiver.py) and reports on it.

  webhook_report.py once EXPECTED_FILE LOG_FILE START_MS KILL_MS RESTART_MS
      EXPECTED_FILE holds the deliveries Convene queued, one `path event_id` a line. Reports
      how many arrived, how many were missing, how many arrived more than once and whether
      every repeat straddles the kill (first arrival before it, the repeat after it).
  webhook_report.py latency LOG_FILE SINCE_MS
      Delay from each event's occurred_at to its arrival, for requests that arrived after
      SINCE_MS: count, median, p95, p99, max.
"""

import sys
from collections import defaultdict
from datetime import datetime


def read_log(path):
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4:
                yield parts[0], parts[1], int(parts[2]), parts[3]


def percentile(sorted_values, p):
    # Nearest rank: the smallest value with at least p % of the values at or below it.
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def once(expected_path, log_path, start_ms, kill_ms, restart_ms):
    with open(expected_path) as f:
        expected = {tuple(line.split()) for line in f if line.strip()}
    arrivals = defaultdict(list)
    for path, webhook_id, arrived, _ in read_log(log_path):
        arrivals[(path, webhook_id)].append(arrived)
    received = set(arrivals)
    repeats = {key: times for key, times in arrivals.items() if len(times) > 1}
    straddling = sum(
        1 for times in repeats.values() if min(times) < kill_ms and max(times) >= kill_ms
    )
    firsts = sorted(min(times) for times in arrivals.values())
    before_kill = sum(1 for t in firsts if t < kill_ms)
    print(f"deliveries expected:           {len(expected)}")
    print(f"requests received:             {sum(len(t) for t in arrivals.values())}")
    print(f"distinct (path, webhook-id):   {len(received & expected)}")
    print(f"unexpected (not queued):       {len(received - expected)}")
    print(f"missing:                       {len(expected - received)}")
    print(f"duplicates (extra requests):   {sum(len(t) - 1 for t in repeats.values())}"
          f" over {len(repeats)} deliveries")
    print(f"  of which first sent before the kill and again after it: {straddling}")
    print(f"distinct received before the kill (at +{(kill_ms - start_ms) / 1000:.2f} s): {before_kill}")
    if firsts:
        last = firsts[-1]
        print(f"elapsed, import start to last first arrival: {(last - start_ms) / 1000:.2f} s")
        # Deliveries left behind by the killed instance wait for its lease to run out, so the
        # time to the bulk of the run is shown apart from that tail.
        if len(firsts) > 200:
            p99 = firsts[int(len(firsts) * 0.99) - 1]
            print(f"elapsed, import start to 99 % of deliveries: {(p99 - start_ms) / 1000:.2f} s")
        late = sum(1 for t in firsts if t >= restart_ms + 5000)
        print(f"distinct first arriving later than 5 s after the restart: {late}")


def parse_occurred(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def latency(log_path, since_ms):
    delays = sorted(
        arrived - parse_occurred(occurred)
        for _, _, arrived, occurred in read_log(log_path)
        if arrived >= since_ms and occurred != "-"
    )
    if not delays:
        print("no deliveries arrived")
        return
    print(f"deliveries:  {len(delays)}")
    print(f"median:      {percentile(delays, 50):.0f} ms")
    print(f"p95:         {percentile(delays, 95):.0f} ms")
    print(f"p99:         {percentile(delays, 99):.0f} ms")
    print(f"max:         {delays[-1]:.0f} ms")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "once":
        once(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif mode == "latency":
        latency(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
