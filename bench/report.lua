-- wrk script for bench/run.sh: one request, repeated; done() prints one
-- machine-readable RESULT line (requests/s, latency p50/p99 in ms, errors).
-- wrk counts a response with status > 399 as a status error.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d bytes=%d status_errors=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.bytes, e.status, e.connect + e.read + e.write + e.timeout))
end
