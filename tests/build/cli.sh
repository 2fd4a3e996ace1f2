#!/bin/sh
# What a person typing at the command line sees: every subcommand has a
# help of its own (what it does, usage, options, exit status, examples),
# given by `CMD --help`, `CMD -h` and `help CMD` alike with exit 0 (bpf's
# too, with no bpf subcommand); --version and `version` agree; a bad option,
# a missing value and an unknown command are one line on stderr naming it
# and the help to read, exit 1, nothing on stdout; the man page has EXIT
# STATUS, SIGNALS, FILES, EXAMPLES and PORTS. Prints "cli: N passed, N failed".
# usage: tests/build/cli.sh path/to/splicegate path/to/splicegate.8
set -u
bin=${1:?usage: tests/build/cli.sh path/to/splicegate path/to/splicegate.8}
page=${2:?usage: tests/build/cli.sh path/to/splicegate path/to/splicegate.8}
root=$(cd "$(dirname "$0")/../.." && pwd)
name=cli
. "$root/tests/build/lib.sh"

# run ARGS...: $out, $err and $rc of one run.
run() {
	"$bin" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	out=$(cat "$work/out")
	err=$(cat "$work/err")
}

run --version
v=$out
case $v in
"splicegate "[0-9]*) [ "$rc" = 0 ] && [ -z "$err" ] && ok "--version: $v" || bad "--version: rc $rc, $err" ;;
*) bad "--version printed \"$v\" (rc $rc, $err)" ;;
esac
run version
[ "$out" = "$v" ] && [ "$rc" = 0 ] && ok "version says the same" || bad "version: \"$out\" rc $rc"

"$bin" --help >"$work/global"
for cmd in check apply delete get describe bpf version; do
	run "$cmd" --help
	if [ "$rc" != 0 ] || [ -n "$err" ]; then
		bad "$cmd --help: exit $rc, stderr \"$err\""
		continue
	fi
	cp "$work/out" "$work/$cmd.help"
	cmp -s "$work/out" "$work/global" && bad "$cmd --help is the global help" && continue
	grep -q "^  splicegate $cmd" "$work/out" || { bad "$cmd --help has no usage line for $cmd" && continue; }
	case $cmd in
	version) ;;
	*)
		grep -q '^examples:$' "$work/out" && grep -q '^exit status:$' "$work/out" &&
			grep -q '^options:$' "$work/out" ||
			{ bad "$cmd --help lacks options, exit status or examples" && continue; }
		;;
	esac
	run "$cmd" -h
	cmp -s "$work/out" "$work/$cmd.help" || { bad "$cmd -h differs from $cmd --help" && continue; }
	run help "$cmd"
	cmp -s "$work/out" "$work/$cmd.help" || { bad "help $cmd differs from $cmd --help" && continue; }
	ok "$cmd --help, -h and help $cmd: its own help, exit 0 ($(wc -l <"$work/$cmd.help") lines)"
done
run bpf load --help
[ "$rc" = 0 ] && cmp -s "$work/out" "$work/bpf.help" && ok "bpf load --help: bpf's help, exit 0" ||
	bad "bpf load --help: rc $rc"

# one_line WHAT WANT ARGS...: exit 1, stdout empty, stderr exactly WANT.
one_line() {
	what=$1 want=$2
	shift 2
	run "$@"
	[ "$rc" = 1 ] && [ -z "$out" ] && [ "$err" = "$want" ] && ok "$what: one line, exit 1" ||
		bad "$what: exit $rc, stdout $(printf %s "$out" | wc -l) lines, stderr: $err"
}
one_line "get --frob" "splicegate get: unknown option \"--frob\"; see 'splicegate get --help'" get --frob
one_line "check -Z" "splicegate check: unknown option \"-Z\"; see 'splicegate check --help'" check -Z
one_line "-c with no value" "splicegate: option needs a value: \"-c\"; see 'splicegate --help'" -c
one_line "--bogus for the gateway" "splicegate: unknown option \"--bogus\"; see 'splicegate --help'" --bogus
one_line "an unknown command" "splicegate: unknown command \"frob\"; see 'splicegate --help'" frob
one_line "help for an unknown command" "splicegate: unknown command \"frob\"; see 'splicegate --help'" help frob
one_line "a stray argument" "splicegate check: unexpected argument \"x\"; see 'splicegate check --help'" check -c /dev/null x

sections=$(LC_ALL=C MANWIDTH=80 man -P cat -l "$page" 2>/dev/null | grep '^[A-Z][A-Z ]*$' | tr '\n' ' ')
missing=
for s in "EXIT STATUS" SIGNALS FILES EXAMPLES PORTS; do
	case " $sections" in *" $s "*) ;; *) missing="$missing $s" ;; esac
done
[ -z "$missing" ] && ok "the man page has EXIT STATUS, SIGNALS, FILES, EXAMPLES and PORTS" ||
	bad "the man page lacks:$missing (it has: $sections)"

finish
