-- wrk script for deploy/bench/coordinator.sh: POSTs pre-signed, distinct submissions read from
-- $ENVELOPES (one envelope per line). Thread k of n sends lines k, k+n, …; the file is ordered
-- round-robin over the towns, so a town's sequences arrive in order. Counts answers by status.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(os.getenv("WRK_THREADS") or "2")
  bodies = {}
  local i = 0
  for line in io.lines(os.getenv("ENVELOPES")) do
    if i % n == id then table.insert(bodies, line) end
    i = i + 1
  end
  next_body = 1
  statuses = {}
  exhausted = 0
  wrk.method = "POST"
  wrk.path = "/v1/tenants/bench/submissions"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = bodies[next_body]
  next_body = next_body + 1
  if next_body > #bodies then
    next_body = 1
    exhausted = exhausted + 1
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  local wrapped = 0
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, count in pairs(s) do totals[status] = (totals[status] or 0) + count end
    wrapped = wrapped + thread:get("exhausted")
  end
  for status, count in pairs(totals) do io.write(string.format("status %d %d\n", status, count)) end
  io.write(string.format("wrapped %d\n", wrapped))
  io.write(string.format("duration_us %d\n", summary.duration))
  io.write(string.format("latency_p50_us %d\n", latency:percentile(50)))
  io.write(string.format("latency_p99_us %d\n", latency:percentile(99)))
end
