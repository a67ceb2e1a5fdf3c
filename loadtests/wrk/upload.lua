-- createUpload for a random user: tokens from $TOKENS_FILE, one per line.
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do
  if #line > 0 then tokens[#tokens + 1] = line end
end
local query = '{"query":"mutation($in: CreateUploadInput!) { createUpload(input: $in) { image { id } upload { url expiresAt headers { name value } } } }",'
  .. '"variables":{"in":{"filename":"photo.jpg","contentType":"image/jpeg","size":123456,"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}}}'
math.randomseed(42)
request = function()
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
  }
  return wrk.format("POST", "/graphql", headers, query)
end

dofile("loadtests/wrk/count_errors.lua")
