/* libFuzzer harness: hash-list import, format pdq_csv. */
#define FUZZ_IMPORT_FORMAT LM_DB_FORMAT_PDQ_CSV
#include "fuzz_import.h"
