-- wrk script: one new order per request, 1 to 3 lines, unique external id per thread and request.
-- Reads SKU codes and the bearer token from environment variables set by the bench.
local skus = {}
for code in string.gmatch(os.getenv("BENCH_SKUS") or "", "[^,]+") do skus[#skus + 1] = code end
local token = os.getenv("BENCH_TOKEN") or ""
local run = os.getenv("BENCH_RUN") or "r"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(tid * 7919)
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

local regions = { {"Valenzuela", "Metro Manila", "NCR", "1440", "Malinta"}, {"Cebu City", "Cebu", "VII", "6000", "Lahug"},
                  {"Quezon City", "Metro Manila", "NCR", "1100", "Bagumbayan"}, {"Davao City", "Davao del Sur", "XI", "8000", "Poblacion"} }

request = function()
  counter = counter + 1
  local lines = {}
  for i = 1, math.random(1, 3) do
    lines[#lines + 1] = string.format('{"sku":"%s","qty":%d,"unit_price":"%d.00"}', skus[math.random(#skus)], math.random(1, 2), math.random(99, 999))
  end
  local r = regions[math.random(#regions)]
  local body = string.format(
    '{"shop":"bench-shop","external_id":"%s-%d-%d","payment_method":"cod","placed_at":"2026-11-11T00:05:00+08:00",' ..
    '"address":{"name":"Juan dela Cruz","phone":"+639171234567","street":"12 Rizal St.","barangay":"%s","city":"%s","province":"%s","region":"%s","zip_code":"%s"},' ..
    '"lines":[%s]}', run, tid, counter, r[5], r[1], r[2], r[3], r[4], table.concat(lines, ","))
  return wrk.format("POST", "/api/v1/orders", nil, body)
end

server_errors = 0  -- per thread; done() adds them up
response = function(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1 end
end

function done(summary, latency, requests)
  local s5xx = 0
  for _, thread in ipairs(threads) do s5xx = s5xx + (thread:get("server_errors") or 0) end
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"non2xx":%d,"s5xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status, s5xx))
end
