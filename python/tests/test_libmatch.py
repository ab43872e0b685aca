"""Tests of the libmatch Python package over the shared library (unittest style, run by
pytest or unittest). Images are generated benign ones; lists are made with pmatch."""
import ctypes
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

import libmatch
from libmatch import _ffi

PMATCH = os.environ.get("LM_PMATCH", "pmatch")
MAKE_IMAGES = os.environ.get("LM_MAKE_IMAGES", "lm-make-images")


def pm(*args):
    p = subprocess.run([PMATCH, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"pmatch {args}: {p.stderr}")
    return p.stdout


class Fixture:
    tmp = None

    @classmethod
    def get(cls):
        if cls.tmp is None:
            cls.tmp = tempfile.mkdtemp(prefix="lm-py-")
            known, inc = os.path.join(cls.tmp, "known"), os.path.join(cls.tmp, "incoming")
            subprocess.run([MAKE_IMAGES, known, "4", "--variants=" + inc, "--seed=7"], check=True,
                           capture_output=True)
            cls.known = sorted(os.path.join(known, f) for f in os.listdir(known))
            cls.variants = sorted(os.path.join(inc, f) for f in os.listdir(inc))
            cls.lines = pm("hash", *cls.known).splitlines()
            cls.db = os.path.join(cls.tmp, "db")
            pm("db", "init", "--db", cls.db)
            with open(os.path.join(cls.tmp, "demo.pdq"), "w") as f:
                f.write("\n".join(cls.lines[:3]) + "\n")
            pm("db", "import", "--db", cls.db, "--list", "demo", os.path.join(cls.tmp, "demo.pdq"))
        return cls


def tearDownModule():
    if Fixture.tmp:
        shutil.rmtree(Fixture.tmp, ignore_errors=True)


class TestLayout(unittest.TestCase):
    def test_struct_sizes_match_the_c_compiler(self):
        exe = os.environ.get("LM_ABI_SIZES")
        if not exe:
            self.skipTest("LM_ABI_SIZES not set")
        sizes = json.loads(subprocess.run([exe], capture_output=True, check=True, text=True).stdout)
        for name, st in _ffi.STRUCTS.items():
            self.assertEqual(ctypes.sizeof(st), sizes[name], name)
        for key, offset in sizes.items():
            if "." in key:  # "struct.field": where the C compiler put it
                name, fld = key.split(".")
                self.assertEqual(getattr(_ffi.STRUCTS[name], fld).offset, offset, key)

    def test_version(self):
        self.assertRegex(libmatch.version(), r"^\d+\.\d+\.\d+$")


class TestHashing(unittest.TestCase):
    def test_hash_file_equals_pmatch_hash(self):
        fx = Fixture.get()
        for path, line in zip(fx.known, fx.lines):
            pdq, quality, _ = line.split(",", 2)
            h = libmatch.hash_file(path)
            self.assertEqual(h.pdq, pdq)
            self.assertEqual(h.quality, int(quality))
            self.assertIn(h.format, ("jpeg", "png"))
            self.assertGreater(h.width, 0)

    def test_hash_bytes_and_dihedral(self):
        fx = Fixture.get()
        data = open(fx.known[0], "rb").read()
        h = libmatch.hash_bytes(data, dihedral=True)
        self.assertEqual(h.pdq, fx.lines[0].split(",")[0])
        self.assertEqual(len(h.dihedral), 8)
        self.assertEqual(h.dihedral[0], h.pdq)
        self.assertEqual(libmatch.pdq_distance(h.pdq, h.pdq), 0)
        self.assertGreater(libmatch.pdq_distance(h.pdq, h.dihedral[2]), 0)

    def test_errors_map_lm_status(self):
        with self.assertRaises(libmatch.FormatError) as e:
            libmatch.hash_bytes(b"not an image")
        self.assertEqual(e.exception.status, libmatch.STATUS["LM_E_FORMAT"])
        fx = Fixture.get()
        data = open(fx.known[0], "rb").read()
        with self.assertRaises(libmatch.LimitExceeded) as e:
            libmatch.hash_bytes(data, max_bytes=100)
        self.assertEqual(e.exception.status, libmatch.STATUS["LM_E_LIMIT_BYTES"])
        with self.assertRaises(libmatch.CorruptInput):
            libmatch.hash_bytes(data[: len(data) // 4])
        with self.assertRaises(libmatch.IOFailure):
            libmatch.hash_file(os.path.join(fx.tmp, "missing.jpg"))
        with self.assertRaises(libmatch.ParseError):
            libmatch.pdq_distance("zz", "00")
        self.assertIsInstance(libmatch.ParseError(9), ValueError)


class TestMatcher(unittest.TestCase):
    def test_check_match_and_no_match(self):
        fx = Fixture.get()
        with libmatch.Matcher(fx.db) as m:
            self.assertEqual(m.size, 3)
            self.assertGreater(m.generation, 0)
            var = [v for v in fx.variants if os.path.basename(v).startswith("img-0000")][0]
            data = open(var, "rb").read()
            r = m.check(data)
            self.assertEqual(r.verdict, "match")
            self.assertTrue(r.matched)
            self.assertEqual(r.md5, hashlib.md5(data).hexdigest())
            self.assertEqual(r.sha256, hashlib.sha256(data).hexdigest())
            self.assertEqual(r.matches[0].list, "demo")
            self.assertEqual(r.matches[0].type, "pdq")
            self.assertLessEqual(r.matches[0].distance, 31)
            self.assertEqual(r.matches[0].variant, "plain")
            self.assertEqual(m.check(data, lists=["other"]).verdict, "no_match")
            self.assertEqual(m.check(data, max_distance=0).verdict in ("match", "no_match"), True)
            un = [v for v in fx.variants if "unrelated" in v][0]
            self.assertEqual(m.check(open(un, "rb").read()).verdict, "no_match")
            r = m.check(b"plain text")
            self.assertEqual(r.verdict, "not_image")
            self.assertFalse(r.decoded)
            self.assertIsNone(r.pdq)
            self.assertEqual(r.decode_status, 4)
            # the fourth image is not on the list
            var3 = [v for v in fx.variants if os.path.basename(v).startswith("img-0003")][0]
            self.assertEqual(m.check(open(var3, "rb").read()).verdict, "no_match")

    def test_check_truncated(self):
        # A JPEG without its last 2 bytes (EOI) still matches, flagged truncated (issue 19).
        fx = Fixture.get()
        jpegs = [k for k in fx.known[:3] if k.endswith(".jpg")]  # the listed ones
        if not jpegs:
            self.skipTest("no listed JPEG in the fixture")
        data = open(jpegs[0], "rb").read()
        with libmatch.Matcher(fx.db) as m:
            whole, cut = m.check(data), m.check(data[:-2])
            self.assertEqual((whole.verdict, whole.truncated), ("match", False))
            self.assertEqual((cut.verdict, cut.truncated, cut.pdq), ("match", True, whole.pdq))

    def test_lookups_and_entries(self):
        fx = Fixture.get()
        pdq0 = fx.lines[0].split(",")[0]
        with libmatch.Matcher(fx.db) as m:
            hits = m.lookup_pdq(pdq0)
            self.assertEqual(len(hits), 1)
            self.assertEqual(hits[0].distance, 0)
            self.assertEqual(hits[0].hash, pdq0)
            flipped = format(int(pdq0, 16) ^ 3, "064x")
            self.assertEqual(m.lookup_pdq(flipped)[0].distance, 2)
            self.assertEqual(m.lookup_pdq(flipped, max_distance=1), [])
            e = m.entry(hits[0].entry_id)
            self.assertEqual((e.list, e.type, e.hash), ("demo", "pdq", pdq0))
            with self.assertRaises(libmatch.NotFound):
                m.entry(999999)
            self.assertEqual(m.lookup_digest("md5", "0" * 32), [])
            with self.assertRaises(libmatch.ParseError):
                m.lookup_digest("md5", "0" * 31)
            with self.assertRaises(libmatch.InvalidArgument):
                m.lookup_digest("crc32", "00")
            with self.assertRaises(libmatch.ParseError):
                m.lookup_pdq("xyz")
        with self.assertRaises(libmatch.InvalidArgument):
            m.check(b"x")

    def test_missing_list(self):
        with self.assertRaises(libmatch.NotFound) as e:
            libmatch.Matcher(os.path.join(Fixture.get().tmp, "nope"))
        self.assertEqual(e.exception.status, 13)

    def test_threads_share_a_matcher(self):
        fx = Fixture.get()
        datas = [open(v, "rb").read() for v in fx.variants]
        with libmatch.Matcher(fx.db) as m:
            want = [m.check(d).verdict for d in datas]
            errors = []

            def work():
                for _ in range(3):
                    if [m.check(d).verdict for d in datas] != want:
                        errors.append("different verdicts")

            ts = [threading.Thread(target=work) for _ in range(4)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            self.assertEqual(errors, [])


class TestListManagement(unittest.TestCase):
    def test_add_image_then_refresh(self):
        fx = Fixture.get()
        db = os.path.join(fx.tmp, "db2")
        pm("db", "init", "--db", db)
        data = open(fx.known[3], "rb").read()
        eid = libmatch.add_image(db, data, list="added", label="test", reference="ref-1")
        self.assertGreater(eid, 0)
        with self.assertRaises(libmatch.AlreadyExists) as e:
            libmatch.add_image(db, data, list="added")
        self.assertEqual(e.exception.entry_id, eid)
        with libmatch.Matcher(db) as m:
            self.assertEqual(m.check(data).matches[0].label, "test")
            gen = m.generation
            self.assertFalse(m.refresh())
            other = open(fx.known[2], "rb").read()
            self.assertEqual(m.check(other).verdict, "no_match")
            pm("db", "import", "--db", db, "--list", "later", os.path.join(fx.tmp, "demo.pdq"))
            self.assertTrue(m.refresh())
            self.assertGreater(m.generation, gen)
            self.assertEqual(m.check(other).verdict, "match")
        with self.assertRaises(libmatch.FormatError):
            libmatch.add_image(db, b"junk")


class TestThreatExchangeExample(unittest.TestCase):
    def test_signal_adapter(self):
        import sys
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
        from threatexchange_signal import LibmatchPdqSignal
        fx = Fixture.get()
        h = LibmatchPdqSignal.hash_from_file(fx.known[0])
        self.assertEqual(h, fx.lines[0].split(",")[0])
        self.assertEqual(LibmatchPdqSignal.get_name(), "pdq")
        r = LibmatchPdqSignal.compare_hash(h, h)
        self.assertTrue(r[0] if isinstance(r, tuple) else r.match)


@unittest.skipUnless(_ffi.HAVE_DB, "the library has no list API")
class TestDatabase(unittest.TestCase):
    def test_manage_a_list(self):
        fx = Fixture.get()
        path = os.path.join(fx.tmp, "db3")
        with libmatch.Database(path, create=True) as db:
            g0 = db.generation
            r = db.import_bytes(("\n".join(fx.lines[:2]) + "\n").encode(), list="hot",
                                format="pdq-csv", source="test", version="v1")
            self.assertEqual((r.added, r.bad, r.format), (2, 0, "pdq-csv"))
            self.assertGreater(db.generation, g0)
            with self.assertRaises(libmatch.ImportFailed) as e:
                db.import_bytes(b"zz-not-a-hash\n", list="hot", format="hex")
            self.assertTrue(e.exception.bad_lines)
            r = db.import_bytes(b"zz-not-a-hash\n" + fx.lines[2].split(",")[0].encode() + b"\n",
                                list="hot", format="hex", skip_bad=True)
            self.assertEqual((r.added, r.bad), (1, 1))
            eid = db.add_hash("0" * 32, list="md5s", label="lab")
            with self.assertRaises(libmatch.AlreadyExists) as e:
                db.add_hash("0" * 32, list="md5s")
            self.assertEqual(e.exception.entry_id, eid)
            with self.assertRaises(libmatch.ParseError):
                db.add_hash("xyz", list="md5s")
            self.assertEqual(db.entry(eid).label, "lab")
            img = db.add_image(open(fx.known[3], "rb").read(), list="imgs", reference="r")
            names = {l.name: l for l in db.lists()}
            self.assertEqual(names["hot"].entries, 3)
            self.assertEqual(names["hot"].source, "test")
            self.assertEqual(set(names), {"hot", "md5s", "imgs"})
            m = db.matcher()
            var3 = [v for v in fx.variants if os.path.basename(v).startswith("img-0003")][0]
            self.assertEqual(m.check(open(var3, "rb").read()).matches[0].entry_id, img)
            db.set_disabled([img])
            self.assertEqual(m.check(open(var3, "rb").read()).verdict, "no_match")
            db.set_disabled([img], False)
            db.set_list("imgs", enabled=False)
            self.assertFalse({l.name: l for l in db.lists()}["imgs"].enabled)
            self.assertEqual(m.check(open(var3, "rb").read()).verdict, "no_match")
            db.set_list("imgs", enabled=True, distance=10, kind="normal")
            self.assertEqual({l.name: l for l in db.lists()}["imgs"].distance, 10)
            db.remove(eid)
            with self.assertRaises(libmatch.NotFound):
                db.entry(eid)
            with self.assertRaises(libmatch.NotFound):
                db.remove(eid)


if __name__ == "__main__":
    unittest.main()
