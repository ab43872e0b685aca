"""check_includes.py itself: a small tree with each kind of violation fails, naming it;
the same tree without them passes."""
import os
import subprocess
import sys
import tempfile

check = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_includes.py")


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def run(root):
    p = subprocess.run([sys.executable, check, root], capture_output=True, text=True)
    return p.returncode, p.stderr


failures = 0


def expect(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


with tempfile.TemporaryDirectory() as root:
    write(root, "libmatch/include/libmatch.h", "")
    write(root, "libmatch/core/errbuf.h", "")
    write(root, "libmatch/decode/decode.h", '#include "errbuf.h"\n#include "libmatch.h"\n')
    write(root, "libmatch/search/index.h", '#include "libmatch.h"\n')
    write(root, "hashdb/hashdb.h", '#include "index.h"\n')
    write(root, "libmatch/matcher.c", '#include "hashdb.h"\n#include "decode.h"\n')
    write(root, "cli/args.h", '#include "libmatch.h"\n')
    write(root, "cli/cmd_db.c", '#include "args.h"\n#include <stdio.h>\n')
    rc, err = run(root)
    expect(rc == 0, "a clean tree passes: " + err)

    write(root, "cli/cmd_db.c", '#include "args.h"\n#include "hashdb.h"\n')
    write(root, "libmatch/decode/decode.c", '#include "index.h"\n')
    write(root, "libmatch/newthing/x.c", '#include "libmatch.h"\n')
    write(root, "hashdb/db.c", '#include "args.h"\n')
    rc, err = run(root)
    expect(rc == 1, "a tree with violations fails")
    expect('cli/cmd_db.c:2: includes "hashdb.h"' in err, "cli including an internal header: " + err)
    expect('libmatch/decode/decode.c:1: includes "index.h" of a later stage' in err,
           "decode including search: " + err)
    expect("folder libmatch/newthing has no stage" in err, "an unknown folder: " + err)
    expect('hashdb/db.c:1: the library includes front-end header "args.h"' in err,
           "the library including the CLI: " + err)
    expect("4 layering problem(s)" in err, "exactly these four: " + err)

print(f"{0 if failures else 1} passed, {failures} failed")
sys.exit(1 if failures else 0)
