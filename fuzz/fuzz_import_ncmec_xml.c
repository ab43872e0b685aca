/* libFuzzer harness: hash-list import, format ncmec-xml. */
#define FUZZ_IMPORT_FORMAT LM_DB_FORMAT_NCMEC_XML
#include "fuzz_import.h"
