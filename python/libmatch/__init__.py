"""libmatch for Python: PDQ hashes bit-identical to Meta's reference, MD5/SHA-1/SHA-256
digests, and matching against a libmatch hash list (LMDB), over the shared library.

    import libmatch
    h = libmatch.hash_file("photo.jpg")            # ImageHash(pdq=..., quality=...)
    with libmatch.Matcher("/srv/lists/known.lmdb") as m:
        r = m.check(open("upload.jpg", "rb").read())
        if r.verdict == "match":
            print(r.matches[0].list, r.matches[0].distance)

A Matcher is shared by threads (the calls release the GIL). Errors raise
LibmatchError subclasses carrying the lm_status code.
"""
import ctypes
import os
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from . import _ffi

__all__ = [
    "version", "hash_bytes", "hash_file", "pdq_distance", "Matcher", "ImageHash", "CheckResult",
    "Match", "Entry", "add_image", "LibmatchError", "InvalidArgument", "NoMemory", "IOFailure",
    "FormatError", "CorruptInput", "LimitExceeded", "ParseError", "DatabaseError", "NotFound",
    "AlreadyExists", "Unsupported", "ImportFailed", "InternalError", "STATUS", "Database",
    "ListInfo", "ImportResult",
]

# lm_status values (libmatch.h); never renumbered.
STATUS = {
    "LM_OK": 0, "LM_E_INVALID_ARG": 1, "LM_E_NOMEM": 2, "LM_E_IO": 3, "LM_E_FORMAT": 4,
    "LM_E_CORRUPT": 5, "LM_E_LIMIT_BYTES": 6, "LM_E_LIMIT_PIXELS": 7, "LM_E_LIMIT_DIMENSION": 8,
    "LM_E_PARSE": 9, "LM_E_UNKNOWN_OPTION": 10, "LM_E_DB": 11, "LM_E_DB_SCHEMA": 12,
    "LM_E_NOT_FOUND": 13, "LM_E_EXISTS": 14, "LM_E_LIMIT_FRAMES": 15, "LM_E_LIMIT_DURATION": 16,
    "LM_E_UNSUPPORTED": 17, "LM_E_TOO_SMALL": 18, "LM_E_IMPORT": 19, "LM_E_INTERNAL": 20,
}


class LibmatchError(Exception):
    """A libmatch call failed: .status is the lm_status code, .detail the library's detail."""

    def __init__(self, status: int, detail: str = ""):
        self.status = status
        self.detail = detail
        text = _ffi.lm_strerror(status).decode()
        super().__init__(f"{text}: {detail}" if detail else text)


class InvalidArgument(LibmatchError, ValueError): pass
class NoMemory(LibmatchError, MemoryError): pass
class IOFailure(LibmatchError, OSError): pass
class FormatError(LibmatchError): pass
class CorruptInput(LibmatchError): pass
class LimitExceeded(LibmatchError): pass
class ParseError(LibmatchError, ValueError): pass
class DatabaseError(LibmatchError): pass
class NotFound(LibmatchError, LookupError): pass
class AlreadyExists(LibmatchError): pass
class Unsupported(LibmatchError): pass
class ImportFailed(LibmatchError): pass
class InternalError(LibmatchError): pass


_EXC = {1: InvalidArgument, 2: NoMemory, 3: IOFailure, 4: FormatError, 5: CorruptInput,
        6: LimitExceeded, 7: LimitExceeded, 8: LimitExceeded, 9: ParseError, 10: InvalidArgument,
        11: DatabaseError, 12: DatabaseError, 13: NotFound, 14: AlreadyExists, 15: LimitExceeded,
        16: LimitExceeded, 17: Unsupported, 18: FormatError, 19: ImportFailed, 20: InternalError}


def _raise(status: int, detail: str = ""):
    if status != 0:
        raise _EXC.get(status, LibmatchError)(status, detail)


def _raise_added(status: int, detail: str, entry_id):
    """As _raise; AlreadyExists carries .entry_id, the entry already holding the hash."""
    if status == 14:
        e = AlreadyExists(status, detail)
        e.entry_id = entry_id
        raise e
    _raise(status, detail)


def _add_options(list, label, reference, companions=None) -> "_ffi.ListAddOptions":
    """lm_list_add_options with list, label and reference (and companions when given)."""
    o = _ffi.ListAddOptions()
    _ffi.lm_list_add_options_init(ctypes.byref(o))
    o.list, o.label, o.reference = [x.encode() if x is not None else None
                                    for x in (list, label, reference)]
    if companions is not None:
        o.companions = int(companions)
    return o


def version() -> str:
    """The linked library's version, "MAJOR.MINOR.PATCH"."""
    return _ffi.lm_version().decode()


_DIHEDRAL = ["original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flip+1", "flip-1"]
_VERDICTS = {0: "no_match", 1: "match", 2: "low_quality", 3: "not_image", 4: "suppressed"}
_TYPES = {"pdq": 1, "md5": 2, "sha1": 3, "sha256": 4}
_DIGEST_LEN = {2: 16, 3: 20, 4: 32}


def _hex(arr) -> str:
    return bytes(arr).hex()


def _pdq_hex(h: "_ffi.PdqHash") -> str:
    buf = (ctypes.c_char * 65)()
    _ffi.lm_pdq_to_hex(ctypes.byref(h), buf)
    return buf.value.decode()


def _pdq_parse(text: str) -> "_ffi.PdqHash":
    h = _ffi.PdqHash()
    raw = text.encode() if isinstance(text, str) else bytes(text)
    _raise(_ffi.lm_pdq_from_hex(raw, len(raw), ctypes.byref(h)), "not a 64-digit hex PDQ hash")
    return h


@dataclass(frozen=True)
class ImageHash:
    """The PDQ hash of one image (hex), its quality 0..100, size and sniffed format."""
    pdq: str
    quality: int
    width: int
    height: int
    format: str
    dihedral: Optional[List[str]] = None  # the 8 rotations/mirrors, when asked for


@dataclass(frozen=True)
class Match:
    """One matching list entry."""
    entry_id: int
    type: str            # "pdq", "md5", "sha1", "sha256", "vpdq"
    distance: int        # PDQ Hamming distance (0 for digests)
    orientation: str     # which rotation/mirror of the query matched
    variant: str         # "plain", or "trimmed", "companion", "region", "features" joined by "+"
    region: str          # the entry's region that matched ("whole", "center95", ...)
    frame: int           # video frame that matched, -1 otherwise
    negative: bool       # the entry is on a negative list (a known false positive)
    suppressed: bool     # suppressed by a negative match
    list: str = ""
    label: str = ""
    reference: str = ""
    hash: str = ""       # the stored hash (hex)
    score: int = 0       # 0..100: PDQ 100 - 100 * distance / 64; "features": verified keypoint pairs
    rect: Optional[tuple] = None  # PDQ: the query's (x, y, w, h) that matched


@dataclass(frozen=True)
class CheckResult:
    """The verdict of Matcher.check on one upload."""
    verdict: str         # "match", "no_match", "low_quality", "not_image", "suppressed"
    decoded: bool
    is_video: bool
    md5: str
    sha1: str
    sha256: str
    pdq: Optional[str]   # None when the bytes did not decode
    quality: Optional[int]
    width: int
    height: int
    format: str
    decode_status: int   # lm_status of the decoding when decoded is False
    match_count: int     # total (matches holds at most 16)
    matches: List[Match] = field(default_factory=list)
    frames_hashed: int = 0
    detail: str = ""
    truncated: bool = False  # decoded, but the file ends early (a cut JPEG/PNG tail, a cut video)

    @property
    def matched(self) -> bool:
        return self.verdict == "match"


@dataclass(frozen=True)
class Entry:
    id: int
    type: str
    quality: int
    hash: str
    list: str
    label: str
    reference: str
    added: int


def _image_hash(h: "_ffi.ImageHash", dihedral: bool) -> ImageHash:
    return ImageHash(pdq=_pdq_hex(h.pdq), quality=h.quality, width=h.width, height=h.height,
                     format=_ffi.lm_format_name(h.format).decode(),
                     dihedral=[_pdq_hex(h.dihedral[i]) for i in range(8)] if dihedral else None)


class _Closing:
    """A handle used as a context manager: the with block ends in close()."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Hasher:
    def __init__(self, dihedral=False, fast=False, exif=False, max_bytes=None, max_pixels=None):
        self.h = _ffi.lm_hasher_create()
        if not self.h:
            raise NoMemory(2)
        try:
            for opt, val in ((4, int(dihedral)), (7, int(fast)), (5, int(exif)),
                             (1, max_bytes), (2, max_pixels)):
                if val is not None:
                    _raise(_ffi.lm_hasher_set_option(self.h, opt, int(val)))
        except Exception:
            _ffi.lm_hasher_destroy(self.h)
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _ffi.lm_hasher_destroy(self.h)
        self.h = None

    def error(self):
        return _ffi.lm_hasher_last_error(self.h).decode(errors="replace")


def hash_bytes(data: bytes, *, dihedral: bool = False, fast: bool = False, exif: bool = False,
               max_bytes: Optional[int] = None, max_pixels: Optional[int] = None) -> ImageHash:
    """PDQ-hash an encoded image held in memory (exact decoding unless fast=True)."""
    data = bytes(data)
    out = _ffi.ImageHash()
    with _Hasher(dihedral, fast, exif, max_bytes, max_pixels) as h:
        st = _ffi.lm_hash_memory(h.h, data, len(data), ctypes.byref(out))
        _raise(st, h.error() if st else "")
    return _image_hash(out, dihedral)


def hash_file(path, *, dihedral: bool = False, fast: bool = False, exif: bool = False,
              max_bytes: Optional[int] = None, max_pixels: Optional[int] = None) -> ImageHash:
    """PDQ-hash the image at path."""
    out = _ffi.ImageHash()
    with _Hasher(dihedral, fast, exif, max_bytes, max_pixels) as h:
        st = _ffi.lm_hash_file(h.h, os.fsencode(path), ctypes.byref(out))
        _raise(st, h.error() if st else "")
    return _image_hash(out, dihedral)


def pdq_distance(a: str, b: str) -> int:
    """Hamming distance of two hex PDQ hashes (0..256)."""
    ha, hb = _pdq_parse(a), _pdq_parse(b)
    return _ffi.lm_pdq_distance(ctypes.byref(ha), ctypes.byref(hb))


def add_image(db: str, data: bytes, *, list: Optional[str] = None, label: Optional[str] = None,
              reference: Optional[str] = None, companions: bool = True) -> int:
    """Add an image to the list at db (its reference hash plus crop companions); the new
    entry's id. Raises AlreadyExists (with .entry_id) when the list holds the hash. Not while
    this process has the list open in a Matcher."""
    opts = _add_options(list, label, reference, companions)
    data = bytes(data)
    eid = ctypes.c_uint64(0)
    err = ctypes.create_string_buffer(512)
    st = _ffi.lm_list_add_image(os.fsencode(db), data, len(data), ctypes.byref(opts),
                                ctypes.byref(eid), err, len(err))
    _raise_added(st, err.value.decode(errors="replace"), eid.value)
    return eid.value


class Matcher(_Closing):
    """A hash list opened for matching (read-only unless writable=True, which lets
    flush_hits store hit counters). Thread-safe; close() or use as a context manager."""

    def __init__(self, db: str, *, writable: bool = False):
        self._m = ctypes.c_void_p()
        err = ctypes.create_string_buffer(512)
        st = _ffi.lm_matcher_open_with(os.fsencode(db), 1 if writable else 0,
                                       ctypes.byref(self._m), err, len(err))
        _raise(st, err.value.decode(errors="replace"))

    def close(self):
        if self._m:
            _ffi.lm_matcher_close(self._m)
            self._m = ctypes.c_void_p()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _handle(self):
        if not self._m:
            raise InvalidArgument(1, "the matcher is closed")
        return self._m

    @property
    def size(self) -> int:
        """PDQ hashes in the index (entries and their companions)."""
        return _ffi.lm_matcher_size(self._handle())

    @property
    def generation(self) -> int:
        """The list generation of the snapshot in use."""
        return _ffi.lm_matcher_generation(self._handle())

    def refresh(self) -> bool:
        """Pick up list changes (a new index built beside the old; queries continue).
        True when a new snapshot was swapped in."""
        changed = ctypes.c_int(0)
        _raise(_ffi.lm_matcher_refresh(self._handle(), ctypes.byref(changed)))
        return bool(changed.value)

    def flush_hits(self) -> int:
        n = ctypes.c_size_t(0)
        _raise(_ffi.lm_matcher_flush_hits(self._handle(), ctypes.byref(n)))
        return n.value

    def entry(self, entry_id: int) -> Entry:
        info = _ffi.EntryInfo()
        _raise(_ffi.lm_matcher_entry(self._handle(), entry_id, ctypes.byref(info)))
        return Entry(info.id, _ffi.lm_hash_type_name(info.type).decode(), info.quality,
                     info.hash_hex.decode(), info.list.decode(errors="replace"),
                     info.label.decode(errors="replace"), info.reference.decode(errors="replace"),
                     info.added)

    def _options(self, max_distance, min_quality, dihedral, trim, exact, max_bytes):
        o = _ffi.CheckOptions()
        _ffi.lm_check_options_init(ctypes.byref(o))
        if max_distance is not None:
            o.max_distance = max_distance
        if min_quality is not None:
            o.min_quality = min_quality
        if dihedral is not None:
            o.dihedral = int(dihedral)
        if trim is not None:
            o.trim_borders = int(trim)
        if exact is not None:
            o.exact = int(exact)
        if max_bytes is not None:
            o.max_bytes = max_bytes
        return o

    def _match(self, mt: "_ffi.Match") -> Match:
        names = [n for bit, n in ((1, "trimmed"), (2, "companion"), (4, "region"),
                                          (8, "features"))
                 if mt.variant & bit]
        m = dict(entry_id=mt.entry_id, type=_ffi.lm_hash_type_name(mt.type).decode(),
                 distance=mt.distance, orientation=_DIHEDRAL[mt.dihedral & 7],
                 variant="+".join(names) or "plain", score=mt.score,
                 rect=(mt.rect.x, mt.rect.y, mt.rect.w, mt.rect.h) if mt.type == 1 else None,
                 region=_ffi.lm_region_name(mt.region).decode(), frame=mt.frame,
                 negative=bool(mt.flags & 1), suppressed=bool(mt.flags & 2))
        info = _ffi.EntryInfo()
        if _ffi.lm_matcher_entry(self._m, mt.entry_id, ctypes.byref(info)) == 0:
            m.update(list=info.list.decode(errors="replace"), label=info.label.decode(errors="replace"),
                     reference=info.reference.decode(errors="replace"), hash=info.hash_hex.decode())
        return Match(**m)

    def check(self, data: bytes, *, max_distance: Optional[int] = None,
              min_quality: Optional[int] = None, dihedral: Optional[bool] = None,
              trim: Optional[bool] = None, exact: Optional[bool] = None,
              max_bytes: Optional[int] = None, lists: Optional[Sequence[str]] = None) -> CheckResult:
        """Digest, decode, hash and match one upload held in memory. lists restricts the
        matches (and the verdict) to those lists."""
        data = bytes(data)
        o = self._options(max_distance, min_quality, dihedral, trim, exact, max_bytes)
        r = _ffi.CheckResult()
        r.struct_size = ctypes.sizeof(r)
        _raise(_ffi.lm_check(self._handle(), data, len(data), ctypes.byref(o), ctypes.byref(r)))
        matches = [self._match(r.matches[i]) for i in range(min(r.match_count, 16))]
        verdict = _VERDICTS.get(r.verdict, "no_match")
        count = r.match_count
        if lists is not None:
            allowed = set(lists)
            matches = [m for m in matches if m.list in allowed]
            count = len(matches)
            if any(not m.negative and not m.suppressed for m in matches):
                verdict = "match"
            elif verdict == "suppressed" and any(m.negative for m in matches):
                verdict = "suppressed"
            elif verdict in ("match", "suppressed"):
                verdict = "no_match"
        decoded = bool(r.decoded)
        return CheckResult(
            verdict=verdict, decoded=decoded, is_video=bool(r.is_video), md5=_hex(r.md5),
            sha1=_hex(r.sha1), sha256=_hex(r.sha256),
            pdq=_pdq_hex(r.image.pdq) if decoded else None,
            quality=r.image.quality if decoded else None, width=r.image.width if decoded else 0,
            height=r.image.height if decoded else 0,
            format=_ffi.lm_format_name(r.image.format).decode() if decoded else "unknown",
            decode_status=0 if decoded else r.decode_status, match_count=count, matches=matches,
            frames_hashed=r.frames_hashed, detail=r.detail.decode(errors="replace"),
            truncated=decoded and bool(r.video_truncated if r.is_video else r.image.truncated))

    def lookup_pdq(self, pdq: str, *, max_distance: Optional[int] = None, quality: int = -1,
                   limit: int = 256) -> List[Match]:
        """The entries within max_distance of a hex PDQ hash, best first."""
        h = _pdq_parse(pdq)
        o = self._options(max_distance, None, None, None, None, None)
        arr = (_ffi.Match * limit)()
        found = ctypes.c_size_t(0)
        _raise(_ffi.lm_match_pdq(self._handle(), ctypes.byref(h), quality, ctypes.byref(o), arr,
                                 limit, ctypes.byref(found)))
        return [self._match(arr[i]) for i in range(min(found.value, limit))]

    def lookup_digest(self, type: str, digest: str, *, limit: int = 256) -> List[Match]:
        """The entries holding an exact digest: type "md5", "sha1" or "sha256", hex text."""
        t = _TYPES.get(type)
        if t not in _DIGEST_LEN:
            raise InvalidArgument(1, f"digest type must be md5, sha1 or sha256, not {type!r}")
        try:
            raw = bytes.fromhex(digest)
        except ValueError:
            raise ParseError(9, "not hex") from None
        if len(raw) != _DIGEST_LEN[t]:
            raise ParseError(9, f"a {type} digest has {2 * _DIGEST_LEN[t]} hex digits")
        arr = (_ffi.Match * limit)()
        found = ctypes.c_size_t(0)
        _raise(_ffi.lm_match_digest(self._handle(), t, raw, len(raw), arr, limit,
                                    ctypes.byref(found)))
        return [self._match(arr[i]) for i in range(min(found.value, limit))]


@dataclass(frozen=True)
class ListInfo:
    id: int
    name: str
    source: str
    version: str
    created: int
    imported: int
    entries: int
    enabled: bool = True
    kind: str = "normal"
    distance: Optional[int] = None  # None: the caller's max_distance


@dataclass(frozen=True)
class ImportResult:
    format: str
    lines: int
    added: int
    duplicates: int
    bad: int
    removed: int
    updated: int
    not_found: int
    skipped: int
    bad_lines: List[tuple] = field(default_factory=list)  # (line, kind, reason), at most 100


class Database(_Closing):
    """A hash list opened for management (lm_db_*): import, add, remove, disable, list
    attributes. Open a list once per process and build matchers on it with .matcher().

        with libmatch.Database("/srv/lists/known.lmdb", create=True) as db:
            db.import_bytes(open("hotline.csv", "rb").read(), list="hotline", format="csv")
            m = db.matcher()
    """

    def __init__(self, path: str, *, write: bool = True, create: bool = False):
        if not _ffi.HAVE_DB:
            raise Unsupported(17, "this libmatch has no list API (lm_db_*)")
        self._db = ctypes.c_void_p()
        flags = 2 if create else (1 if write else 0)
        st = _ffi.lm_db_open(os.fsencode(path), flags, ctypes.byref(self._db))
        if st != 0:
            detail = _ffi.lm_db_last_error(self._db).decode(errors="replace") if self._db else ""
            if self._db:
                _ffi.lm_db_close(self._db)
            self._db = ctypes.c_void_p()
            _raise(st, detail)
        self._matchers = []

    def close(self):
        for m in self._matchers:
            m.close()
        self._matchers = []
        if self._db:
            _ffi.lm_db_close(self._db)
            self._db = ctypes.c_void_p()

    def _h(self):
        if not self._db:
            raise InvalidArgument(1, "the database is closed")
        return self._db

    def _check(self, st, entry_id=None):
        """Raise for a failed call (AlreadyExists with .entry_id when one is given)."""
        if st != 0:
            _raise_added(st, _ffi.lm_db_last_error(self._db).decode(errors="replace"), entry_id)

    @property
    def generation(self) -> int:
        g = ctypes.c_uint64(0)
        self._check(_ffi.lm_db_generation(self._h(), ctypes.byref(g)))
        return g.value

    def matcher(self, *, writable: bool = False) -> "Matcher":
        """A Matcher on this handle (closed with the Database)."""
        m = Matcher.__new__(Matcher)
        m._m = ctypes.c_void_p()
        self._check(_ffi.lm_matcher_open_db(self._h(), 1 if writable else 0, ctypes.byref(m._m)))
        self._matchers.append(m)
        return m

    def import_bytes(self, data: bytes, *, list: Optional[str] = None, format: str = "auto",
                     type: Optional[str] = None, source: Optional[str] = None,
                     version: Optional[str] = None, skip_bad: bool = False,
                     replace: bool = False) -> ImportResult:
        """Import a list held in memory in one transaction (all or nothing unless skip_bad)."""
        o = _ffi.DbImportOpts()
        _ffi.lm_db_import_opts_init(ctypes.byref(o))
        fmt = ctypes.c_int(0)
        if _ffi.lm_db_format_parse(format.encode(), ctypes.byref(fmt)) != 0:
            raise InvalidArgument(1, f"unknown format {format!r}")
        o.format = fmt.value
        if type is not None:
            t = ctypes.c_int(0)
            if _ffi.lm_hash_type_parse(type.encode(), ctypes.byref(t)) != 0:
                raise InvalidArgument(1, f"unknown hash type {type!r}")
            o.type = t.value
        keep = [x.encode() if x is not None else None for x in (list, source, version)]
        o.list, o.source, o.version = keep
        o.skip_bad, o.replace = int(skip_bad), int(replace)
        bad = []

        def on_line(ctx, line, kind, reason):
            if len(bad) < 100:
                bad.append((line, kind, reason.decode(errors="replace") if reason else ""))
        cb = _ffi.LINE_FN(on_line)
        o.on_line = cb
        r = _ffi.DbImportResult()
        r.struct_size = ctypes.sizeof(r)
        data = bytes(data)
        st = _ffi.lm_db_import_memory(self._h(), data, len(data), ctypes.byref(o), ctypes.byref(r))
        if st != 0:
            try:
                self._check(st)
            except LibmatchError as e:
                e.bad_lines = bad
                raise
        return ImportResult(_ffi.lm_db_format_name(r.format).decode(), r.lines, r.added,
                            r.duplicates, r.bad, r.removed, r.updated, r.not_found, r.skipped, bad)

    def add_hash(self, hash: str, *, type: Optional[str] = None, quality: int = -1,
                 list: Optional[str] = None, label: Optional[str] = None,
                 reference: Optional[str] = None) -> int:
        """Add one hash (hex; type by length unless given); the entry id. AlreadyExists
        carries .entry_id of the entry holding it."""
        t = 0
        if type is not None:
            tt = ctypes.c_int(0)
            if _ffi.lm_hash_type_parse(type.encode(), ctypes.byref(tt)) != 0:
                raise InvalidArgument(1, f"unknown hash type {type!r}")
            t = tt.value
        o = _add_options(list, label, reference)
        raw = hash.encode()
        eid = ctypes.c_uint64(0)
        st = _ffi.lm_db_add_hash(self._h(), raw, len(raw), t, quality, ctypes.byref(o),
                                 ctypes.byref(eid))
        self._check(st, eid.value)
        return eid.value

    def add_image(self, data: bytes, *, list: Optional[str] = None, label: Optional[str] = None,
                  reference: Optional[str] = None, companions: bool = True) -> int:
        o = _add_options(list, label, reference, companions)
        data = bytes(data)
        eid = ctypes.c_uint64(0)
        st = _ffi.lm_db_add_image(self._h(), data, len(data), ctypes.byref(o), ctypes.byref(eid))
        self._check(st, eid.value)
        return eid.value

    def remove(self, entry_id: int):
        self._check(_ffi.lm_db_remove(self._h(), entry_id))

    def set_disabled(self, ids: Sequence[int], disabled: bool = True) -> int:
        arr = (ctypes.c_uint64 * len(ids))(*ids)
        n = ctypes.c_size_t(0)
        self._check(_ffi.lm_db_set_disabled(self._h(), arr, len(ids), int(disabled), ctypes.byref(n)))
        return n.value

    def entry(self, entry_id: int) -> Entry:
        info = _ffi.EntryInfo()
        self._check(_ffi.lm_db_entry(self._h(), entry_id, ctypes.byref(info), None))
        return Entry(info.id, _ffi.lm_hash_type_name(info.type).decode(), info.quality,
                     info.hash_hex.decode(), info.list.decode(errors="replace"),
                     info.label.decode(errors="replace"), info.reference.decode(errors="replace"),
                     info.added)

    def lists(self) -> List[ListInfo]:
        n = ctypes.c_size_t(0)
        self._check(_ffi.lm_db_lists(self._h(), None, 0, ctypes.byref(n)))
        arr = (_ffi.DbListInfo * max(n.value, 1))()
        got = ctypes.c_size_t(0)
        self._check(_ffi.lm_db_lists(self._h(), arr, n.value, ctypes.byref(got)))
        out = []
        for i in range(min(got.value, n.value)):
            li = arr[i]
            a = _ffi.DbListAttrs()
            have = _ffi.lm_db_get_list_attrs(self._h(), li.id, ctypes.byref(a)) == 0
            out.append(ListInfo(li.id, li.name.decode(errors="replace"),
                                li.source.decode(errors="replace"),
                                li.version.decode(errors="replace"), li.created, li.imported,
                                li.entries, bool(a.enabled) if have else True,
                                ("normal", "negative")[a.kind] if have and a.kind in (0, 1) else "normal",
                                a.distance if have and a.distance >= 0 else None))
        return out

    def set_list(self, name: str, *, enabled: Optional[bool] = None, distance="keep",
                 kind: Optional[str] = None):
        """Change a list's rules: enabled, distance (an int, or None for the caller's),
        kind ("normal" or "negative")."""
        a = _ffi.DbListAttrs()
        which = 0
        if enabled is not None:
            a.enabled, which = int(enabled), which | 2
        if distance != "keep":
            a.distance, which = (-1 if distance is None else int(distance)), which | 1
        if kind is not None:
            if kind not in ("normal", "negative"):
                raise InvalidArgument(1, "kind: normal or negative")
            a.kind, which = (0 if kind == "normal" else 1), which | 4
        self._check(_ffi.lm_db_set_list_attrs(self._h(), name.encode(), ctypes.byref(a), which))
