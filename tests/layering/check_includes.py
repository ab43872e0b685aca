"""Layering: which folder may include whose headers (issue 15, ../shared/DESIGN.md).

- cli/ and server/ (the front ends) include, of the project's own headers, only the
  public header (libmatch/include/) and headers of their own folder (or below it);
  server/ also includes cli's URL fetcher (fetch.h, addr_guard.h: SHARED).
- A library folder never includes a header of a later stage. The stages, in the
  order data flows (DESIGN.md): core, decode, region, hash (with video frame
  hashing and second signatures), search, hashdb, the pipeline (libmatch/ top).
  An unknown library folder fails too: add it to STAGES.

Only quoted includes are checked (system headers are <...>). Exit status 1 with
one line per offending include.
"""
import os
import re
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))

# Folder (relative to the root) -> stage number; a folder may include headers of
# stages <= its own. libmatch/include is stage 0: every folder may include it.
STAGES = {
    "libmatch/include": 0,
    "libmatch/core": 0,
    "libmatch/decode": 1,
    "libmatch/region": 2,   # borders and region proposals: between decode and hash (DESIGN.md)
    "libmatch/hash": 3,     # PDQ, digests, local features (the second signature)
    "libmatch/video": 3,    # vPDQ frames: decode + hash of video
    "libmatch/search": 4,
    "hashdb": 5,
    "libmatch": 6,          # the pipeline: lm_check, the matcher, the list API's images
}
LIBRARY_ROOTS = ("libmatch", "hashdb")
FRONT_ENDS = ("cli", "server")
# Known exceptions, each to be removed by moving the code behind the public API:
# (file, header) pairs. None left: cli/scan/archive_scan.c streams its digests through the
# public lm_digest_* API now (issue 15).
ALLOWED = set()
# Front ends sharing a front end's module on purpose: the service fetches ?url= through the
# same bounded, address-guarded fetcher as `pmatch scan` (one implementation to trust).
SHARED = {"server": {("cli", "fetch.h"), ("cli", "addr_guard.h")}}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def tracked_files():
    for top in LIBRARY_ROOTS + FRONT_ENDS:
        base = os.path.join(root, top)
        for d, dirs, files in os.walk(base):
            dirs[:] = [x for x in dirs if not x.startswith(".")]
            for f in files:
                if f.endswith((".c", ".h")):
                    yield os.path.join(d, f)


def folder_of(path):
    return os.path.relpath(os.path.dirname(path), root).replace(os.sep, "/")


# Where each header name lives (a quoted include is found through the include path).
headers = {}
for p in tracked_files():
    if p.endswith(".h"):
        headers.setdefault(os.path.basename(p), []).append(folder_of(p))


def stage_of(folder):
    """The stage of a library folder: its own entry, else its nearest listed parent below
    libmatch/ (a subfolder of a stage belongs to it); None when unknown."""
    if folder in STAGES:
        return STAGES[folder]
    parts = folder.split("/")
    while len(parts) > 2:
        parts.pop()
        if "/".join(parts) in STAGES:
            return STAGES["/".join(parts)]
    return None


problems = []
for p in sorted(tracked_files()):
    src = folder_of(p)
    rel = os.path.relpath(p, root)
    text = open(p, encoding="utf-8", errors="replace").read()
    front = src.split("/")[0] in FRONT_ENDS
    if not front and stage_of(src) is None:
        problems.append(f"{rel}: folder {src} has no stage in tests/layering/check_includes.py")
        continue
    for m in INCLUDE.finditer(text):
        name = m.group(1)
        line = text.count("\n", 0, m.start()) + 1
        here = os.path.normpath(os.path.join(os.path.dirname(p), name))
        if os.path.exists(here):  # relative to the including file
            places = [folder_of(here)]
        else:
            places = headers.get(os.path.basename(name), [])
        if not places:
            continue  # generated or external: not ours
        if (rel, os.path.basename(name)) in ALLOWED:
            continue
        if front:
            top = src.split("/")[0]
            ok = [f for f in places if f == "libmatch/include" or f == src or f.startswith(top + "/") or f == top
                  or (f, os.path.basename(name)) in SHARED.get(top, set())]
            if not ok:
                problems.append(f"{rel}:{line}: includes \"{name}\" from {places[0]}/: "
                                f"{top}/ may include only libmatch.h and its own headers")
            continue
        mine = stage_of(src)
        for f in places:
            theirs = stage_of(f)
            if f.split("/")[0] in FRONT_ENDS:
                problems.append(f"{rel}:{line}: the library includes front-end header \"{name}\" ({f}/)")
            elif theirs is None or theirs > mine:
                problems.append(f"{rel}:{line}: includes \"{name}\" of a later stage ({f}/, stage "
                                f"{theirs}) from {src}/ (stage {mine})")
            break

for line in problems:
    print(line, file=sys.stderr)
if problems:
    print(f"{len(problems)} layering problem(s)", file=sys.stderr)
    sys.exit(1)
print("layering: cli/ uses only libmatch.h and its own headers; no stage includes a later one")
