"""Turns scripts/bench.sh's raw samples into the results table.

usage: report.py RAW.csv MACHINE FAILURES OUT.md OUT.csv

Per workload metric and row: median and min-max over the repetitions;
for each splicegate row, the ratio of its median to direct's and to the
best peer's, checked against issue 7's targets, and the same comparison
repetition by repetition (each splicegate sample over the best peer's of
the same round; rows run in turn, so a slow phase of the machine tends to
hit both) with how busy each proxy's core was. A peer is every row that is
neither direct nor splicegate nor a floor row (the HAProxy and nginx
configs); the best peer
is, per workload and metric, the peer row with the best median among those
with as many workers as the splicegate row (a "-xN" suffix: N workers,
threads or processes; none: 1) and the same CPU quota (a "-qP" suffix: P %
of one CPU; none: no quota), and the report names it. A splicegate row
that polls ("-poll": --busy-poll) is measured against every peer, HAProxy's
busy-polling rows among them; one that does not, against the peers that do
not either. A row with a
"-xN" suffix is also compared with the same row without it (scaling).
With floor rows (fwdfloor: bytes forwarded unread), the proxy CPU of
every row on small requests over HAProxy's lowest (issue 22 item 4).
"""
import csv
import re
import statistics
import sys

DIRECT = "direct"
OTHER, WINDOW = "other CPU s", "window s"


def load(path):
    """(workload, metric) -> {"better": str, "reps": {row: {rep: float}},
    "rows": {row: [floats]}}, in file order; "rows" is "reps" without the
    repetitions' numbers."""
    table, rows = {}, []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            key = (r["workload"], r["metric"])
            entry = table.setdefault(key, {"better": r["better"], "reps": {}})
            entry["reps"].setdefault(r["row"], {})[r["rep"]] = float(r["value"])
            if r["row"] not in rows:
                rows.append(r["row"])
    for entry in table.values():
        entry["rows"] = {row: list(reps.values()) for row, reps in entry["reps"].items()}
    return table, rows


def summed(table, metric):
    """Every sample of one metric, in file order across workloads and rows."""
    return [v for (wl, m), e in table.items() if m == metric
            for vals in e["rows"].values() for v in vals]


def metric_rank(metric):
    """Within a workload: throughput, latencies, CPU, then sleeps."""
    for i, prefix in enumerate(("req/s", "GB/s", "conn/s", "p50", "p99", "proxy CPU",
                                "proxy busy", "machine CPU", "client CPU", "origin CPU",
                                "proxy sleeps", "client sleeps")):
        if metric.startswith(prefix):
            return i
    return 99


def ordered(table):
    """Workloads in the order they ran, metrics by metric_rank."""
    workloads = list(dict.fromkeys(wl for wl, _ in table))
    return sorted(table.items(), key=lambda kv: (workloads.index(kv[0][0]), metric_rank(kv[0][1])))


def fmt(metric, v):
    if v is None:
        return "–"
    if "GB/s" in metric or "ratio" in metric:
        return f"{v:.2f}"
    if "CPU" in metric:
        return f"{v:.3g}"
    if "busy" in metric:
        return f"{v:.2f}"
    if ("µs" in metric or "sleeps" in metric) and v < 100:
        return f"{v:.1f}"
    return f"{v:.0f}"


def stats(vals):
    return statistics.median(vals), min(vals), max(vals)


def workers(row):
    """The row's workers: N for a "-xN" suffix, else 1."""
    m = re.search(r"-x([0-9]+)$", row)
    return int(m.group(1)) if m else 1


def single(row):
    """The row without its "-xN" suffix."""
    return re.sub(r"-x[0-9]+$", "", row)


def quota(row):
    """The share of one CPU, in %, the row's proxy is held to ("-qP"
    before any "-xN"); 0 when none."""
    m = re.search(r"-q([0-9]+)$", single(row))
    return int(m.group(1)) if m else 0


def unheld(row):
    """The row without its "-qP" and "-xN" suffixes."""
    return re.sub(r"-q[0-9]+$", "", single(row))


def polls(row):
    """The row polls instead of sleeping ("-poll" before any "-qP" or
    "-xN")."""
    return unheld(row).endswith("-poll")


def peer_class(row):
    """What a splicegate row is measured against: (workers, polls, quota)."""
    return workers(row), polls(row), quota(row)


def class_name(cls):
    n, poll, q = cls
    return ("best peer" + (f" ×{n}" if n > 1 else "") + (f" at {q} % CPU" if q else "")
            + (" (polling too)" if poll else ""))


def is_peer(row):
    """HAProxy and nginx rows: not direct, not ours, not the floor (fwdfloor,
    bytes forwarded unread: what any proxy pays at least)."""
    return not row.startswith(("direct", "splicegate-", "floor"))


def best_peer(entry, rows, cls):
    """(median, row) of the best peer row of class cls (peer_class), or
    (None, None). Ties go to the row listed first."""
    n, poll, q = cls
    cands = [(statistics.median(entry["rows"][r]), r) for r in rows
             if is_peer(r) and workers(r) == n and quota(r) == q and (poll or not polls(r))
             and entry["rows"].get(r)]
    if not cands:
        return None, None
    pick = max if entry["better"] == "higher" else min
    return pick(cands, key=lambda c: c[0])


def target(workload, metric, versus, better):
    """Issue 7's target for a ratio (value, is_minimum), or None; `better`
    is the metric's direction ("higher" for req/s, conn/s and GB/s)."""
    if versus == "direct":
        if metric == "GB/s":
            return 0.8, True
        return None
    if versus == "scaling":
        return None
    if metric.startswith("proxy CPU") and metric.endswith("/GB"):
        return 0.5, False
    if metric.startswith(("machine CPU", "client ", "origin ")):
        return None
    if metric.startswith("proxy sleeps"):
        return 2.0, False  # issue 71: at most twice HAProxy's
    return 1.0, better == "higher"


def ratio_cell(workload, metric, versus, better, r):
    if r is None:
        return "–"
    t = target(workload, metric, versus, better)
    mark = ""
    if t:
        ok = r >= t[0] if t[1] else r <= t[0]
        mark = " ✓" if ok else " ✗"
    return f"{r:.2f}{mark}"


def main():
    raw, machine_path, fails_path, out_md, out_csv = sys.argv[1:6]
    table, rows = load(raw)
    other = summed(table, OTHER)
    window = summed(table, WINDOW)
    table = {k: v for k, v in table.items() if k[1] not in (OTHER, WINDOW)}
    machine = dict(line.rstrip("\n").split("=", 1) for line in open(machine_path) if "=" in line)
    fails = open(fails_path).read().strip()
    sg_rows = [r for r in rows if r.startswith("splicegate-")]
    reps = machine.get("reps", "?")
    w1_parts = int(machine.get("w1_parts", "1"))

    out = []
    out.append(f"### Results {machine['date']}\n")
    out.append(
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), kernel {machine['kernel']}; "
        f"{machine['splicegate']}, {machine['haproxy']}, {machine['nginx']}, "
        f"{machine['wrk']}, {machine['curl']}, {machine['iperf3']}. "
        f"{reps} repetitions"
        + (f" (W1: {w1_parts} samples of {int(machine['w1_secs']) // w1_parts} s each, "
           f"taken round the rows in turn)" if w1_parts > 1 else "")
        + "; cells are median (min–max); GB = 10^9 bytes; "
        f"run time {machine.get('runtime_s', '?')} s; CPU busy without the benchmark "
        f"(other work on the machine, % of one CPU): {machine.get('background', '?')}."
        + (f" Placement: {machine['placement']}." if "placement" in machine else "") + "\n"
    )
    if window:
        # Ticks are 10 ms: only samples of 1 s or more say something alone.
        long = [(o, w) for o, w in zip(other, window) if w >= 1]
        busy = sum(1 for o, w in long if o > 0.1 * w)
        out.append(
            f"Other work on the machine while measuring (CPU outside the benchmark's "
            f"processes and kernel threads): {sum(other):.1f} CPU s in "
            f"{sum(window):.0f} s of samples ({100 * sum(other) / sum(window):.0f} % of one "
            f"CPU; a few % either way is this method's own error); {busy} of {len(long)} "
            f"samples of 1 s or more had over 10 %.\n")
    head = "| workload | metric | better | " + " | ".join(rows) + " |"
    out.append(head)
    out.append("|" + "---|" * (3 + len(rows)))
    csv_rows = []
    for (wl, metric), entry in ordered(table):
        ref_direct = entry["rows"].get(DIRECT)
        ref_direct = statistics.median(ref_direct) if ref_direct else None
        cells = []
        for row in rows:
            vals = entry["rows"].get(row)
            if not vals:
                # direct has no proxy; a floor row runs W1 and W6 alone;
                # W9 (extAuthz) is splicegate's alone.
                quiet = (row.startswith("direct") and metric.startswith("proxy")) or \
                    (row.startswith("floor") and not wl.startswith(("W1", "W6"))) or \
                    (not row.startswith("splicegate-") and wl.startswith("W9"))
                cells.append("–" if quiet else "FAIL")
                continue
            med, lo, hi = stats(vals)
            want = reps if not wl.startswith("W1 ") or not reps.isdigit() \
                else str(int(reps) * w1_parts)
            n = "" if str(len(vals)) == want else f" n={len(vals)}"
            cells.append(f"{fmt(metric, med)} ({fmt(metric, lo)}–{fmt(metric, hi)}){n}")
            ref_peer, peer = best_peer(entry, rows, peer_class(row))
            if entry["better"] == "info":
                ref_direct = ref_peer = peer = None
            rd = med / ref_direct if ref_direct else None
            rp = med / ref_peer if ref_peer else None
            csv_rows.append([wl, metric, entry["better"], row, len(vals), med, lo, hi,
                             "" if rd is None else f"{rd:.4f}", "" if rp is None else f"{rp:.4f}",
                             peer or ""])
        out.append(f"| {wl} | {metric} | {entry['better']} | " + " | ".join(cells) + " |")

    out.append("")
    if sg_rows:
        ratios(out, table, rows, sg_rows)
        out.append("")
        paired(out, table, rows, sg_rows)
        out.append("")
    if any(r.startswith("floor") for r in rows):
        floor_cpu(out, table, rows)
        out.append("")
    scaled = [r for r in rows if workers(r) > 1 and single(r) in rows]
    if scaled:
        scaling(out, table, scaled)
        out.append("")
    out.append("Failures: " + ("none." if not fails else "\n\n" + fails))
    out.append("")
    with open(out_md, "w") as f:
        f.write("\n".join(out))
    with open(out_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "metric", "better", "row", "n", "median", "min", "max",
                    "ratio_vs_direct", "ratio_vs_best_peer", "best_peer"])
        w.writerows(csv_rows)


def floor_cpu(out, table, rows):
    """Proxy CPU per small request or round trip of the splicegate and
    floor rows over the lowest of the HAProxy rows with the same quota
    (single worker, not polling): what issue 22 item 4 compares, beside
    the floor that forwards bytes unread."""
    mine = [r for r in rows if r.startswith(("splicegate-", "floor")) and workers(r) == 1
            and not polls(r)]
    out.append("Proxy CPU on small requests over HAProxy's (the lowest median of the HAProxy "
               "rows with the same CPU quota), beside the floor rows (scripts/bench/fwdfloor.c: "
               "bytes forwarded without being read, on epoll or on io_uring):\n")
    out.append("| workload | metric | HAProxy row | " + " | ".join(f"{r} ÷ HAProxy" for r in mine)
               + " |")
    out.append("|" + "---|" * (3 + len(mine)))
    for (wl, metric), entry in ordered(table):
        if not metric.startswith("proxy CPU") or metric.endswith("/GB") or \
                not wl.startswith(("W1", "W2", "W6")):
            continue
        for q in sorted({quota(r) for r in mine}):
            hap = [(statistics.median(v), r) for r, v in entry["rows"].items()
                   if r.startswith("haproxy") and quota(r) == q and workers(r) == 1
                   and not polls(r) and v]
            if not hap:
                continue
            ref, name = min(hap)
            cells = []
            for r in mine:
                vals = entry["rows"].get(r)
                cells.append(f"{statistics.median(vals) / ref:.2f}" if vals and quota(r) == q and ref
                             else "–")
            out.append(f"| {wl} | {metric} | {name} | " + " | ".join(cells) + " |")


def ratios(out, table, rows, sg_rows):
    groups = sorted({peer_class(r) for r in sg_rows})
    out.append("Ratios of splicegate's medians to direct's and to the best peer's: per "
               "workload and metric, the best median of every HAProxy and nginx row (with as "
               "many workers and the same CPU quota as the splicegate row; polling only if it polls), named in the "
               "\"best peer\" column; ✓/✗ "
               "against issue 7's targets (≥ the best peer everywhere, proxy CPU/GB ≤ 0.5× "
               "the best peer's, bulk GB/s ≥ 0.8× direct).\n")
    peer_heads = [class_name(c) for c in groups]
    head = "| workload | metric | better | " + " | ".join(peer_heads) + " | " + " | ".join(
        f"{r} ÷ direct | {r} ÷ best peer" for r in sg_rows) + " |"
    out.append(head)
    out.append("|" + "---|" * (3 + len(groups) + 2 * len(sg_rows)))
    for (wl, metric), entry in ordered(table):
        ref_direct = entry["rows"].get(DIRECT)
        ref_direct = statistics.median(ref_direct) if ref_direct else None
        peers = {c: best_peer(entry, rows, c) for c in groups}
        cells = [peers[c][1] or "–" for c in groups]
        for row in sg_rows:
            vals = entry["rows"].get(row)
            med = statistics.median(vals) if vals else None
            ref_peer = peers[peer_class(row)][0]
            rd = med / ref_direct if med is not None and ref_direct else None
            rp = med / ref_peer if med is not None and ref_peer else None
            cells += [ratio_cell(wl, metric, "direct", entry["better"], rd),
                      ratio_cell(wl, metric, "peer", entry["better"], rp)]
        if entry["better"] != "info":
            out.append(f"| {wl} | {metric} | {entry['better']} | " + " | ".join(cells) + " |")


def paired(out, table, rows, sg_rows):
    """Each splicegate row against the best peer (by median, as above),
    repetition by repetition, on the workloads' throughput and p50."""
    out.append("Repetition by repetition: each splicegate sample over the best peer's of "
               "the same repetition (W1: of the same part of it), turned so that above 1 is "
               "splicegate ahead (for p50, the peer's latency over splicegate's); median "
               "(min–max) of those ratios, the samples splicegate was at or above the peer, "
               "and the median share "
               "of its core each proxy kept busy (near 1: the proxy limits the workload; "
               "well below: the load generator's core does).\n")
    out.append("| workload | metric | best peer | " + " | ".join(
        f"{r} ÷ best peer, paired | {r} at or above | {r} busy | peer busy" for r in sg_rows)
        + " |")
    out.append("|" + "---|" * (3 + 4 * len(sg_rows)))
    for (wl, metric), entry in ordered(table):
        if not metric.startswith(("req/s", "GB/s", "conn/s", "p50")):
            continue
        busy = table.get((wl, "proxy busy (of a core)"), {"rows": {}})["rows"]
        cells, peer_names = [], []
        for row in sg_rows:
            _, peer = best_peer(entry, rows, peer_class(row))
            ours = entry["reps"].get(row, {})
            theirs = entry["reps"].get(peer, {}) if peer else {}
            pairs = [(ours[k], theirs[k]) for k in ours if k in theirs and ours[k] and theirs[k]]
            if not pairs:
                cells += ["–"] * 4
                continue
            if peer not in peer_names:
                peer_names.append(peer)
            rs = [a / b if entry["better"] == "higher" else b / a for a, b in pairs]
            med, lo, hi = stats(rs)
            cells += [f"{med:.2f} ({lo:.2f}–{hi:.2f})",
                      f"{sum(1 for r in rs if r >= 1)} of {len(rs)}",
                      f"{statistics.median(busy[row]):.2f}" if busy.get(row) else "–",
                      f"{statistics.median(busy[peer]):.2f}" if busy.get(peer) else "–"]
        out.append(f"| {wl} | {metric} | {' / '.join(peer_names) or '–'} | "
                   + " | ".join(cells) + " |")


def scaling(out, table, scaled):
    """Each "-xN" row's medians over the same row's with one worker."""
    out.append("Scaling: each row with N workers (\"-xN\") over the same row with one, "
               "both run with nothing pinned; for throughput above 1 is better, for CPU "
               "per unit 1 means the same cost per request or byte.\n")
    out.append("| workload | metric | better | " + " | ".join(
        f"{r} ÷ {single(r)}" for r in scaled) + " |")
    out.append("|" + "---|" * (3 + len(scaled)))
    for (wl, metric), entry in ordered(table):
        cells = []
        for row in scaled:
            a, b = entry["rows"].get(row), entry["rows"].get(single(row))
            cells.append(f"{statistics.median(a) / statistics.median(b):.2f}"
                         if a and b and statistics.median(b) else "–")
        if all(c == "–" for c in cells):
            continue
        out.append(f"| {wl} | {metric} | {entry['better']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
