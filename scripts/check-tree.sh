#!/bin/bash
# `make check`: the repository's top level holds the files listed below and
# no others (a scratch file cannot be committed there unnoticed), and every
# relative link of every tracked Markdown file ([text](path) and
# [text](path#anchor)) names a file or directory of the tree: no link leaves
# it (../ past the top) or points at a file that moved.
# usage: scripts/check-tree.sh [tree]  (default: this checkout)
# Prints every break as file: what, then a closing line.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 1

# The files of the top level (directories are not listed).
ROOT_FILES=".clang-format .gitignore LICENSE Makefile README.md"

bad=0
for f in $(git ls-files | grep -v /); do
	case " $ROOT_FILES " in
	*" $f "*) ;;
	*)
		echo "$f: a file at the top level that scripts/check-tree.sh does not list"
		bad=$((bad + 1))
		;;
	esac
done

links=0
top=$(pwd -P)
while IFS= read -r md; do
	dir=$(dirname "$md")
	# Inline links outside code spans and fences; image links too.
	while IFS= read -r target; do
		target=${target%%#*}
		target=${target%% *}
		[ -z "$target" ] && continue
		case $target in
		http://* | https://* | mailto:*) continue ;;
		esac
		links=$((links + 1))
		path=$dir/$target
		full=$(realpath -m "$path")
		if [ ! -e "$path" ]; then
			echo "$md: link to $target: no such file in the tree"
			bad=$((bad + 1))
		elif [ "${full#"$top"/}" = "$full" ] && [ "$full" != "$top" ]; then
			echo "$md: link to $target: outside the repository"
			bad=$((bad + 1))
		fi
	done < <(awk '/^```/ { fence = !fence; next } !fence { gsub(/`[^`]*`/, ""); print }' "$md" |
		grep -o '\](\([^)]*\))' | sed 's/^](\(.*\))$/\1/')
done < <(git ls-files '*.md')
echo "check-tree: $(git ls-files | grep -vc /) top-level files, $links relative links in Markdown, $bad broken"
[ "$bad" -eq 0 ]
