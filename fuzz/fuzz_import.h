/*
 * Shared body of the import harnesses: lm_hashdb_import_memory in one format
 * (FUZZ_IMPORT_FORMAT) into a scratch database made once per process under
 * /tmp (replace=1 keeps it from growing); removed at exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "hashdb.h"

static char fuzz_db_dir[] = "/tmp/lm-fuzz-import-XXXXXX";
static lm_hashdb *fuzz_db;

static void fuzz_db_cleanup(void)
{
    lm_hashdb_close(fuzz_db);
    fuzz_db = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_db_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", fuzz_db_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_db) {
        char path[128];
        if (!mkdtemp(fuzz_db_dir))
            abort();
        snprintf(path, sizeof path, "%s/db", fuzz_db_dir);
        if (lm_hashdb_init(path, NULL, 0) != LM_OK ||
            lm_hashdb_open(path, LM_DB_WRITE, &fuzz_db, NULL, 0) != LM_OK)
            abort();
        atexit(fuzz_db_cleanup);
    }
    if (size > (1u << 20))
        return 0;
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    o.format = FUZZ_IMPORT_FORMAT;
    o.list = "fuzz";
    o.replace = 1;
    o.skip_bad = size && (data[0] & 1);
    lm_db_import_result r;
    memset(&r, 0, sizeof r);
    (void)lm_hashdb_import_memory(fuzz_db, (const char *)data, size, &o, &r);
    return 0;
}
