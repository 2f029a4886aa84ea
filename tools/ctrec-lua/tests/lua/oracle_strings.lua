-- oracle_strings.lua: strings around --max-string, UTF-8 cut points,
-- invalid UTF-8, NUL bytes, escapes; key names that need escaping.
-- oracle-variant: --max-string 5
-- oracle-variant: --max-string 0
-- oracle-variant: --max-string 1 --max-elements 3
local s999 = string.rep("a", 999)
local s1000 = string.rep("b", 1000)
local s1001 = string.rep("c", 1001)
local s100k = string.rep("0123456789", 10000) .. "\xff"
local cut2 = string.rep("x", 999) .. "é" .. "tail"          -- é over the cut
local cut3 = string.rep("x", 998) .. "€" .. "tail"          -- 3-byte over the cut
local cut4 = string.rep("x", 997) .. "\u{1F600}" .. "tail"  -- 4-byte over the cut
local conts = string.rep("y", 996) .. string.rep("\x80", 10) -- not UTF-8
local short_utf = "héllo wörld €uro \u{1F600}!"
local bad = "a\xffb\xc3(\xe2\x82\xed\xa0\x80\xf4\x90\x80\x80z"
local nul = "a\0b\0\0c"
local ctrl = "tab\tnl\ncr\rbs\\q\"bell\a\x7f"
local empty = ""
local keys = {["a,b"] = 1, ["{c}"] = 2, ["d\\e"] = 3, ["n\0ul"] = 4, ["\xff"] = 5, ["é"] = 6}
local keys2 = {["a\0"] = 1, ["a"] = 2, ["a\1"] = 3, ["A"] = 4, ["\xc3\xa9"] = 5, ["z"] = 6}
local long_in_table = {s1001, short_utf, k = s1000 .. "!"}
local grow = ""
for i = 1, 12 do grow = grow .. "é" end
print(#s999, #s1000, #s1001, #cut2, #cut3, #cut4, #conts, #bad, #nul, #ctrl, #empty,
      keys["a,b"], keys2.z, #long_in_table, #grow)
