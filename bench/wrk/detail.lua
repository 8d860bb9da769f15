-- GET /posts/<id>/, id rotating over the 1000 seeded posts.
local n = 0
request = function()
  n = n % 1000 + 1
  return wrk.format("GET", "/posts/" .. n .. "/")
end
