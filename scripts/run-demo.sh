#!/bin/sh
# `make run`: httpbin on 127.0.0.1:8000, then splicegate in the foreground
# on its embedded default config (:8080 -> 127.0.0.1:8000, admin :15000),
# or with the arguments after the binary (make run CONFIG=FILE: -c FILE).
# Ctrl-C stops both.
set -eu
bin=${1:?usage: run-demo.sh path/to/splicegate [gateway args]}
shift

/usr/bin/python3 -m httpbin.core --host 127.0.0.1 --port 8000 >/tmp/splicegate-httpbin.log 2>&1 &
httpbin=$!
trap 'kill $httpbin 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do
	curl -s -o /dev/null http://127.0.0.1:8000/get && break
	sleep 0.1
done
echo "httpbin on 127.0.0.1:8000 (pid $httpbin, log /tmp/splicegate-httpbin.log)"
echo "try: curl -s localhost:8080/get | jq ; curl -s localhost:15000/config_dump | jq"
"$bin" "$@"
