-- wrk reporter for scripts/bench.sh: one machine-readable line at the end,
-- latencies in microseconds, so the script never parses wrk's human units.
-- Only done() is defined: a response() hook would slow every request.
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("SGBENCH requests=%d duration_us=%d bytes=%d status=%d " ..
		"connect=%d read=%d write=%d timeout=%d p50_us=%.0f p99_us=%.0f\n",
		summary.requests, summary.duration, summary.bytes, e.status,
		e.connect, e.read, e.write, e.timeout,
		latency:percentile(50), latency:percentile(99)))
end
