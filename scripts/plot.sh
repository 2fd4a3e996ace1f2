#!/bin/bash
# Charts of `make bench` and `make load` results, drawn as SVG by gnuplot
# (Debian's gnuplot-nox; scripts/install-deps.sh installs it).
#
# usage: scripts/plot.sh bench RESULTS.csv OUT.svg
#          the ratios of each splicegate engine to direct and to the best
#          peer config (HAProxy or nginx), per workload on its headline metric (throughput, else p50), from the
#          .csv that scripts/bench/report.py writes (columns workload,
#          metric, better, row, ..., ratio_vs_direct, ratio_vs_best_peer;
#          older files' ratio_vs_haproxy_best is read the same). Each ratio is
#          turned so that above 1 means splicegate does better: as it is for
#          throughput, inverted for latency and CPU ("better: lower").
#        scripts/plot.sh load SAMPLES OUT.svg
#          the gateway's RSS and open fds over each engine's run, from the
#          lines "ENGINE SECONDS RSS_KB FDS" that scripts/load.sh samples.
set -eu

die() {
	echo "plot: $*" >&2
	exit 1
}

[ $# = 3 ] || die "usage: scripts/plot.sh bench|load INPUT OUT.svg"
MODE=$1 IN=$2 OUT=$3
[ -s "$IN" ] || die "$IN: missing or empty"
command -v gnuplot >/dev/null || die "gnuplot not found (Debian package gnuplot-nox: make deps)"
WORK=$(mktemp -d /tmp/splicegate-plot.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# bench_data CSV: $WORK/ratios.dat, one line per workload that has a
# ratio on its headline metric (throughput, else p50 latency): its label, then per engine the ratio to direct and to
# the best peer's ("?" where there is none); $WORK/engines, the engines.
bench_data() {
	/usr/bin/python3 - "$1" "$WORK" <<'EOF'
import csv
import sys

src, work = sys.argv[1], sys.argv[2]
HEADLINE = ("req/s", "conn/s", "GB/s", "p50 µs")
keys, engines, cells, better = [], [], {}, {}
with open(src, newline="") as f:
    for r in csv.DictReader(f):
        if not r["row"].startswith("splicegate-"):
            continue
        key = (r["workload"], r["metric"])
        # Each workload's headline: its first throughput or latency
        # metric (the report lists them first); CPU, wake-ups and the
        # rest stay in the report's table.
        if key not in keys:
            if r["metric"] not in HEADLINE or any(k[0] == key[0] for k in keys):
                continue
            keys.append(key)
        if r["row"] not in engines:
            engines.append(r["row"])
        better[key] = r["better"]
        peer = r["ratio_vs_best_peer"] if "ratio_vs_best_peer" in r else r["ratio_vs_haproxy_best"]
        cells[key + (r["row"],)] = (r["ratio_vs_direct"], peer)


def turned(v, key):
    try:
        x = float(v)
    except ValueError:
        return "?"
    if x <= 0:
        return "?"
    return "%.4f" % (x if better[key] == "higher" else 1 / x)


with open(work + "/ratios.dat", "w") as out:
    for key in keys:
        vals = []
        for e in engines:
            d, h = cells.get(key + (e,), ("", ""))
            vals += [turned(d, key), turned(h, key)]
        if all(v == "?" for v in vals):
            continue
        label = "%s · %s" % key
        out.write('"%s" %s\n' % (label.replace('"', "'"), " ".join(vals)))
with open(work + "/engines", "w") as out:
    out.write(" ".join(e[len("splicegate-"):] for e in engines) + "\n")
# The y range: powers of two around every ratio, 1/2 to 2 at least; a
# tic at each, written as a fraction below 1.
vals = [float(v) for k in keys for e in engines for v in
        (turned(c, k) for c in cells.get(k + (e,), ("", ""))) if v != "?"]
lo = min([0.5] + vals)
hi = max([2.0] + vals)
a, b = -1, 1
while 2.0 ** a > lo:
    a -= 1
while 2.0 ** b < hi:
    b += 1
tics = ", ".join('"%s" %r' % ("1/%d" % 2 ** -i if i < 0 else str(2 ** i), 2.0 ** i)
                 for i in range(a, b + 1))
open(work + "/yaxis", "w").write("set yrange [%r:%r]\nset ytics (%s)\n" % (2.0 ** a, 2.0 ** b, tics))
# Which references the run had: a panel without one says so.
for i, name in ((0, "direct"), (1, "peer")):
    has = any(cells[k][i] not in ("", None) and turned(cells[k][i], k[:2]) != "?" for k in cells)
    open(work + "/has_" + name, "w").write("1\n" if has else "0\n")
EOF
}

plot_bench() {
	local engines n rows w
	bench_data "$IN"
	engines=$(cat "$WORK/engines")
	n=$(wc -w <"$WORK/engines")
	rows=$(wc -l <"$WORK/ratios.dat")
	[ "$n" -gt 0 ] && [ "$rows" -gt 0 ] || die "$IN: no splicegate row with a ratio"
	gnuplot <<EOF
set terminal svg size $(((w = 600 + rows * (40 + 12 * n)) > 900 ? w : 900)),1300 dynamic noenhanced font "sans,11" background "#ffffff"
set output "$OUT"
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 2
$(cat "$WORK/yaxis")
set grid ytics
set key outside right top title "engine"
set ylabel "splicegate ÷ reference (log scale)"
set xtics rotate by -40 left nomirror
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "#444444" front
engines = "$engines"
set multiplot layout 2,1 title "splicegate ÷ reference, per workload (log scale; above 1: splicegate better; latency ratios inverted)\nsource: $(basename "$IN")"
set bmargin 20
set rmargin 24
unset xlabel
$(panel 2 direct "against direct (no proxy)")
set xlabel "workload · metric" offset 0,4
$(panel 3 peer "against the best peer config (per metric, the best of every HAProxy and nginx row)")
unset multiplot
EOF
}

# panel FIRST_COLUMN REFERENCE TITLE: the gnuplot lines of one panel: the
# engines' bars from columns FIRST_COLUMN, +2, ...; or, when the run had no
# REFERENCE row, an empty frame saying so.
panel() {
	echo "set title \"$3\""
	if [ "$(cat "$WORK/has_$2")" = 1 ]; then
		echo "plot for [i=1:$n] \"$WORK/ratios.dat\" using 2*i+$(($1 - 2)):xtic(1) title word(engines, i)"
	else
		echo "set label 1 \"no $2 row in this run\" at graph 0.5, graph 0.5 center"
		echo "plot \"$WORK/ratios.dat\" using (1):xtic(1) notitle fs transparent solid 0 noborder"
		echo "unset label 1"
	fi
}

# load_data SAMPLES: $WORK/load.dat, one block per engine (two blank lines
# between blocks, the engine's name as the block's first line), MiB and fds
# over seconds; $WORK/count, how many engines.
load_data() {
	awk 'NF == 4 && $2 ~ /^[0-9.]+$/ && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ {
		if ($1 != engine) {
			if (n) printf "\n\n"
			engine = $1; n++
			print engine
		}
		printf "%s %.2f %s\n", $2, $3 / 1024, $4
	}
	END { print n > "'"$WORK"'/count" }' "$1" >"$WORK/load.dat"
}

plot_load() {
	local n
	load_data "$IN"
	n=$(cat "$WORK/count")
	[ "${n:-0}" -gt 0 ] || die "$IN: no sample lines (ENGINE SECONDS RSS_KB FDS)"
	gnuplot <<EOF
set terminal svg size 1200,800 dynamic noenhanced font "sans,11" background "#ffffff"
set output "$OUT"
set grid
set key outside right top title "engine"
set xlabel "seconds since the gateway started"
set multiplot layout 2,1 title "make load: the gateway over each engine's run (source: $(basename "$IN"))"
set title "resident memory"
set ylabel "RSS, MiB"
set yrange [0:*]
plot for [i=0:$((n - 1))] "$WORK/load.dat" index i using 1:2 with lines lw 2 title columnheader(1)
set title "open file descriptors"
set ylabel "fds"
plot for [i=0:$((n - 1))] "$WORK/load.dat" index i using 1:3 with lines lw 2 title columnheader(1)
unset multiplot
EOF
}

case $MODE in
bench) plot_bench ;;
load) plot_load ;;
*) die "unknown chart $MODE (bench or load)" ;;
esac
[ -s "$OUT" ] || die "gnuplot wrote nothing to $OUT"
echo "plot: wrote $OUT"
