-- wrk script: many office managers, each on their own domain, each asking for a view
-- of the Users page that rarely repeats, so the results cache seldom has the answer.
--   wrk ... -s bench/mixed.lua URL -- MANAGERS_FILE [mixed|search]
-- MANAGERS_FILE has one manager per line: "<domain> <session cookie>".
-- "mixed" picks among deep pages at random cursors, searches, name sorts both ways at
-- random positions, status filters and page sizes 25/50/100; "search" asks only for
-- searches (random 3-5 letter name fragments and extension prefixes).

local FIRST = { "Amelia", "Ben", "Chloe", "Daniel", "Emma", "Farid", "Grace", "Hugo", "Isla",
  "Jonas", "Keira", "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Samir", "Tara" }
local LAST = { "Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
  "Jensen", "Khan", "Larsen", "Moreau", "Nakamura", "Okafor", "Patel", "Quispe", "Rossi", "Silva",
  "Tanaka", "Ulrich", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Novak", "Murphy", "Lopez",
  "Kowalski" }
local STATUSES = { "setup-required", "password-required", "active" }
local SIZES = { 25, 50, 100 }
local UNIT = "%1F"

local managers = {}
local mode = "mixed"

function init(args)
  -- Each thread its own sequence: os.time alone would give both threads the same views.
  math.randomseed(os.time() * 1000 + tonumber(string.sub(tostring({}), -6), 16) % 1000)
  for line in io.lines(args[1]) do
    local domain, cookie = string.match(line, "^(%S+)%s+(%S+)$")
    if domain then
      managers[#managers + 1] = { domain = domain, cookie = cookie }
    end
  end
  mode = args[2] or "mixed"
end

local function pick(list)
  return list[math.random(#list)]
end

-- A random 3-5 letter piece of a name, in the case a person might type it.
local function fragment()
  local name = pick(math.random(2) == 1 and FIRST or LAST)
  local length = math.min(#name, math.random(3, 5))
  local start = math.random(1, #name - length + 1)
  local piece = string.sub(name, start, start + length - 1)
  if math.random(2) == 1 then piece = string.lower(piece) end
  return piece
end

local function extension()
  return tostring(math.random(1000, 10999))
end

local function search()
  if math.random(3) == 1 then
    -- An extension prefix of 2-4 digits.
    return "q=" .. string.sub(extension(), 1, math.random(2, 4))
  end
  return "q=" .. fragment()
end

local function cursor(status)
  return "after=" .. extension() .. UNIT .. status .. UNIT .. pick(FIRST) .. UNIT .. pick(LAST)
end

local function mixed()
  local roll = math.random(5)
  if roll == 1 then
    return cursor(math.random(0, 2)) .. "&page=" .. math.random(2, 200)
  elseif roll == 2 then
    return search()
  elseif roll == 3 then
    local dir = math.random(2) == 1 and "asc" or "desc"
    return "sort=name&dir=" .. dir .. "&" .. cursor(math.random(0, 2)) .. "&page=" .. math.random(2, 200)
  elseif roll == 4 then
    return "status=" .. pick(STATUSES) .. "&" .. cursor(math.random(0, 2)) .. "&page=" .. math.random(2, 200)
  end
  local dir = math.random(2) == 1 and "asc" or "desc"
  return "sort=status&dir=" .. dir .. "&" .. cursor(math.random(0, 2)) .. "&page=" .. math.random(2, 200)
end

function request()
  local manager = pick(managers)
  local query = mode == "search" and search() or mixed()
  local path = "/domains/" .. manager.domain .. "/users?per_page=" .. pick(SIZES) .. "&" .. query
  return wrk.format("GET", path, { ["Cookie"] = manager.cookie })
end
