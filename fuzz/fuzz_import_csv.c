/* libFuzzer harness: hash-list import, format csv. */
#define FUZZ_IMPORT_FORMAT LM_DB_FORMAT_CSV
#include "fuzz_import.h"
