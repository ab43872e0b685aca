#!/usr/bin/env python3
"""Integration test of list management through the CLI: pmatch db lists/list/disable/enable/
hits/stats, and pmatch match with per-list distance, negative lists and hit counters."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from clitest import check, finish, run  # noqa: E402


def flip(h, bits):
    """h with the given bit positions flipped (bit 0 = most significant of the first byte)."""
    b = bytearray(bytes.fromhex(h))
    for i in bits:
        b[i // 8] ^= 0x80 >> (i % 8)
    return b.hex()


def main():
    tmp = tempfile.mkdtemp(prefix="lm-listscli-")
    D = ["--db", os.path.join(tmp, "db")]
    try:
        q = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
        e20 = flip(q, range(0, 200, 10))   # 20 bits away
        e20b = flip(q, range(5, 205, 10))  # another 20 bits away
        check(run("db", "init", *D)[0] == 0, "init")
        check(run("db", "add", *D, "--list", "wide", e20)[1] == "added entry 1\n", "add 1")
        check(run("db", "add", *D, "--list", "narrow", e20b)[1] == "added entry 2\n", "add 2")
        check(run("db", "add", *D, "--list", "fp", flip(q, [1]))[1] == "added entry 3\n", "add 3")
        rc, out, _ = run("db", "list", *D, "wide", "--distance", "31")
        check(rc == 0 and "31" in out.splitlines()[1], "list --distance 31")
        check(run("db", "list", *D, "narrow", "--distance", "10")[0] == 0, "list --distance 10")
        rc, _, err = run("db", "list", *D, "nosuch", "--disable")
        check(rc == 2 and "nosuch" in err, "unknown list is an error")
        check(run("db", "list", *D, "wide", "--kind", "odd")[0] == 2, "bad --kind refused")
        check(run("db", "list", *D, "wide", "--distance", "300")[0] == 2, "bad --distance refused")
        rc, out, _ = run("db", "lists", *D)
        rows = [l.split() for l in out.splitlines()[1:]]
        check(rc == 0 and [r[:6] for r in rows] == [
            ["1", "wide", "1", "normal", "enabled", "31"],
            ["2", "narrow", "1", "normal", "enabled", "10"],
            ["3", "fp", "1", "normal", "enabled", "default"]], f"lists table: {out!r}")

        # fp is still normal: at --distance 5 only the list with its own 31 reaches 20 bits,
        # plus fp at distance 1.
        rc, out, _ = run("match", *D, "--distance", "5", "-", stdin=(q + "\n").encode())
        check(rc == 1 and out.startswith("MATCH") and "entry 3 (pdq distance 1, list fp)" in out
              and "entry 1 (pdq distance 20, list wide)" in out and "entry 2" not in out,
              f"per-list distance: {out!r}")
        # fp becomes a negative list: the same query is suppressed, exit 0.
        check(run("db", "list", *D, "fp", "--kind", "negative")[0] == 0, "--kind negative")
        rc, out, _ = run("match", *D, "--json", "-", stdin=(q + "\n").encode())
        check(rc == 0 and '"verdict":"suppressed"' in out and
              '{"entry_id":3,"type":"pdq","distance":1,"negative":true' in out and
              '{"entry_id":1,"type":"pdq","distance":20,"suppressed":true' in out,
              f"negative list suppresses: {out!r}")
        # Disable the negative entry: a match again.
        rc, out, _ = run("db", "disable", *D, "3")
        check(rc == 0 and out == "disabled 1 entry (0 already disabled)\n", f"disable: {out!r}")
        rc, out, _ = run("match", *D, "-", stdin=(q + "\n").encode())
        check(rc == 1 and out.startswith("MATCH") and "entry 3" not in out, "disabled entry")
        check(run("db", "enable", *D, "3")[0] == 0, "enable")
        check(run("db", "disable", *D, "99")[0] == 2, "disable of a missing entry fails")
        # A disabled list never matches.
        check(run("db", "list", *D, "fp", "--disable")[0] == 0, "list --disable")
        check(run("db", "list", *D, "wide", "--disable")[0] == 0, "list --disable")
        rc, out, _ = run("match", *D, "-", stdin=(q + "\n").encode())
        check(rc == 0 and out.startswith("no match"), f"disabled lists: {out!r}")

        # Hit counters: every match above was counted and flushed at exit.
        rc, out, _ = run("db", "hits", *D)
        rows = {l.split()[0]: l.split() for l in out.splitlines()[1:-1]}
        check(rc == 0 and rows.get("1", [])[2:4] == ["2", "2"] and
              rows.get("3", [])[2:4] == ["2", "2"], f"hits: {out!r}")
        rc, out, _ = run("db", "hits", *D, "--flood")
        check(rc == 0 and "0 flooding" in out, f"no flood: {out!r}")

        rc, out, _ = run("db", "stats", *D)
        check(rc == 0 and "disabled entries 0, hashes in more than one list 0" in out,
              f"stats: {out!r}")
        check(run("db", "verify", *D)[1] == "ok\n", "verify")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish("test_lists_cli")


if __name__ == "__main__":
    main()
