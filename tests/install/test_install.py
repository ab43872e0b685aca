"""meson install: the header, libraries, pkg-config file and pmatch land where they should,
and a program built with `pkg-config --cflags --libs libmatch` against them runs."""
import os
import subprocess
import sys
import tempfile

build_root, source_root = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as dest:
    subprocess.run(["meson", "install", "-C", build_root, "--destdir", dest, "--quiet"],
                   check=True, capture_output=True)
    found = {}
    for root, _, files in os.walk(dest):
        for f in files:
            found[f] = os.path.join(root, f)
    for needed in ["libmatch.h", "libmatch.pc", "libmatch.a", "pmatch"]:
        if needed not in found:
            sys.exit(f"meson install did not install {needed}: {sorted(found)}")
    if not any(name.startswith("libmatch.so.0") for name in found):
        sys.exit("no libmatch.so.0*")
    pcdir = os.path.dirname(found["libmatch.pc"])
    prefix = found["libmatch.h"][: -len("/include/libmatch.h")]
    env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
    flags = subprocess.run(["pkg-config", "--define-variable=prefix=" + prefix, "--cflags", "--libs",
                            "libmatch"], env=env, check=True, capture_output=True, text=True).stdout.split()
    prog = os.path.join(dest, "hello.c")
    with open(prog, "w") as f:
        f.write('#include <libmatch.h>\n#include <stdio.h>\n'
                'int main(void) { lm_pdq_hash h; const char *x = "d8f8f0cee0f4a84f0637022a078f67f0'
                'b36e2ed596621e1d33e6339c4e9c9b22";\n'
                '  if (lm_version_number() != LM_VERSION_NUMBER || lm_pdq_from_hex(x, 64, &h) != LM_OK)'
                ' return 1;\n  printf("%s\\n", lm_version()); return 0; }\n')
    exe = os.path.join(dest, "hello")
    subprocess.run(["cc", prog, "-o", exe, *flags], check=True)
    libdir = os.path.dirname(found["libmatch.a"])
    out = subprocess.run([exe], env=dict(os.environ, LD_LIBRARY_PATH=libdir), check=True,
                         capture_output=True, text=True).stdout
    print("installed library runs, version", out.strip())
