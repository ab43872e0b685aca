/* libFuzzer harness: hash-list import, format hex. */
#define FUZZ_IMPORT_FORMAT LM_DB_FORMAT_HEX
#include "fuzz_import.h"
