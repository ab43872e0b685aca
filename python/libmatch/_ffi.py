"""The C ABI of libmatch.h as ctypes declarations. Layouts mirror the public
structs field by field; tests/test_libmatch.py checks every size against the C
compiler's (python-abi-sizes) so a header change cannot go unnoticed."""
import ctypes
import ctypes.util
import os

c_int, c_uint, c_uint32, c_uint64, c_int64 = (ctypes.c_int, ctypes.c_uint, ctypes.c_uint32,
                                                ctypes.c_uint64, ctypes.c_int64)
c_size_t, c_double, c_char_p, c_void_p = ctypes.c_size_t, ctypes.c_double, ctypes.c_char_p, ctypes.c_void_p

LM_CHECK_MAX_MATCHES = 16
LM_CHECK_MAX_REGIONS = 8


class PdqHash(ctypes.Structure):
    _fields_ = [("b", ctypes.c_uint8 * 32)]


class ImageHash(ctypes.Structure):
    _fields_ = [("pdq", PdqHash), ("quality", c_int), ("dihedral", PdqHash * 8),
                ("width", c_uint32), ("height", c_uint32), ("format", c_int),
                ("truncated", c_int)]


class Rect(ctypes.Structure):
    _fields_ = [("x", c_uint32), ("y", c_uint32), ("w", c_uint32), ("h", c_uint32)]


class Match(ctypes.Structure):
    _fields_ = [("entry_id", c_uint64), ("type", c_int), ("distance", c_int), ("dihedral", c_int),
                ("flags", c_int), ("frame", c_int64), ("query_percent", c_double),
                ("stored_percent", c_double), ("variant", c_int), ("region", c_int),
                ("score", c_int), ("rect", Rect)]


class QueryRegion(ctypes.Structure):
    _fields_ = [("rect", Rect), ("kind", c_int), ("hash", ImageHash)]


class CheckResult(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("verdict", c_int), ("decoded", c_int), ("is_video", c_int),
                ("frames_hashed", c_size_t), ("decode_status", c_int), ("image", ImageHash),
                ("has_trimmed", c_int), ("trimmed", ImageHash), ("md5", ctypes.c_uint8 * 16),
                ("sha1", ctypes.c_uint8 * 20), ("sha256", ctypes.c_uint8 * 32),
                ("match_count", c_size_t), ("matches", Match * LM_CHECK_MAX_MATCHES),
                ("detail", ctypes.c_char * 256), ("trimmed_rect", Rect),
                ("region_count", c_size_t), ("regions", QueryRegion * LM_CHECK_MAX_REGIONS),
                ("video_truncated", c_int)]


class CheckOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("max_distance", c_int), ("min_quality", c_int),
                ("dihedral", c_int), ("max_bytes", c_uint64), ("max_pixels", c_uint64),
                ("exact", c_int), ("video_sampling", c_int), ("video_interval_ms", c_int),
                ("video_query_threshold", c_double), ("video_stored_threshold", c_double),
                ("trim_borders", c_int), ("features", c_int), ("regions", c_int)]


class EntryInfo(ctypes.Structure):
    _fields_ = [("id", c_uint64), ("type", c_int), ("quality", c_int),
                ("hash_hex", ctypes.c_char * 65), ("list", ctypes.c_char * 64),
                ("label", ctypes.c_char * 128), ("reference", ctypes.c_char * 256),
                ("added", c_int64)]


class ListAddOptions(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("list", c_char_p), ("label", c_char_p),
                ("reference", c_char_p), ("companions", c_int), ("max_bytes", c_uint64),
                ("max_pixels", c_uint64), ("features", c_int)]


STRUCTS = {"lm_pdq_hash": PdqHash, "lm_image_hash": ImageHash, "lm_match": Match,
           "lm_check_result": CheckResult, "lm_check_options": CheckOptions,
           "lm_entry_info": EntryInfo, "lm_list_add_options": ListAddOptions}


def _load():
    path = os.environ.get("LIBMATCH_LIBRARY")
    candidates = [path] if path else []
    found = ctypes.util.find_library("match")
    if found:
        candidates.append(found)
    candidates += ["libmatch.so.0", "/usr/local/lib/libmatch.so.0",
                   "/usr/local/lib/x86_64-linux-gnu/libmatch.so.0"]
    errors = []
    for c in candidates:
        try:
            return ctypes.CDLL(c)
        except OSError as e:
            errors.append(f"{c}: {e}")
    raise OSError("libmatch shared library not found (set LIBMATCH_LIBRARY): " + "; ".join(errors))


lib = _load()
P = ctypes.POINTER


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


lm_strerror = _fn("lm_strerror", c_char_p, c_int)
lm_version = _fn("lm_version", c_char_p)
lm_version_number = _fn("lm_version_number", c_uint)
lm_pdq_from_hex = _fn("lm_pdq_from_hex", c_int, c_char_p, c_size_t, P(PdqHash))
lm_pdq_to_hex = _fn("lm_pdq_to_hex", None, P(PdqHash), ctypes.c_char * 65)
lm_pdq_distance = _fn("lm_pdq_distance", c_int, P(PdqHash), P(PdqHash))
lm_format_name = _fn("lm_format_name", c_char_p, c_int)
lm_hash_type_name = _fn("lm_hash_type_name", c_char_p, c_int)
lm_region_name = _fn("lm_region_name", c_char_p, c_int)
lm_hasher_create = _fn("lm_hasher_create", c_void_p)
lm_hasher_destroy = _fn("lm_hasher_destroy", None, c_void_p)
lm_hasher_set_option = _fn("lm_hasher_set_option", c_int, c_void_p, c_int, c_int64)
lm_hasher_last_error = _fn("lm_hasher_last_error", c_char_p, c_void_p)
lm_hash_memory = _fn("lm_hash_memory", c_int, c_void_p, c_char_p, c_size_t, P(ImageHash))
lm_hash_file = _fn("lm_hash_file", c_int, c_void_p, c_char_p, P(ImageHash))
lm_matcher_open_with = _fn("lm_matcher_open_with", c_int, c_char_p, c_uint, P(c_void_p), c_char_p,
                           c_size_t)
lm_matcher_close = _fn("lm_matcher_close", None, c_void_p)
lm_matcher_size = _fn("lm_matcher_size", c_size_t, c_void_p)
lm_matcher_generation = _fn("lm_matcher_generation", c_uint64, c_void_p)
lm_matcher_refresh = _fn("lm_matcher_refresh", c_int, c_void_p, P(c_int))
lm_matcher_flush_hits = _fn("lm_matcher_flush_hits", c_int, c_void_p, P(c_size_t))
lm_check_options_init = _fn("lm_check_options_init", None, P(CheckOptions))
lm_check = _fn("lm_check", c_int, c_void_p, c_char_p, c_size_t, P(CheckOptions), P(CheckResult))
lm_match_pdq = _fn("lm_match_pdq", c_int, c_void_p, P(PdqHash), c_int, P(CheckOptions), P(Match),
                   c_size_t, P(c_size_t))
lm_match_digest = _fn("lm_match_digest", c_int, c_void_p, c_int, c_char_p, c_size_t, P(Match),
                      c_size_t, P(c_size_t))
lm_matcher_entry = _fn("lm_matcher_entry", c_int, c_void_p, c_uint64, P(EntryInfo))
lm_list_add_options_init = _fn("lm_list_add_options_init", None, P(ListAddOptions))
lm_list_add_image = _fn("lm_list_add_image", c_int, c_char_p, c_char_p, c_size_t,
                        P(ListAddOptions), P(c_uint64), c_char_p, c_size_t)


# ---- the list API (lm_db_*), when the library has it ---------------------------------------
LINE_FN = ctypes.CFUNCTYPE(None, c_void_p, c_uint64, c_int, c_char_p)


class DbImportOpts(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("format", c_int), ("type", c_int), ("list", c_char_p),
                ("source", c_char_p), ("version", c_char_p), ("skip_bad", c_int),
                ("replace", c_int), ("on_line", LINE_FN), ("ctx", c_void_p), ("label", c_char_p),
                ("reference", c_char_p), ("name", c_char_p)]


class DbImportResult(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("format", c_int), ("lines", c_uint64),
                ("added", c_uint64), ("duplicates", c_uint64), ("bad", c_uint64),
                ("removed", c_uint64), ("list_id", c_uint32), ("updated", c_uint64),
                ("not_found", c_uint64), ("skipped", c_uint64)]


class DbListInfo(ctypes.Structure):
    _fields_ = [("id", c_uint32), ("name", ctypes.c_char * 64), ("source", ctypes.c_char * 256),
                ("version", ctypes.c_char * 64), ("created", c_int64), ("imported", c_int64),
                ("entries", c_uint64)]


class DbListAttrs(ctypes.Structure):
    _fields_ = [("list_id", c_uint32), ("distance", c_int), ("enabled", c_int), ("kind", c_int)]


HAVE_DB = hasattr(lib, "lm_db_open")
if HAVE_DB:
    STRUCTS.update({"lm_db_import_opts": DbImportOpts, "lm_db_import_result": DbImportResult,
                    "lm_db_list_info": DbListInfo, "lm_db_list_attrs": DbListAttrs})
    lm_db_open = _fn("lm_db_open", c_int, c_char_p, c_uint, P(c_void_p))
    lm_db_close = _fn("lm_db_close", None, c_void_p)
    lm_db_last_error = _fn("lm_db_last_error", c_char_p, c_void_p)
    lm_db_last_hint = _fn("lm_db_last_hint", c_int, c_void_p)
    lm_db_generation = _fn("lm_db_generation", c_int, c_void_p, P(c_uint64))
    lm_db_format_parse = _fn("lm_db_format_parse", c_int, c_char_p, P(c_int))
    lm_db_format_name = _fn("lm_db_format_name", c_char_p, c_int)
    lm_hash_type_parse = _fn("lm_hash_type_parse", c_int, c_char_p, P(c_int))
    lm_db_import_opts_init = _fn("lm_db_import_opts_init", None, P(DbImportOpts))
    lm_db_import_memory = _fn("lm_db_import_memory", c_int, c_void_p, c_char_p, c_size_t,
                              P(DbImportOpts), P(DbImportResult))
    lm_db_add_hash = _fn("lm_db_add_hash", c_int, c_void_p, c_char_p, c_size_t, c_int, c_int,
                         P(ListAddOptions), P(c_uint64))
    lm_db_add_image = _fn("lm_db_add_image", c_int, c_void_p, c_char_p, c_size_t,
                          P(ListAddOptions), P(c_uint64))
    lm_db_remove = _fn("lm_db_remove", c_int, c_void_p, c_uint64)
    lm_db_entry = _fn("lm_db_entry", c_int, c_void_p, c_uint64, P(EntryInfo), P(c_size_t))
    lm_db_set_disabled = _fn("lm_db_set_disabled", c_int, c_void_p, P(c_uint64), c_size_t, c_int,
                             P(c_size_t))
    lm_db_lists = _fn("lm_db_lists", c_int, c_void_p, P(DbListInfo), c_size_t, P(c_size_t))
    lm_db_set_list_attrs = _fn("lm_db_set_list_attrs", c_int, c_void_p, c_char_p, P(DbListAttrs),
                               c_uint)
    lm_db_get_list_attrs = _fn("lm_db_get_list_attrs", c_int, c_void_p, c_uint32, P(DbListAttrs))
    lm_matcher_open_db = _fn("lm_matcher_open_db", c_int, c_void_p, c_uint, P(c_void_p))
