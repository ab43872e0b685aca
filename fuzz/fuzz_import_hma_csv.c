/* libFuzzer harness: hash-list import, format hma-csv. */
#define FUZZ_IMPORT_FORMAT LM_DB_FORMAT_HMA_CSV
#include "fuzz_import.h"
