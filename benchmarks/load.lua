-- The load benchmark's wrk script (benchmarks/load_bench.py writes the environment).
--
-- GET mode: LB_PATHS is a space-separated list of "<cookie>|<path>" items, requested in
-- turn by each wrk thread; <cookie> picks LB_COOKIE_<n> (a signed-in user's session
-- cookie, "-" for none). One item is one page; several make a mix.
--
-- POST mode (LB_POST_URL set, "{child}" in it): a draft save of the assessment form. Each
-- thread takes its share of LB_CHILDREN ("<cookie>:<child>:<user id>:<version>,..."; the
-- version of that user's saved draft, 0 for none) and saves them in turn, the form's
-- version field set to the version it last saved for that pair (a draft save raises it by
-- one), so that a save does not answer "changed meanwhile". An answer that does say so
-- (400, with the form, its draft key and the version saved now) sets the version from the
-- page; it, and "saved meanwhile" (409) for two first saves at once, count as conflicts: with more connections than (assessor, child) pairs
-- allow, two saves of one pair overlap, and the second is refused by design (the app's
-- answer to two tabs saving at once). Other error answers stay errors. LB_BODY is the
-- form body with "{version}", "{note}" and "{csrf}" (LB_CSRF_<cookie>, the token of that
-- user's session) to fill in.
--
-- done() prints one line "LOADBENCH {json}" with the counts (conflicts summed over the
-- threads) and latency percentiles.

local items = {}
local cookies = {}
local post_url = os.getenv("LB_POST_URL")
local body = os.getenv("LB_BODY") or ""
local nthreads = tonumber(os.getenv("LB_THREADS") or "1")
local saves, versions = {}, {}
local csrf = {}
local index, counter = 0, 0
local setups = 0
local threads = {}
conflicts = 0

for i = 0, 9 do
  local value = os.getenv("LB_COOKIE_" .. i)
  if value and value ~= "-" then cookies[tostring(i)] = value end
  csrf[tostring(i)] = os.getenv("LB_CSRF_" .. i) or ""
end
for item in string.gmatch(os.getenv("LB_PATHS") or "-|/", "%S+") do
  local cookie, path = item:match("^([^|]*)|(.*)$")
  items[#items + 1] = { cookie = cookies[cookie], path = path }
end

function setup(thread)
  thread:set("tid", setups)
  setups = setups + 1
  threads[#threads + 1] = thread
end

function init(args)
  if post_url then
    local i = 0
    for item in string.gmatch(os.getenv("LB_CHILDREN") or "", "[^,]+") do
      local cookie, child, user, version = item:match("(%d+):(%d+):(%d+):(%d+)")
      if i % nthreads == tid then
        saves[#saves + 1] = { cookie = cookie, child = child, key = child .. "-" .. user }
        versions[child .. "-" .. user] = tonumber(version)
      end
      i = i + 1
    end
  end
end

local function headers(cookie)
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  if cookie then h["Cookie"] = cookie end
  return h
end

function request()
  if post_url then
    index = index % #saves + 1
    counter = counter + 1
    local save = saves[index]
    local version = versions[save.key]
    -- a first save makes the draft (version 1) and saves it (2); each later one adds 1
    versions[save.key] = version == 0 and 2 or version + 1
    local h = headers(cookies[save.cookie])
    h["Content-Type"] = "application/x-www-form-urlencoded"
    local form = body:gsub("{version}", tostring(version)):gsub("{note}", tid .. "-" .. counter)
    form = form:gsub("{csrf}", csrf[save.cookie])
    return wrk.format("POST", (post_url:gsub("{child}", save.child)), h, form)
  end
  index = index % #items + 1
  local item = items[index]
  return wrk.format("GET", item.path, headers(item.cookie))
end

if post_url then
  function response(status, headers, body)
    -- "changed meanwhile" (400, the form again) or, for two first saves at once, "saved
    -- meanwhile" (409, the conflict page).
    if (status == 400 or status == 409) and body and (
      body:find("siden du åbnede", 1, true) or body:find("i samme øjeblik", 1, true)
    ) then
      conflicts = conflicts + 1
    end
    if status == 400 and body then
      local child, user = body:match('data%-keep%-draft="assessment%-%d+%-(%d+)%-(%d+)"')
      local version = body:match('name="version"[^>]*value="(%d+)"')
      if child and version and versions[child .. "-" .. user] then
        versions[child .. "-" .. user] = tonumber(version)
      end
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local refused = 0
  for _, thread in ipairs(threads) do refused = refused + (thread:get("conflicts") or 0) end
  io.write(string.format(
    'LOADBENCH {"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, ' ..
    '"conflicts": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.status, refused, e.connect, e.read,
    e.write, e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max))
end
