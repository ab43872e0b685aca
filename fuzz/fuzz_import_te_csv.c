/* libFuzzer harness: hash-list import, format te-csv. */
#define FUZZ_IMPORT_FORMAT LM_DB_FORMAT_TE_CSV
#include "fuzz_import.h"
