-- wrk script: POSTs bookings, each for the next start in SLOTS (a file of RFC 3339 starts, one
-- per line) with a unique email, and counts answers by status class.
local counter = 0
local starts = {}
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("SLOTS")) do
    table.insert(starts, line)
  end
  created, conflicts, server_errors, other = 0, 0, 0, 0
end

function request()
  counter = counter + 1
  local start = starts[(counter + id * 7919) % #starts + 1]
  local body = string.format(
    '{"start":"%s","name":"Load Prospect","email":"load-%d-%d@example.com","timezone":"Europe/Berlin"}',
    start, id, counter)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end

function response(status)
  if status == 201 then
    created = created + 1
  elseif status == 409 then
    conflicts = conflicts + 1
  elseif status >= 500 then
    server_errors = server_errors + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local c, k, e, o = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    k = k + thread:get("conflicts")
    e = e + thread:get("server_errors")
    o = o + thread:get("other")
  end
  io.write(string.format("answers: %d booked, %d slot taken, %d 5xx, %d other\n", c, k, e, o))
end
