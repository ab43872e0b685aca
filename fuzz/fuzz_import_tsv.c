/* libFuzzer harness: hash-list import, format tsv. */
#define FUZZ_IMPORT_FORMAT LM_DB_FORMAT_TSV
#include "fuzz_import.h"
