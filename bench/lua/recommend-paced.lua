-- bench/lua/recommend.lua at a fixed pace: each connection waits DELAY_MS (env) before each
-- request, so the offered rate is about connections x 1000 / (DELAY_MS + latency) whatever the
-- server could take: builds compared at one rate batch alike.
dofile(os.getenv("RECOMMEND_LUA"))
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")

function delay()
  return delay_ms
end
