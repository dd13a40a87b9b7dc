-- wrk script of bench/peers.sh: each request asks for a random one of N stubs,
-- WRK_PREFIX .. math.random(1, WRK_N), for example /api/r4711.
local n = tonumber(os.getenv("WRK_N"))
local prefix = os.getenv("WRK_PREFIX")
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + seed)
end
function request()
  return wrk.format("GET", prefix .. math.random(1, n))
end
