-- wrk: one image with its link, random seeded id ({user}-{n:04}), among each user's 50 newest: the
-- ones loadtests/run's warm-up galleries signed (seeded images share one time, so a gallery is in
-- id order, highest first). Any other would measure an RSA signature per request.
local users = tonumber(os.getenv("USERS") or "1000")
local images = tonumber(os.getenv("IMAGES") or "50")
local span = math.min(images, 50)
math.randomseed(os.time())
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local id = string.format("u%04d-%04d", math.random(0, users - 1), math.random(images - span, images - 1))
  local body = '{"query":"query($i: ID!) { image(id: $i) { id url } }","variables":{"i":"' .. id .. '"}}'
  return wrk.format(nil, "/graphql", nil, body)
end

dofile("loadtests/wrk/auth.lua")
dofile("loadtests/wrk/count_errors.lua")
