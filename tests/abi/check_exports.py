"""The shared library exports lm_* functions only (visibility + version script),
and every name a version node of the script lists, under that node's version."""
import re
import subprocess
import sys

lib = sys.argv[1]
mapfile = sys.argv[2] if len(sys.argv) > 2 else None
out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
syms = [line.split()[-1] for line in out.splitlines() if line.strip()]
versions = {}
for s in syms:
    name, _, ver = s.partition("@")
    versions[name] = ver.lstrip("@")
names = [n for n in versions if not n.startswith("LIBMATCH_")]
bad = [n for n in names if not n.startswith("lm_")]
if bad:
    print("symbols leaking from", lib, ":", bad[:50], file=sys.stderr)
    sys.exit(1)
for required in ["lm_hash_memory", "lm_hash_file", "lm_pdq_from_hex", "lm_check", "lm_matcher_open",
                 "lm_digest_new", "lm_digest_update", "lm_digest_final", "lm_digest_free",
                 "lm_digest_bytes", "lm_hash_media_memory"]:
    if required not in names:
        print("missing export", required, file=sys.stderr)
        sys.exit(1)
listed = 0
if mapfile:
    text = re.sub(r"/\*.*?\*/", "", open(mapfile).read(), flags=re.S)
    for node, body in re.findall(r"(LIBMATCH_[0-9.]+)\s*\{(.*?)\}", text, flags=re.S):
        for name in re.findall(r"^\s*(lm_[a-z0-9_]+)\s*;", body, flags=re.M):
            listed += 1
            if versions.get(name) != node:
                print(f"{name}: exported as {versions.get(name)!r}, the version script says {node}",
                      file=sys.stderr)
                sys.exit(1)
print(f"{len(names)} exported symbols, all lm_*; {listed} listed by name in the version script")
