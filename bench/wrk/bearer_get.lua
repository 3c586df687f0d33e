-- wrk script: every request carries the bearer token from BENCH_TOKEN, and
-- done() prints one line "BENCH_RESULT {json}" that the bench parses.
-- Latencies are in microseconds, as wrk measures them.

local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then
  error("BENCH_TOKEN is not set: the bench passes the access token through it")
end

-- Headers set here are built into the request once per thread, so no Lua
-- runs per request and the load generator stays cheap on a small machine.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"

local function whole(number)
  return math.floor(number + 0.5)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"connect_errors":%d,"read_errors":%d,"write_errors":%d,'
      .. '"status_errors":%d,"timeouts":%d,'
      .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    whole(latency:percentile(50)), whole(latency:percentile(90)),
    whole(latency:percentile(99)), whole(latency.max), whole(latency.mean)
  ))
end
