-- wrk script of `python -m bench` (portal, analytics): one endpoint, its expected status, one
-- result line.
--
-- BENCH_PATH     the path to request
-- BENCH_EXPECT   the status every answer must have (200, or 302 for a submitted form)
-- BENCH_COOKIE   the session cookie of GET requests
-- BENCH_FORM     with it, every request POSTs this form-encoded body, plus a csrf_token and a
--                submission_key of its own (an answer submitted again would record nothing)
-- BENCH_SESSIONS "cookie token" pairs separated by ";": POSTs take them in turn
-- BENCH_RUN      a random prefix of this run's submission keys
--
-- done() prints "BENCH {json}" with requests, duration, p50/p95/p99 (microseconds), socket errors
-- and the answers with another status than BENCH_EXPECT.

local path = os.getenv("BENCH_PATH")
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
local cookie = os.getenv("BENCH_COOKIE")
local form = os.getenv("BENCH_FORM")
local run = os.getenv("BENCH_RUN") or "run"

local sessions = {}
for pair in string.gmatch(os.getenv("BENCH_SESSIONS") or "", "[^;]+") do
  local session_cookie, token = string.match(pair, "^(%S+) (%S+)$")
  table.insert(sessions, { cookie = session_cookie, token = token })
end

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Globals of each thread, read by done() through thread:get().
counter = 0
unexpected = 0
statuses = {}

function init(args)
  unexpected = 0
  statuses = {}
end

function request()
  if not form then
    local headers = {}
    if cookie then
      headers["Cookie"] = cookie
    end
    return wrk.format("GET", path, headers)
  end
  counter = counter + 1
  local session = sessions[(counter + id) % #sessions + 1]
  local body = form .. "&csrf_token=" .. session.token
    .. "&submission_key=" .. run .. "-" .. id .. "-" .. counter
  return wrk.format("POST", path, {
    ["Cookie"] = session.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local wrong = 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    wrong = wrong + thread:get("unexpected")
    for status, count in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  local seen = {}
  for status, count in pairs(by_status) do
    seen[#seen + 1] = string.format('"%d": %d', status, count)
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d, '
      .. '"unexpected": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    wrong, table.concat(seen, ", ")
  ))
end
