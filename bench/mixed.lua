-- wrk script: many office managers, each on their own domain, each asking for a view
-- of the Users page that rarely repeats, so the results cache seldom has the answer.
--   wrk ... -s bench/mixed.lua URL -- MANAGERS_FILE [mixed|search|view:KIND] [USERS]
-- MANAGERS_FILE has one manager per line: "<domain> <session cookie>"; USERS is how many
-- users `seed` gave each domain (default 10,000: extensions 1000 to 10999).
-- "mixed" picks among deep pages at random cursors, searches, name sorts both ways at
-- random positions, status filters and page sizes 25/50/100; "search" asks only for
-- searches (random 3-5 letter name fragments and extension prefixes); "view:KIND" asks
-- for one kind of view only, at random positions (see VIEWS below).

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
local users = 10000

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
  users = tonumber(args[3] or "10000")
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
  return tostring(math.random(1000, 1000 + users - 1))
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

local function deep()
  return "page=" .. math.random(2, 200)
end

local function direction()
  return "dir=" .. (math.random(2) == 1 and "asc" or "desc")
end

-- One kind of view each, as the issue's table lists them (issue 33).
local VIEWS = {
  ["first-page"] = function() return "sort=extension" end,
  ["deep-page"] = function() return cursor(math.random(0, 2)) .. "&" .. deep() end,
  ["name-deep"] = function() return "sort=name&" .. direction() .. "&" .. cursor(math.random(0, 2)) .. "&" .. deep() end,
  ["search-digits"] = function() return "q=" .. string.sub(extension(), 1, math.random(3, 4)) end,
  ["search-letters"] = function() return "q=" .. fragment() end,
  ["search-2-digits"] = function() return "q=" .. string.sub(extension(), 1, 2) end,
  ["search-2-letters"] = function() return "q=" .. string.sub(fragment(), 1, 2) end,
  ["search-1-char"] = function() return "q=" .. string.sub(fragment(), 1, 1) end,
  -- Two letters at random: most pairs are in no name ("zq"), some in many ("an").
  ["search-2-random"] = function()
    return "q=" .. string.char(math.random(97, 122), math.random(97, 122))
  end,
  ["status-rare-by-extension"] = function()
    return "status=" .. pick({ "active", "setup-required" }) .. "&sort=" .. pick({ "extension", "status" }) .. "&" .. direction()
  end,
  ["status-rare-by-name"] = function()
    return "status=" .. pick({ "active", "setup-required" }) .. "&sort=name&" .. direction()
  end,
  ["status-common"] = function()
    return "status=password-required&sort=" .. pick({ "extension", "name", "status" }) .. "&" .. direction() .. "&" .. cursor(1) .. "&" .. deep()
  end,
}

function request()
  local manager = pick(managers)
  local view = VIEWS[string.sub(mode, 6)]
  local query = view and view() or (mode == "search" and search() or mixed())
  local path = "/domains/" .. manager.domain .. "/users?per_page=" .. pick(SIZES) .. "&" .. query
  return wrk.format("GET", path, { ["Cookie"] = manager.cookie })
end
