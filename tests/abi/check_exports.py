"""The shared library exports lm_* functions only (visibility + version script)."""
import subprocess
import sys

lib = sys.argv[1]
out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
names = [line.split()[-1] for line in out.splitlines() if line.strip()]
names = [n.split("@")[0] for n in names if n != "LIBMATCH_1"]
bad = [n for n in names if not n.startswith("lm_")]
if bad:
    print("symbols leaking from", lib, ":", bad[:50], file=sys.stderr)
    sys.exit(1)
for required in ["lm_hash_memory", "lm_hash_file", "lm_pdq_from_hex", "lm_check", "lm_matcher_open"]:
    if required not in names:
        print("missing export", required, file=sys.stderr)
        sys.exit(1)
print(f"{len(names)} exported symbols, all lm_*")
