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

    # Plugins (cli/plugin.h): pmatch-serve.so in libdir/pmatch, found by the installed
    # pmatch relative to its own directory (the tree was installed under a DESTDIR).
    pmatch = found["pmatch"]
    if "pmatch-serve.so" in found:
        plugin_dir = os.path.dirname(found["pmatch-serve.so"])
        if os.path.basename(plugin_dir) != "pmatch":
            sys.exit(f"pmatch-serve.so installed in {plugin_dir}, not libdir/pmatch")
        p = subprocess.run([pmatch, "serve", "--help"], capture_output=True, text=True)
        if p.returncode != 0 or "usage: pmatch serve" not in p.stdout:
            sys.exit(f"installed pmatch does not find its serve plugin: rc {p.returncode} "
                     f"{p.stderr.strip()}")
        print("installed pmatch finds", found["pmatch-serve.so"][len(dest):])
    else:
        p = subprocess.run([pmatch, "serve", "--help"], capture_output=True, text=True)
        if "pmatch-serve.so" in p.stderr:
            sys.exit("pmatch wants pmatch-serve.so, which meson install did not install")
    # The heavy libraries are not linked (they are opened when needed: issue 17).
    ldd = subprocess.run(["ldd", pmatch], capture_output=True, text=True).stdout
    for heavy in ["libavformat", "libavcodec", "libheif", "libxml2", "libcurl", "libmpi",
                  "libarchive", "libmicrohttpd", "libjansson", "libssl"]:
        if heavy in ldd:
            sys.exit(f"installed pmatch links {heavy}:\n{ldd}")
    so = next(path for name, path in found.items() if name.startswith("libmatch.so.0"))
    ldd = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
    for heavy in ["libavformat", "libheif", "libxml2", "libwebpdemux"]:
        if heavy in ldd:
            sys.exit(f"installed libmatch.so links {heavy}:\n{ldd}")
    print("installed pmatch and libmatch.so link none of the heavy libraries")
