-- wrk script: GET /recommend/<id>/10 over ids read from the file named by IDS (env), one at random
-- per request; prints a JSON summary line (req/s, latency percentiles in microseconds, errors).
local ids = {}
local n = 10

function init(args)
  local file = os.getenv("IDS")
  for line in io.lines(file) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/recommend/" .. id .. "/" .. n)
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    '{"requests":%d,"durationSec":%.3f,"rps":%.1f,"bytes":%d,"p50us":%d,"p99us":%d,"p999us":%d,"maxUs":%d,"meanUs":%.1f,' ..
    '"errConnect":%d,"errRead":%d,"errWrite":%d,"errStatus":%d,"errTimeout":%d}\n',
    summary.requests, secs, summary.requests / secs, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
