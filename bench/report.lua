-- Loaded by bench/loadgen.py with `wrk -s`; wrk runs it once in its main Lua state and once
-- per thread.
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

-- Several bodies (the file BENCH_WRK_BODIES_FILE, one per line) are sent in turn, e.g.
-- sign-ins of many accounts, or at random (BENCH_WRK_ORDER=random), e.g. bookings of
-- random slots. Each thread formats its requests once.
local bodies = {}
local bodies_file = os.getenv("BENCH_WRK_BODIES_FILE")
if bodies_file and bodies_file ~= "" then
  for line in io.lines(bodies_file) do
    if line ~= "" then
      bodies[#bodies + 1] = line
    end
  end
end
local random_order = os.getenv("BENCH_WRK_ORDER") == "random"
local count_statuses = os.getenv("BENCH_WRK_COUNT_STATUSES") == "1"

-- Whole requests (the file BENCH_WRK_REQUESTS_FILE, one per line: method, path, keyed
-- ("1"/"0") and body, separated by tabs) are sent in turn, e.g. a checkout's product line
-- and then its payment. Requests come in groups of BENCH_WRK_GROUP that belong together;
-- each thread starts on a group, half the list away from the other.
local specs = {}
local requests_file = os.getenv("BENCH_WRK_REQUESTS_FILE")
if requests_file and requests_file ~= "" then
  for line in io.lines(requests_file) do
    if line ~= "" then
      local spec_method, spec_path, keyed, spec_body =
        line:match("^([^\t]+)\t([^\t]+)\t([01])\t(.*)$")
      if not spec_method then
        error("malformed line in " .. requests_file .. ": " .. line)
      end
      specs[#specs + 1] =
        {method = spec_method, path = spec_path, keyed = keyed == "1", body = spec_body}
    end
  end
end
local group = tonumber(os.getenv("BENCH_WRK_GROUP") or "") or 1
-- A keyed request carries this header with a value no other request of any run has: the
-- run's id (new for every wrk run, so the warm-up's keys are not replayed in the measured
-- run), the thread and a per-thread counter.
local key_header = os.getenv("BENCH_WRK_KEY_HEADER") or "Idempotency-Key"
local run_id = os.getenv("BENCH_WRK_RUN_ID") or tostring(os.time())
-- With counted statuses: how many response bodies contain this plain string (e.g. which of
-- a checkout's 201s were payments, or that every 409 names the expected problem).
local marker = os.getenv("BENCH_WRK_MARKER")
if marker == "" then
  marker = nil
end

-- setup() runs in the main state, once per thread before it starts: it numbers the threads
-- (thread_number lands in that thread's own state) and keeps them, so that done(), also in
-- the main state, can collect what each thread counted.
local threads = {}
setup = function(thread)
  thread:set("thread_number", #threads)
  threads[#threads + 1] = thread
end

if #specs > 0 then
  local formatted = {} -- unkeyed requests, formatted once per thread
  local next_spec = 1
  local keys_made = 0
  -- wrk calls request() once on the first thread's state before that thread runs, to check
  -- that the request parses, and never sends what it got. Sent, that first request would
  -- be missing from its group (a checkout's payment without its line): on that thread the
  -- first call does not advance.
  local verifying = false
  init = function(args)
    for i, spec in ipairs(specs) do
      if not spec.keyed then
        formatted[i] = wrk.format(spec.method, spec.path, nil, spec.body)
      end
    end
    local groups = math.floor(#specs / group)
    next_spec = (thread_number or 0) * math.floor(groups / 2) * group % #specs + 1
    verifying = thread_number == 0
  end

  request = function()
    local i = next_spec
    if verifying then
      verifying = false
    else
      next_spec = next_spec % #specs + 1
    end
    if formatted[i] then
      return formatted[i]
    end
    -- A keyed request is formatted each time, with the -H headers and its own key.
    local spec = specs[i]
    keys_made = keys_made + 1
    local headers = {}
    for name, value in pairs(wrk.headers) do
      headers[name] = value
    end
    headers[key_header] = string.format("bench-%s-%d-%d", run_id, thread_number or 0, keys_made)
    return wrk.format(spec.method, spec.path, headers, spec.body)
  end
elseif #bodies > 0 then
  local requests = {}
  local next_request = 1
  init = function(args)
    for i, each in ipairs(bodies) do
      requests[i] = wrk.format(nil, nil, nil, each)
    end
    -- Threads start at their own offset (half the list apart suits loadgen's two threads)
    -- or with their own random sequence, so they do not send the same body at once.
    next_request = (thread_number or 0) * math.floor(#requests / 2) % #requests + 1
    math.randomseed(os.time() * 1000 + (thread_number or 0))
  end

  if random_order then
    request = function()
      return requests[math.random(#requests)]
    end
  else
    request = function()
      local chosen = requests[next_request]
      next_request = next_request % #requests + 1
      return chosen
    end
  end
end

-- Counting every status (BENCH_WRK_COUNT_STATUSES=1), for scenarios where some statuses
-- >= 400 are expected and the rest are failures: wrk itself only counts them all together.
-- A global, so that done() can read each thread's copy with thread:get().
if count_statuses then
  statuses = {}
  marked = 0
  response = function(status, headers, response_body)
    statuses[status] = (statuses[status] or 0) + 1
    if marker and response_body and string.find(response_body, marker, 1, true) then
      marked = marked + 1
    end
  end
end

local function statuses_json()
  if not count_statuses then
    return ""
  end
  local totals = {}
  local marked_total = 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      totals[status] = (totals[status] or 0) + count
    end
    marked_total = marked_total + (thread:get("marked") or 0)
  end
  local parts = {}
  for status, count in pairs(totals) do
    parts[#parts + 1] = string.format("\"%d\": %d", status, count)
  end
  return ", \"statuses\": {" .. table.concat(parts, ", ") .. "}, \"marked\": " .. marked_total
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
      .. "\"write_errors\": %d, \"timeouts\": %d%s}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect, errors.read, errors.write, errors.timeout, statuses_json()
  ))
end
