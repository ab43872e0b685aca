"""libmatch as the PDQ hasher of python-threatexchange (and so of HMA's hashing step).

python-threatexchange's PdqSignal hashes with Meta's pdqhash wheel; this subclass hashes
with libmatch instead (bit-identical PDQ, faster decoders, limits on hostile input) and
keeps PdqSignal's matching, index and name, so HMA and `threatexchange` configurations
can switch by listing LibmatchPdqSignal where they list PdqSignal:

    from threatexchange_signal import LibmatchPdqSignal
    SIGNAL_TYPES = [LibmatchPdqSignal, VideoMD5Signal]

Without python-threatexchange installed the class still works on its own
(hash_from_bytes, hash_from_file, compare_hash), which is what the test below uses.
"""
import pathlib

import libmatch

try:  # python-threatexchange is optional
    from threatexchange.signal_type.pdq.signal import PdqSignal as _Base
except ImportError:  # pragma: no cover - depends on the environment
    class _Base:
        @classmethod
        def get_name(cls):
            return "pdq"

PDQ_MATCH_DISTANCE = 31


class LibmatchPdqSignal(_Base):
    """PdqSignal whose hashes come from libmatch."""

    @classmethod
    def hash_from_bytes(cls, bytes_: bytes) -> str:
        return libmatch.hash_bytes(bytes_).pdq

    @classmethod
    def hash_from_file(cls, path: pathlib.Path) -> str:
        return libmatch.hash_file(str(path)).pdq

    @classmethod
    def compare_hash(cls, hash1: str, hash2: str, pdq_dist_threshold: int = PDQ_MATCH_DISTANCE):
        d = libmatch.pdq_distance(hash1, hash2)
        try:
            from threatexchange.signal_type.signal_base import SignalComparisonResult
            return SignalComparisonResult.from_dist(d, pdq_dist_threshold)
        except ImportError:
            return d <= pdq_dist_threshold, d


if __name__ == "__main__":
    import sys
    for p in sys.argv[1:]:
        print(LibmatchPdqSignal.get_name(), LibmatchPdqSignal.hash_from_file(pathlib.Path(p)), p)
