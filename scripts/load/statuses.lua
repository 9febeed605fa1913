-- wrk script: counts answers by status class, so a run reports its 5xx apart from other
-- non-2xx answers.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, server_errors, other = 0, 0, 0
end

function response(status)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status >= 500 then
    server_errors = server_errors + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local o, e, x = 0, 0, 0
  for _, thread in ipairs(threads) do
    o = o + thread:get("ok")
    e = e + thread:get("server_errors")
    x = x + thread:get("other")
  end
  io.write(string.format("answers: %d 2xx, %d 5xx, %d other\n", o, e, x))
end
