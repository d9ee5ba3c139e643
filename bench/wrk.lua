-- wrk script of `python -m bench` (bench/wrk.py): one endpoint, its expected status, one
-- result line.
--
-- BENCH_PATH     the path to request
-- BENCH_EXPECT   the status every answer must have (200, or 302 for a submitted form)
-- BENCH_COOKIE   the session cookie of GET requests
-- BENCH_FORM     with it, every request POSTs a form-encoded body, plus a csrf_token and a
--                submission_key of its own (an answer submitted again would record nothing);
--                several bodies separated by "|" are sent by each session in turn
-- BENCH_SESSIONS "cookie token" pairs separated by ";": each thread's POSTs take its share of
--                them in turn (thread t of n the sessions t, t + n, t + 2n...), so a session
--                sends its bodies in turn whatever the other threads do
-- BENCH_THREADS  the number of wrk threads (n above)
-- BENCH_SESSION_PER_THREAD  when not empty, each thread POSTs with its own session instead
--                (with as many threads as connections: one student per connection)
-- BENCH_RUN      a random prefix of this run's submission keys (one per wrk run)
--
-- done() prints "BENCH {json}" with requests, duration, p50/p95/p99 (microseconds), socket errors,
-- the answers with another status than BENCH_EXPECT, and the requests sent (answered or not).

local path = os.getenv("BENCH_PATH")
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
local cookie = os.getenv("BENCH_COOKIE")
local form = os.getenv("BENCH_FORM")
local forms = {}
for body in string.gmatch(form or "", "[^|]+") do
  table.insert(forms, body)
end
local run = os.getenv("BENCH_RUN") or "run"
local per_thread = (os.getenv("BENCH_SESSION_PER_THREAD") or "") ~= ""
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")

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
sent = 0
uses = {}
unexpected = 0
statuses = {}

function init(args)
  unexpected = 0
  statuses = {}
end

function request()
  sent = sent + 1
  if not form then
    local headers = {}
    if cookie then
      headers["Cookie"] = cookie
    end
    return wrk.format("GET", path, headers)
  end
  counter = counter + 1
  local turn = per_thread and (id - 1) or ((counter - 1) * thread_count + id - 1)
  local index = turn % #sessions + 1
  local session = sessions[index]
  uses[index] = (uses[index] or 0) + 1
  local body = forms[uses[index] % #forms + 1] .. "&csrf_token=" .. session.token
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
  local all_sent = 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    wrong = wrong + thread:get("unexpected")
    all_sent = all_sent + thread:get("sent")
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
      .. '"unexpected": %d, "sent": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    wrong, all_sent, table.concat(seen, ", ")
  ))
end
