-- wrk: the gallery query for a random seeded user (u0000 … u{USERS-1}).
local users = tonumber(os.getenv("USERS") or "1000")
math.randomseed(os.time())
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local u = string.format("u%04d", math.random(0, users - 1))
  local body = '{"query":"query($u: ID!) { user(id: $u) { images(first: 50) { nodes { id url } } } }","variables":{"u":"' .. u .. '"}}'
  return wrk.format(nil, "/graphql", nil, body)
end

dofile("loadtests/wrk/auth.lua")
dofile("loadtests/wrk/count_errors.lua")
