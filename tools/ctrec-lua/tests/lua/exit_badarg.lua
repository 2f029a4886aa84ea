-- os.exit with a bad argument: the error lua5.4 raises, and the script goes
-- on when it is caught.
print(pcall(os.exit, 2.5))
print(pcall(os.exit, {}))
print("after")
os.exit("x")
