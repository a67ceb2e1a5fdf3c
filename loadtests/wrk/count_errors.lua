-- Counts answers that carry GraphQL errors: under application/json a refused request is still
-- HTTP 200 (GraphQL over HTTP), so wrk's own non-2xx count cannot see it. Loaded by the other
-- scripts with dofile; loadtests/run reads the "GraphQL errors:" line.
local threads = {}
function setup(thread) table.insert(threads, thread) end
errors = 0
function response(status, headers, body)
  if body:find('"errors"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("errors") end
  io.write(string.format("GraphQL errors: %d\n", n))
end
