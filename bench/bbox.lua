-- wrk script for bench/run.sh: items queries with random square bboxes.
-- Arguments after "--": PATH SIDE [SEED]
--   PATH  the items path, e.g. /collections/syn21k/items?limit=200
--   SIDE  the bbox side in degrees, placed uniformly over lon 38-50, lat 38-44
-- The sequence of bboxes is the same for every run with the same SEED.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  path = args[1]
  side = tonumber(args[2])
  math.randomseed((tonumber(args[3]) or 1) * 1000 + (tid or 0))
  sep = path:find("?", 1, true) and "&" or "?"
end

function request()
  local x = 38 + math.random() * (12 - side)
  local y = 38 + math.random() * (6 - side)
  return wrk.format(nil, string.format("%s%sbbox=%.5f,%.5f,%.5f,%.5f", path, sep, x, y, x + side, y + side))
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d bytes=%d status_errors=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.bytes, e.status, e.connect + e.read + e.write + e.timeout))
end
