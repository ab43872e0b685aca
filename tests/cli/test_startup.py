"""Start-up (issue 17): hashing and scanning still images loads none of the heavy
libraries (FFmpeg, libheif, libxml2, libcurl, libssl, MPI, libarchive, libmicrohttpd,
jansson); each is loaded when a file or command needs it, and when it is missing
(LM_DISABLE_LIBS, or no plugin) that command fails with a clear message while still
images keep working. Timing is not asserted here (bench/hash prints it)."""
import os
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402

pdq = t.need_testdata()
video_dir = os.path.join(os.path.dirname(pdq), "video")
jpg = os.path.join(pdq, "reg-test-input", "labelme-subset", "q0122.jpg")
png = next(os.path.join(r, f) for r, _, fs in sorted(os.walk(pdq)) for f in sorted(fs)
           if f.endswith(".png"))
videos = sorted(f for f in os.listdir(video_dir) if f.endswith(".mp4")) if os.path.isdir(
    video_dir) else []
HEAVY = ["libavformat", "libavcodec", "libavutil", "libswscale", "libheif", "libde265",
         "libx265", "libdav1d", "libaom", "libxml2", "libcurl", "libssl", "libmpi",
         "libarchive", "libmicrohttpd", "libjansson", "libwebpdemux", "libgnutls"]


def run_env(env_extra, *args):
    env = dict(os.environ, **env_extra)
    p = subprocess.run([t.PMATCH, *args], capture_output=True, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def loaded_libs(*args):
    """The shared objects the dynamic loader initialised while running pmatch args."""
    rc, out, err = run_env({"LD_DEBUG": "libs"}, *args)
    libs = set()
    for line in err.splitlines():
        if "calling init:" in line:
            libs.add(os.path.basename(line.split("calling init:", 1)[1].strip()))
    return rc, out, libs


def heavy_in(libs):
    return sorted(lib for lib in libs for h in HEAVY if lib.startswith(h + "."))


with tempfile.TemporaryDirectory() as tmp:
    # 1. pmatch hash of a JPEG and a PNG: none of the heavy libraries.
    rc, out, libs = loaded_libs("hash", jpg, png)
    t.check(rc == 0 and len(out.splitlines()) == 2, f"hash jpg png: rc {rc}, {out!r}")
    t.check(not heavy_in(libs), f"pmatch hash loaded {heavy_in(libs)}")
    print(f"pmatch hash JPEG+PNG: {len(libs)} shared objects initialised, none heavy")
    ref = out

    # 2. pmatch scan of the same files against a fresh list: none either.
    db = os.path.join(tmp, "db")
    t.run("db", "init", "--db", db, check_rc=0)
    rc, out, libs = loaded_libs("scan", "--db", db, jpg, png)
    t.check(rc == 0, f"scan: rc {rc} {out!r}")
    t.check(not heavy_in(libs), f"pmatch scan loaded {heavy_in(libs)}")

    # 3. A video loads FFmpeg when it is met, and only then.
    if videos:
        mp4 = os.path.join(video_dir, videos[0])
        rc, out, libs = loaded_libs("hash", mp4)
        t.check(rc == 0 and "libavformat" in " ".join(libs), f"video: rc {rc}, FFmpeg not loaded")
        # Without FFmpeg: the video fails with a message, the JPEG and PNG still hash.
        rc, out, err = run_env({"LM_DISABLE_LIBS": "libavformat"}, "hash", mp4, jpg, png)
        t.check(rc == 1, f"video without FFmpeg: rc {rc}")
        t.check("FFmpeg" in err and "could not be loaded" in err, f"message: {err!r}")
        t.check(out.count("\n") == 2 and ref.splitlines()[0] in out and ref.splitlines()[1] in out,
                f"stills without FFmpeg: {out!r}")
    else:
        print("no sample video: FFmpeg checks skipped")

    # 4. An archive loads libarchive; without it, a clear error (exit 2) and the stills work.
    tar = os.path.join(tmp, "a.tar")
    with tarfile.open(tar, "w") as tf:
        tf.add(jpg, arcname="x.jpg")
    rc, out, libs = loaded_libs("scan", "--db", db, tar)
    t.check(rc == 0 and "libarchive" in " ".join(libs), f"tar scan: rc {rc}, {out!r}")
    rc, out, err = run_env({"LM_DISABLE_LIBS": "libarchive"}, "scan", "--db", db, "--json",
                           tar, jpg)
    t.check(rc == 2 and "libarchive" in out + err, f"tar without libarchive: rc {rc} {out!r}")
    t.check('"path":"' + jpg + '"' in out.replace(" ", ""), f"still image scanned: {out!r}")

    # 5. URLs need libcurl: refused with a message when it is missing (nothing listens on
    # port 9 of loopback; the fetch is never tried).
    rc, out, err = run_env({"LM_DISABLE_LIBS": "libcurl"}, "scan", "--db", db,
                           "http://127.0.0.1:9/x.jpg")
    t.check(rc == 2 and "libcurl" in err, f"URL without libcurl: rc {rc} {err!r}")

    # 6. MPI: without libmpi (or a build without MPI) --mpi says so.
    rc, out, err = run_env({"LM_DISABLE_LIBS": "libmpi"}, "scan", "--mpi", "--db", db, jpg)
    t.check(rc == 2 and "MPI" in err, f"--mpi without libmpi: rc {rc} {err!r}")

    # 7. pmatch serve is a plugin: found next to pmatch here; missing, a clear error.
    rc, out, err = run_env({}, "serve", "--help")
    if rc == 0:
        rc, out, err = run_env({"PMATCH_PLUGIN_DIR": os.path.join(tmp, "none")}, "serve",
                               "--help")
        t.check(rc == 2 and "pmatch-serve.so" in err, f"serve without plugin: rc {rc} {err!r}")
    else:
        print("pmatch built without serve: plugin check skipped")

t.finish("cli-startup")
