-- Loaded by bench/loadgen.py with `wrk -s`. After the run wrk calls done(), which prints one
-- machine-readable line so the harness never has to parse wrk's human report (and its
-- us/ms/s units). wrk reports the duration and every latency in microseconds.
-- errors.status counts responses with a status >= 400 (wrk's "Non-2xx or 3xx responses").
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f, "
      .. "\"non_2xx\": %d, \"connect_errors\": %d, \"read_errors\": %d, "
      .. "\"write_errors\": %d, \"timeouts\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect, errors.read, errors.write, errors.timeout
  ))
end
