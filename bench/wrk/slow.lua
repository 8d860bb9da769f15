-- GET /slow/: the view awaits a 20 ms sleep (an upstream call); the sync stack sleeps.
request = function()
  return wrk.format("GET", "/slow/")
end
