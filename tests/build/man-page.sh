#!/bin/sh
# `man splicegate` and `splicegate --help` agree: the generated page
# (scripts/man-page.sh), rendered by man-db as `man` shows it, has the words
# of --help in the same order and sections, in the C and a UTF-8 locale,
# with no groff warning; a page that drifted by one word, and a --help line
# the generator cannot place, are caught. Prints "man: N passed, N failed".
# usage: tests/build/man-page.sh path/to/splicegate path/to/splicegate.8
set -u
bin=${1:?usage: tests/build/man-page.sh path/to/splicegate path/to/splicegate.8}
page=${2:?usage: tests/build/man-page.sh path/to/splicegate path/to/splicegate.8}
root=$(cd "$(dirname "$0")/../.." && pwd)
name=man
. "$root/tests/build/lib.sh"

# --help's words, one a line, its section lines named as man names them
# (the first line is the page's NAME, "usage:" its SYNOPSIS).
"$bin" --help | sed -e '1s/^/NAME /' -e 's/^usage:$/SYNOPSIS/' -e 's/^\([a-z ]*\):$/\U\1/' |
	tr ' ' '\n' | sed '/^$/d' >"$work/help.words"

# render LOCALE PAGE: the page as `man` prints it to a pipe, 80 columns.
render() {
	LC_ALL=$1 MANWIDTH=80 man -P cat -l "$2"
}

# agree LOCALE PAGE: the rendered words, from NAME up to PORTS (what the
# generator adds after --help's text), are --help's.
agree() {
	render "$1" "$2" | sed -n '/^NAME$/,/^PORTS$/p' | sed '$d' | tr ' ' '\n' |
		sed '/^$/d' >"$work/man.words"
	if cmp -s "$work/help.words" "$work/man.words"; then
		return 0
	fi
	diff "$work/help.words" "$work/man.words" | head -8
	return 1
}

warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -P cat -l "$page" 2>&1 >/dev/null)
[ -z "$warnings" ] && ok "the page renders with no groff warning" ||
	bad "groff warns: $warnings"

for loc in C C.UTF-8; do
	if agree "$loc" "$page"; then
		ok "LC_ALL=$loc: man shows the words of --help, in order ($(wc -l <"$work/help.words") words)"
	else
		bad "LC_ALL=$loc: man and --help differ (above: < --help, > man)"
	fi
done

version=$("$bin" version)
render C "$page" | tail -1 | grep -q "^$version " && ok "the page's footer names $version" ||
	bad "the footer does not name $version: $(render C "$page" | tail -1)"

# The comparison is not vacuous: one word changed in the page is seen.
sed 's/worker loops/worker threads/' "$page" >"$work/drifted.8"
if cmp -s "$page" "$work/drifted.8"; then
	bad "drift: the page has no \"worker loops\" to change"
elif agree C "$work/drifted.8" >/dev/null; then
	bad "drift: a page that says \"worker threads\" passed"
else
	ok "drift: a page that says \"worker threads\" where --help says \"worker loops\" fails"
fi

# A --help line that fits none of the generator's shapes stops it.
cat >"$work/fake" <<'SH'
#!/bin/sh
case $1 in
version) echo "splicegate 9.9" ;;
*) printf 'splicegate - x\n\nusage:\n  splicegate   run\nstray text at column 0\n' ;;
esac
SH
chmod 755 "$work/fake"
if "$root/scripts/man-page.sh" "$work/fake" >"$work/fake.8" 2>"$work/fake.err"; then
	bad "generator: a line it cannot place was accepted"
elif grep -q 'line 5 fits no shape' "$work/fake.err"; then
	ok "generator: a --help line it cannot place stops it, naming the line"
else
	bad "generator failed without naming the line: $(cat "$work/fake.err")"
fi

finish
