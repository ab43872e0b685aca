/* libFuzzer harness: hash-list import, format vpdq. */
#define FUZZ_IMPORT_FORMAT LM_DB_FORMAT_VPDQ
#include "fuzz_import.h"
