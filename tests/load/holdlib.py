"""What tests/load/tlshold.py and h2hold.py share: the command line, the
proxy's RSS, the two rounds around the idle pause, and the RESULT line
scripts/load.sh reads.

A client module gives open_conn(port) -> conn (its first request not yet
asked) and ask(conn, round) -> True when the response was a 200 with the
expected body; hold() does the rest.
"""
import argparse
import resource
import sys
import time


def args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--path", default="/100b")
    ap.add_argument("--body-len", type=int, default=100)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--idle-ms", type=int, default=3000)
    ap.add_argument("--deadline-s", type=int, default=600)
    return ap.parse_args()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def hold(a, open_conn, ask, close, tend=None):
    """Round 1 on a.conns new connections, the idle pause and the RSS
    reading, round 2 on the same ones; prints RESULT; exit status. During
    the pause tend(conns), when given, is called every 50 ms: a client that
    keeps reading what its connections bring."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    end = time.monotonic() + a.deadline_s
    base = rss_kb(a.pid)
    conns, answered = [], 0
    for i in range(a.conns):
        if time.monotonic() > end:
            break
        try:
            c = open_conn(a.port)
            answered += ask(c, 1)
            conns.append(c)
        except OSError as e:
            print(f"connection {i}: {e}", file=sys.stderr)
    pause_end = time.monotonic() + a.idle_ms / 1000
    while time.monotonic() < pause_end:
        if tend:
            tend(conns)
        time.sleep(max(min(pause_end - time.monotonic(), 0.05), 0))
    idle = rss_kb(a.pid)
    for i, c in enumerate(conns):
        if time.monotonic() > end:
            break
        try:
            answered += ask(c, 2)
        except OSError as e:
            print(f"connection {i}, round 2: {e}", file=sys.stderr)
    held = len(conns)
    errors = a.conns * 2 - answered
    per = (idle - base) * 1024 // max(held, 1)
    print(f"RESULT held={held} answered={answered} errors={errors} rss_base_kb={base} "
          f"rss_idle_kb={idle} rss_per_conn_b={per}")
    for c in conns:
        close(c)
    return 0 if errors == 0 else 1
