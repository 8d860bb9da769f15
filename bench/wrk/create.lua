-- POST /posts/ with a valid JSON body, author rotating over the 50 authors.
local n = 0
local headers = {["Content-Type"] = "application/json"}
request = function()
  n = n + 1
  local body = string.format(
    '{"title":"wrk post %d","body":"Written by the load generator.","published":true,"author":%d}',
    n, n % 50 + 1)
  return wrk.format("POST", "/posts/", headers, body)
end
