"""pmatch hash on videos: vPDQ lines that agree with Meta's expected output; sampling modes."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402

pdq = t.need_testdata()
video_dir = os.path.join(os.path.dirname(pdq), "video")
expected_dir = os.path.join(os.path.dirname(pdq), "vpdq-expected")

name = "pattern-sd-grey-bar"
code, out, err = t.run("hash", os.path.join(video_dir, name + ".mp4"), check_rc=0)
lines = out.splitlines()
t.check(lines[0].startswith("# ") and "video, 206 frames" in lines[0], f"header: {lines[:1]}")
got = [line.split(",") for line in lines[1:]]
with open(os.path.join(expected_dir, name + ".txt")) as f:
    want = [line.strip().split(",") for line in f if line.strip()]
t.check(len(got) == len(want), f"{len(got)} frames, expected {len(want)}")
identical = sum(1 for g, w in zip(got, want) if g == w)
worst = max(t.hamming(g[2], w[2]) for g, w in zip(got, want))
print(f"{name}: {identical}/{len(want)} lines identical, worst distance {worst}")
t.check(worst <= 10 and identical >= 0.9 * len(want), "vPDQ agreement")

code, out, err = t.run("hash", "--json", "--video-sampling", "keyframes",
                       os.path.join(video_dir, name + ".mp4"), check_rc=0)
obj = json.loads(out)
t.check(obj["type"] == "video" and 0 < obj["frame_count"] < 206, f"keyframes: {obj['frame_count']}")
code, out, err = t.run("hash", "--json", "--video-sampling", "interval:1",
                       os.path.join(video_dir, name + ".mp4"), check_rc=0)
obj = json.loads(out)
stamps = [f["timestamp"] for f in obj["frames"]]
t.check(len(stamps) >= 6 and all(b - a >= 0.9 for a, b in zip(stamps, stamps[1:])),
        f"one frame a second: {stamps}")
t.run("hash", "--video-sampling", "sometimes", os.path.join(video_dir, name + ".mp4"), check_rc=2)

# A still image stays an image, whatever container it comes in.
code, out, err = t.run("hash", os.path.join(pdq, "misc-images/modes/F.webp"), check_rc=0)
t.check(out.count("\n") == 1 and not out.startswith("#"), f"still WebP is an image: {out}")

# Scanning videos: frames of a new video match known frame/image hashes of the same scene.
import tempfile  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    known = os.path.join(tmp, "chair.hex")
    with open(os.path.join(expected_dir, "chair-22-sd-grey-bar.txt")) as f, open(known, "w") as out:
        for i, line in enumerate(f):
            if i % 30 == 0:
                out.write(line.split(",")[2] + "\n")
    db = os.path.join(tmp, "db")
    t.run("db", "init", "--db", db, check_rc=0)
    t.run("db", "import", "--db", db, "--list", "chair-frames", known, check_rc=0)
    code, out, err = t.run("scan", "--db", db, "--json", "--quiet",
                           os.path.join(video_dir, "chair-20-sd-bar.mp4"),
                           os.path.join(video_dir, "pattern-sd-grey-bar.mp4"), check_rc=1)
    rows = [json.loads(line) for line in out.splitlines()]
    t.check(rows[0]["verdict"] == "match" and rows[0]["media"] == "video"
            and all(m["frame"] >= 0 for m in rows[0]["matches"]), f"chair video: {rows[0]}")
    t.check(rows[1]["verdict"] == "no_match" and rows[1]["frames_hashed"] > 0, f"pattern: {rows[1]}")

t.finish("test_video_cli")
