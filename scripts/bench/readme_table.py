"""README's performance table from one make bench report.

usage: python3 scripts/bench/readme_table.py build/bench/results-DATE.md [ROW]

Prints, for each workload's headline metric (req/s, GB/s, conn/s; p50 for
the W6 ping-pongs), splicegate's ROW (default splicegate-auto) against the
best peer unheld and held: the paired ratio with its range and the rounds
at or above, the ratio of the medians, and how busy both proxies were. A
cell is bold when ROW was at or above the peer in every round. Everything
comes from the report's "Ratios" and "Repetition by repetition" tables,
so the README's figures are that run's and nothing else.
"""
import sys

HEADLINE = ("req/s", "GB/s", "conn/s")


def tables(path):
    """The report's markdown tables, each a list of rows of cells, keyed by
    the first words of the paragraph before it."""
    out, title, cur = {}, "", None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cur is None:
                cur = out.setdefault(title, [])
            if not set(line) <= set("|-"):
                cur.append(cells)
        else:
            cur = None
            if line:
                title = " ".join(line.split()[:2])
    return out


def by_key(table):
    """(workload, metric) -> (header, cells): columns by position, since
    the paired table names every row's "peer busy" column alike."""
    head, rows = table[0], table[1:]
    return {(cells[0], cells[1]): (head, cells) for cells in rows}


def main():
    path = sys.argv[1]
    row = sys.argv[2] if len(sys.argv) > 2 else "splicegate-auto"
    held = row + "-q50"
    t = tables(path)
    ratios = by_key(t["Ratios of"])
    paired = by_key(t["Repetition by"])
    print("| workload | metric | unheld: best peer | `auto` ÷ best peer, paired (rounds at or above) "
          "| busy `auto` / peer | held to 50 %: best peer | `auto` ÷ best peer, paired (rounds) "
          "| busy `auto` / peer |")
    print("|---|---|---|---|---|---|---|---|")
    for (wl, metric), (head, d) in paired.items():
        ping = wl.startswith("W6")
        if not (metric in HEADLINE or (ping and metric == "p50 µs")):
            continue
        peers = d[2].split(" / ")
        cells = []
        for r, peer in ((row, peers[0]), (held, peers[-1])):
            col = f"{r} ÷ best peer, paired"
            if col not in head:
                cells += ["–", "–", "–"]
                continue
            # ROW's four columns: paired ratio, rounds, its busy, the peer's.
            i = head.index(col)
            ratio, rounds, busy, peer_busy = d[i:i + 4]
            rhead, rcells = ratios.get((wl, metric), ([], []))
            med = rcells[rhead.index(f"{r} ÷ best peer")].split()[0] if rcells else "–"
            med_text = f"medians {med}" + (" of its latency" if ping else "")
            got, n = rounds.split(" of ")
            cell = f"{ratio}, {rounds}"
            if got == n and float(ratio.split()[0]) >= 1:
                cell = f"**{cell}**"
            cells += [peer, f"{cell} ({med_text})", f"{busy} / {peer_busy}"]
        print(f"| {wl} | {metric} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
