"""A strict parser of the Prometheus text exposition format (0.0.4), for e2e
scenarios: `prom_strict.py FILE [NAME...]` exits 0 when FILE follows every
rule of the format below and has a sample of each NAME, else prints the
first broken rule with its line number and exits 1.

Rules (the format's own MUSTs, plus what a Prometheus server would reject
when ingesting): lines end with \\n, the last one too; HELP and TYPE at most
once per family, before its samples; all lines of a family form one group;
metric and label names valid, no label name twice, none starting with __;
only the \\\\, \\" and \\n escapes in label values (\\\\ and \\n in HELP);
values Go floats, optional integer timestamps; no series twice; every
family typed; counters neither negative nor NaN; histogram buckets carry
le (a float, one bucket per value), are cumulative, end with +Inf and agree
with _count; every histogram series has _bucket, _sum and _count samples,
and no _sum or _count without buckets.
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


class Bad(Exception):
    pass


def unescape(s, allowed):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 >= len(s) or s[i + 1] not in allowed:
                raise Bad("bad escape in %r" % s)
            out.append({"\\": "\\", '"': '"', "n": "\n"}[s[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_float(s):
    if s in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(s.replace("Inf", "inf"))
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s):
        raise Bad("bad value %r" % s)
    return float(s)


def parse_labels(s):
    """s is the text between { and }; returns [(name, value)]."""
    labels, i = [], 0
    while i < len(s):
        m = re.compile(LABEL + r'="').match(s, i)
        if not m:
            raise Bad("bad label at %r" % s[i:])
        name = m.group(0)[:-2]
        j = m.end()
        while j < len(s) and s[j] != '"':
            j += 2 if s[j] == "\\" else 1
        if j >= len(s):
            raise Bad("unterminated label value")
        labels.append((name, unescape(s[m.end():j], '\\"n')))
        i = j + 1
        if i < len(s):
            if s[i] != ",":
                raise Bad("expected , after a label, got %r" % s[i:])
            i += 1
            if i == len(s):
                break  # a trailing comma is allowed
    names = [n for n, _ in labels]
    if len(set(names)) != len(names):
        raise Bad("a label name twice")
    if any(n.startswith("__") for n in names):
        raise Bad("reserved label name")
    return labels


def family_of(name, types):
    for base, t in types.items():
        for suffix in SUFFIXES.get(t, ()):
            if name == base + suffix:
                return base
    return name


def check(text, wanted):
    if not text.endswith("\n"):
        raise Bad("the last line has no newline")
    if "\r" in text:
        raise Bad("carriage return")
    types, helps, sampled, done = {}, set(), set(), set()
    series, values = set(), {}
    current = None

    def enter(fam):
        nonlocal current
        if fam != current:
            if fam in done:
                raise Bad("family %s not in one group" % fam)
            if current is not None:
                done.add(current)
            current = fam

    for no, line in enumerate(text[:-1].split("\n"), 1):
        try:
            if line == "":
                continue
            if line.startswith("#"):
                m = re.fullmatch(r"# (HELP|TYPE) (%s)(?: (.*))?" % NAME, line)
                if not m:
                    continue  # a plain comment
                kind, fam, rest = m.group(1), m.group(2), m.group(3) or ""
                enter(fam)
                if fam in sampled:
                    raise Bad("%s after samples of %s" % (kind, fam))
                if kind == "HELP":
                    if fam in helps:
                        raise Bad("second HELP for " + fam)
                    helps.add(fam)
                    unescape(rest, "\\n")
                else:
                    if fam in types:
                        raise Bad("second TYPE for " + fam)
                    if rest not in TYPES:
                        raise Bad("unknown type %r" % rest)
                    types[fam] = rest
                continue
            m = re.fullmatch(r"(%s)(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+(-?\d+))?" % NAME, line)
            if not m:
                raise Bad("not a sample")
            name, labels = m.group(1), parse_labels(m.group(2) or "")
            value = parse_float(m.group(3))
            fam = family_of(name, types)
            enter(fam)
            if fam not in types:
                raise Bad("sample of %s without a TYPE" % fam)
            sampled.add(fam)
            key = (name, tuple(sorted(labels)))
            if key in series:
                raise Bad("series twice")
            series.add(key)
            t = types[fam]
            if t == "counter" and (math.isnan(value) or value < 0):
                raise Bad("counter %s" % value)
            if t == "histogram" and name == fam + "_bucket" and "le" not in dict(labels):
                raise Bad("bucket without le")
            values[key] = value
        except Bad as e:
            raise Bad("line %d: %s: %s" % (no, e, line))
    for fam, t in types.items():
        if t != "histogram":
            continue
        groups = {}
        for (name, labels), v in values.items():
            if name == fam + "_bucket":
                rest = tuple(kv for kv in labels if kv[0] != "le")
                try:
                    le = parse_float(dict(labels)["le"])
                except Bad as e:
                    raise Bad("%s%s: le: %s" % (fam, rest, e))
                groups.setdefault(rest, []).append((le, v))
        for suffix in ("_sum", "_count"):
            for name, labels in values:
                if name == fam + suffix and labels not in groups:
                    raise Bad("%s%s: %s without buckets" % (fam, labels, suffix))
        for rest, buckets in groups.items():
            buckets.sort()
            les = [le for le, _ in buckets]
            if len(set(les)) != len(les):
                raise Bad("%s%s: two buckets with the same le" % (fam, rest))
            if (fam + "_sum", rest) not in values:
                raise Bad("%s%s: no _sum" % (fam, rest))
            if buckets[-1][0] != math.inf:
                raise Bad("%s%s: no +Inf bucket" % (fam, rest))
            if any(a[1] > b[1] for a, b in zip(buckets, buckets[1:])):
                raise Bad("%s%s: buckets not cumulative" % (fam, rest))
            if values.get((fam + "_count", rest)) != buckets[-1][1]:
                raise Bad("%s%s: _count is not the +Inf bucket" % (fam, rest))
    missing = [n for n in wanted if not any(name == n for name, _ in series)]
    if missing:
        raise Bad("no sample of " + ", ".join(missing))


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    try:
        check(text, sys.argv[2:])
    except Bad as e:
        print("metrics: %s" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
