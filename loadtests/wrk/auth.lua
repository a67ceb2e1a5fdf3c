-- A Bearer token on every request when TOKEN is set (loadtests/run sets it unless ANON=1): the
-- service then verifies a token per request, as it does for signed-in users.
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
