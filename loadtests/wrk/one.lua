-- wrk: one image with its link, random seeded id ({user}-{n:04}).
local users = tonumber(os.getenv("USERS") or "1000")
local images = tonumber(os.getenv("IMAGES") or "50")
math.randomseed(os.time())
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local id = string.format("u%04d-%04d", math.random(0, users - 1), math.random(0, images - 1))
  local body = '{"query":"query($i: ID!) { image(id: $i) { id url } }","variables":{"i":"' .. id .. '"}}'
  return wrk.format(nil, "/graphql", nil, body)
end

dofile("loadtests/wrk/auth.lua")
dofile("loadtests/wrk/count_errors.lua")
