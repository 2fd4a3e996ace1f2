#!/usr/bin/python3
"""pair.py RAW.csv METRIC A B [B...]

Row B over row A of one `make bench` run (its results-*-raw.csv), sample by
sample: for each workload with METRIC (such as "GB/s" or "req/s"), the ratio
of B's sample to A's of the same repetition (W1: of the same part of it),
turned so that above 1 is B ahead, then the median (min-max) of those
ratios and how many there were. For A/B rows of one binary (-argsN) or of
two (-base, scripts/bench.sh's header).
"""
import csv
import statistics
import sys


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__.strip().splitlines()[0])
    raw, metric, a, *bs = sys.argv[1:]
    vals = {}
    with open(raw, newline="") as f:
        for row, wl, m, better, rep, value in (r for r in csv.reader(f) if len(r) == 6):
            if m != metric:
                continue
            try:
                vals[(row, wl, rep)] = (float(value), better)
            except ValueError:
                continue  # the header, or a sample that failed
    for wl in sorted({k[1] for k in vals}):
        out = []
        for b in bs:
            ratios = []
            for (row, w, rep), (va, better) in vals.items():
                if row != a or w != wl or (b, wl, rep) not in vals or not va:
                    continue
                vb = vals[(b, wl, rep)][0]
                if vb:
                    ratios.append(vb / va if better == "higher" else va / vb)
            if ratios:
                out.append(f"{b}: {statistics.median(ratios):.2f} "
                           f"({min(ratios):.2f}-{max(ratios):.2f}) n={len(ratios)}")
        if out:
            print(f"{wl} [{metric}] over {a}: " + "; ".join(out))


if __name__ == "__main__":
    main()
