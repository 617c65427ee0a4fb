-- wrk script for bench/load.sh: mixed reads over a list of paths.
-- Arguments after "--": URLFILE [SEED]
-- URLFILE has one path per line ("#" starts a comment; repeat a line to weight
-- it). "{bbox}" in a path becomes a random bbox over the Caucasus (side
-- 0.05-2 degrees). done() prints a RESULT line and the requests sent per
-- route. wrk counts responses with status > 399 as status errors; it cannot
-- tell which request a response answers (many connections share a thread),
-- so load.sh checks every path once with curl before the run to name them.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  urls = {}
  for line in io.lines(args[1]) do
    if line ~= "" and line:sub(1, 1) ~= "#" then table.insert(urls, line) end
  end
  if #urls == 0 then error("no URLs in " .. args[1]) end
  math.randomseed((tonumber(args[2]) or 1) * 1000 + (tid or 0))
  wrk.headers["Accept-Encoding"] = "gzip"
  hits = {}
end

local function route(p)
  local r = p:match("^/([^/?]*)") or ""
  if r == "collections" then
    if p:find("/items/", 1, true) then r = "feature"
    elseif p:find("/items", 1, true) then r = "items" end
  end
  return r
end

function request()
  local p = urls[math.random(#urls)]
  if p:find("{bbox}", 1, true) then
    local side = 0.05 + math.random() * 1.95
    local x = 38 + math.random() * (12 - side)
    local y = 38 + math.random() * (6 - side)
    p = p:gsub("{bbox}", string.format("%.4f,%.4f,%.4f,%.4f", x, y, x + side, y + side))
  end
  local r = route(p)
  hits[r] = (hits[r] or 0) + 1
  return wrk.format(nil, p)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f requests=%d bytes=%d status_errors=%d socket_errors=%d timeouts=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000, summary.requests, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout, e.timeout))
  local h = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("hits") or {}) do h[k] = (h[k] or 0) + v end
  end
  for k, v in pairs(h) do io.write(string.format("ROUTE %s sent=%d\n", k, v)) end
end
