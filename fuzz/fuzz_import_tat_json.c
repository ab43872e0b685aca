/* libFuzzer harness: hash-list import, format tat-json. */
#define FUZZ_IMPORT_FORMAT LM_DB_FORMAT_TAT_JSON
#include "fuzz_import.h"
