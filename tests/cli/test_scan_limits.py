"""pmatch scan limits: each one is reported with its own stable code, and nothing crashes.

Walk limits (JSON "code" of a skipped item): symlink_not_followed, directory_loop,
max_depth_exceeded, path_too_long, not_regular_file. Input limits (JSON "status" of an
error item, an lm_status number): LM_E_LIMIT_BYTES = 6, LM_E_LIMIT_PIXELS = 7.
"""
import json
import os
import struct
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402

LM_E_IO = 3
LM_E_LIMIT_BYTES = 6
LM_E_LIMIT_PIXELS = 7


def scan_json(db, *paths, rc=None, extra=()):
    code, out, err = t.run("scan", "--db", db, "--json", "--quiet", *extra, *paths, check_rc=rc)
    return [json.loads(line) for line in out.splitlines()]


def by_path(rows, root):
    return {os.path.relpath(r["path"], root): r for r in rows}


def png_declaring(width, height):
    """A tiny PNG whose header declares width x height (a decompression bomb's shape)."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "list.lmdb")
    t.run("db", "init", "--db", db, check_rc=0)
    tree = os.path.join(tmp, "tree")
    os.makedirs(os.path.join(tree, "a", "b", "c"))
    with open(os.path.join(tree, "a", "b", "c", "deep.bin"), "wb") as f:
        f.write(b"x" * 100)
    with open(os.path.join(tree, "a", "small.bin"), "wb") as f:
        f.write(b"y" * 10)
    with open(os.path.join(tree, "a", "big.bin"), "wb") as f:
        f.write(b"z" * 5000)
    with open(os.path.join(tree, "a", "bomb.png"), "wb") as f:
        f.write(png_declaring(60000, 60000))
    os.symlink(tree, os.path.join(tree, "a", "loop"))
    os.mkfifo(os.path.join(tree, "a", "fifo"))

    # Defaults: the symlink is not followed; the special file is skipped; the bomb is refused.
    # Skips and undecodable files are not errors: exit 0 (nothing matched, everything read).
    rows = by_path(scan_json(db, tree, rc=0), tree)
    t.check(rows["a/loop"]["verdict"] == "skipped" and rows["a/loop"]["code"] == "symlink_not_followed",
            f"symlink: {rows.get('a/loop')}")
    t.check(rows["a/fifo"]["code"] == "not_regular_file", f"fifo: {rows.get('a/fifo')}")
    t.check(rows["a/bomb.png"]["verdict"] == "not_image"
            and rows["a/bomb.png"]["decode_status"] == LM_E_LIMIT_PIXELS,
            f"decompression bomb refused with LM_E_LIMIT_PIXELS: {rows.get('a/bomb.png')}")
    t.check(rows["a/b/c/deep.bin"]["verdict"] == "not_image", f"deep file scanned: {rows.get('a/b/c/deep.bin')}")

    # Followed symlinks: the loop back to the root is detected, not walked forever.
    rows = by_path(scan_json(db, tree, rc=0, extra=("--follow-symlinks",)), tree)
    t.check(rows["a/loop"]["code"] == "directory_loop", f"loop: {rows.get('a/loop')}")

    # Nesting: the root is level 1; with --max-depth 3 the fourth level (a/b/c) is skipped.
    rows = by_path(scan_json(db, tree, rc=0, extra=("--max-depth", "3")), tree)
    t.check(rows.get("a/b/c", {}).get("code") == "max_depth_exceeded", f"depth: {sorted(rows)}")
    t.check("a/b/c/deep.bin" not in rows, "nothing below the depth limit is scanned")

    # Bytes: a file over --max-bytes is an error item with LM_E_LIMIT_BYTES; smaller ones pass.
    rows = by_path(scan_json(db, os.path.join(tree, "a"), rc=2, extra=("--max-bytes", "1000")), tree)
    t.check(rows["a/big.bin"]["verdict"] == "error" and rows["a/big.bin"]["status"] == LM_E_LIMIT_BYTES,
            f"max-bytes: {rows.get('a/big.bin')}")
    t.check(rows["a/small.bin"]["verdict"] == "not_image", f"small file: {rows.get('a/small.bin')}")

    # A missing file: LM_E_IO.
    rows = scan_json(db, os.path.join(tmp, "missing.jpg"), rc=2)
    t.check(rows[0]["verdict"] == "error" and rows[0]["status"] == LM_E_IO, f"missing: {rows}")

    # Path length: a tree deeper than PATH_MAX (4096 bytes) made with directory fds.
    longroot = os.path.join(tmp, "long")
    os.mkdir(longroot)
    fd = os.open(longroot, os.O_RDONLY)
    name = "d" * 200
    for _ in range(25):  # 25 * 201 bytes > 4096
        os.mkdir(name, dir_fd=fd)
        nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    os.close(fd)
    rows = scan_json(db, longroot, rc=0, extra=("--max-depth", "100"))
    codes = [r.get("code") for r in rows]
    t.check(codes == ["path_too_long"], f"path too long: {rows}")

t.finish("test_scan_limits")
