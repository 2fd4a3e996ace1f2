"""The metric names a Grafana dashboard's queries reference, for e2e
scenarios: `dash_names.py DASHBOARD.json` prints each name once, sorted, one
per line. It reads every panel target's `expr` (rows' nested panels too) and
every templating variable's query, and takes from the PromQL what is left
after string literals, label matchers, ranges and grouping clauses are cut
out: identifiers that are not followed by "(" (functions, aggregations) and
are not keywords. label_values(METRIC..., LABEL) names METRIC only. Exits 1
when a query names no metric at all, or the file has no query."""
import json
import re
import sys

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
            "and", "or", "unless", "offset", "inf", "nan"}


def names_in(expr):
    lv = re.fullmatch(r"\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*).*", expr, re.S)
    if lv:
        return {lv.group(1)}
    if expr.strip().startswith("label_values("):
        raise SystemExit("label_values without a metric: %r" % expr)
    e = re.sub(r'"(\\.|[^"\\])*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    found = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        name = m.group(0)
        if name.lower() in KEYWORDS or e[m.end():].lstrip().startswith("("):
            continue
        if m.start() > 0 and (e[m.start() - 1].isdigit() or e[m.start() - 1] in ".$"):
            continue  # 1e3's exponent, a $variable
        found.add(name)
    return found


def queries(dash):
    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                yield t["expr"]
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        yield q.get("query") if isinstance(q, dict) else q


def main():
    dash = json.load(open(sys.argv[1], encoding="utf-8"))
    names, n = set(), 0
    for q in queries(dash):
        n += 1
        got = names_in(q)
        if not got:
            print("dash_names: no metric in %r" % q, file=sys.stderr)
            sys.exit(1)
        names |= got
    if not n:
        print("dash_names: no query in %s" % sys.argv[1], file=sys.stderr)
        sys.exit(1)
    print("\n".join(sorted(names)))


if __name__ == "__main__":
    main()
