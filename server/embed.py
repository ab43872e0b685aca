#!/usr/bin/env python3
"""Embed a file as a C string (the OpenAPI document): embed.py IN OUT SYMBOL."""
import json
import sys

src, dst, sym = sys.argv[1:4]
data = open(src, "rb").read()
json.loads(data)  # the build fails on a malformed document
with open(dst, "w") as f:
    f.write("/* Generated from %s by embed.py. */\n#include <stddef.h>\n" % src.split("/")[-1])
    f.write("const char %s[] = {\n" % sym)
    for i in range(0, len(data), 16):
        f.write("    " + "".join("0x%02x," % b for b in data[i:i + 16]) + "\n")
    f.write("    0x00};\nconst size_t %s_len = %d;\n" % (sym, len(data)))
