-- Loaded by bench/loadgen.py with `wrk -s`; wrk runs it once per thread.
--
-- The request: wrk sends GET without a body unless the harness sets BENCH_WRK_METHOD and
-- BENCH_WRK_BODY (headers, Content-Type included, come from -H). wrk builds the request
-- once from wrk.method / wrk.body and adds Content-Length itself.
local method = os.getenv("BENCH_WRK_METHOD")
if method and method ~= "" then
  wrk.method = method
end
local body = os.getenv("BENCH_WRK_BODY")
if body then
  wrk.body = body
end

-- Several bodies (BENCH_WRK_BODIES, one per line) are sent in turn, e.g. sign-ins of many
-- accounts. Each thread formats its requests once and starts at its own offset, so the
-- threads do not send the same body at the same moment.
local bodies = {}
for line in string.gmatch(os.getenv("BENCH_WRK_BODIES") or "", "[^\n]+") do
  bodies[#bodies + 1] = line
end

if #bodies > 0 then
  local threads = 0
  setup = function(thread)
    thread:set("thread_number", threads)
    threads = threads + 1
  end

  local requests = {}
  local next_request = 1
  init = function(args)
    for i, each in ipairs(bodies) do
      requests[i] = wrk.format(nil, nil, nil, each)
    end
    -- setup() ran in wrk's main Lua state and set thread_number in this thread's state;
    -- half the list apart suits loadgen's two threads.
    next_request = (thread_number or 0) * math.floor(#requests / 2) % #requests + 1
  end

  request = function()
    local chosen = requests[next_request]
    next_request = next_request % #requests + 1
    return chosen
  end
end

-- The result: after the run wrk calls done(), which prints one machine-readable line so the
-- harness never has to parse wrk's human report (and its us/ms/s units). wrk reports the
-- duration and every latency in microseconds.
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
