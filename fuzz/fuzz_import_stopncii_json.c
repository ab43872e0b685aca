/* libFuzzer harness: hash-list import, format stopncii-json. */
#define FUZZ_IMPORT_FORMAT LM_DB_FORMAT_STOPNCII_JSON
#include "fuzz_import.h"
