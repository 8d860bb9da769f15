-- GET /posts/?page=N, N rotating over the 50 pages of the seed data.
local n = 0
request = function()
  n = n % 50 + 1
  return wrk.format("GET", "/posts/?page=" .. n)
end
