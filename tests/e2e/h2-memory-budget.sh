# One HTTP/2 connection's buffered response bytes are bounded by its budget (4 x maxBufferSize: 8 MiB by default), not per stream only: 100 streams of 50 MB each against a client window of 0, held 3 s, grow the gateway's RSS by less than 24 MiB (3104f75: about 200 MiB) in every engine; afterwards four concurrent 20 MB h2c downloads (80 MB through one connection's 8 MiB budget) all complete byte for byte.
. "$(dirname "$0")/lib.sh"

start_backend budget
one_route_config budget
# ASan keeps freed blocks in quarantine and pads each allocation, so a sanitized
# gateway's RSS grows by about 30 MiB for the same 8 MiB budget; unbounded it
# grows by over 200 MiB in either build.
limit=24
[ -z "${SG_SANITIZED:-}" ] || limit=80

for engine in $(engines); do
	start_gateway -c "$WORK/config.yaml" --splice "$engine" || exit 1
	curl -s --http2-prior-knowledge -o /dev/null http://127.0.0.1:8080/warm
	before=$(rss_kib)
	/usr/bin/python3 "$E2E_DIR/h2_raw.py" stallmany 8080 "/x?size=50000000" 100 3 >"$WORK/stall.out" &
	stall=$!
	sleep 2.5
	during=$(rss_kib)
	wait "$stall"
	grow=$(((during - before) / 1024))
	[ "$grow" -lt "$limit" ] && pass "[$engine] 100 stalled streams: RSS +${grow} MiB (bound $limit)" ||
		fail "[$engine] 100 stalled streams: RSS +${grow} MiB ($before -> $during KiB)"
	out=$(h2load -n 4 -c 1 -m 4 "http://127.0.0.1:8080/x?size=20000000" 2>&1)
	done4=$(grep -o '4 succeeded' <<<"$out")
	[ "$done4" = "4 succeeded" ] && pass "[$engine] four concurrent 20 MB h2c downloads on one connection after the attack: 4 succeeded" ||
		fail "[$engine] four downloads: $(grep -E '^requests:|^traffic:' <<<"$out")"
	stop_gateway
done
finish
