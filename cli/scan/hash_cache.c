/* pmatch scan --hash-cache: the LMDB cache of computed hashes (see hash_cache.h). */
#include "hash_cache.h"

#include <errno.h>
#include <stddef.h>
#include <lmdb.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CACHE_MAGIC 0x43484d50u /* "PMHC" */
/* 2: the trimmed hash; 3: its rectangle and the region proposals; 4: image.truncated (format 3
 * caches hold 0 there for truncated files: they are dropped on open, see hash_cache_open). */
#define CACHE_VERSION 4u
/* Records end after their region proposals: most images have none. */
#define CACHE_FIXED offsetof(cache_record, regions)
#define CACHE_MAP_SIZE (64ull << 30) /* address space only: the file grows as needed */

struct hash_cache {
    MDB_env *env;
    MDB_dbi dbi;
    char dir[4096];
    int write_failed; /* warn once, then stop writing */
};

/* What changes the hashes of the same bytes: they are reused only under the same settings. */
static uint32_t cache_settings(const lm_check_options *o)
{
    return (uint32_t)(o->exact ? 1 : 0) | (uint32_t)(o->dihedral ? 2 : 0) |
           (uint32_t)(o->trim_borders ? 4 : 0) | (uint32_t)(o->regions ? 8 : 0);
}

static int env_open(const char *dir, MDB_env **env, MDB_dbi *dbi, int readonly)
{
    int rc = mdb_env_create(env);
    if (rc)
        return rc;
    if ((rc = mdb_env_set_mapsize(*env, CACHE_MAP_SIZE)) ||
        (rc = mdb_env_open(*env, dir, (readonly ? MDB_RDONLY : 0) | MDB_NOTLS, 0644))) {
        mdb_env_close(*env);
        *env = NULL;
        return rc;
    }
    MDB_txn *txn;
    if ((rc = mdb_txn_begin(*env, NULL, readonly ? MDB_RDONLY : 0, &txn)) == 0) {
        rc = mdb_dbi_open(txn, NULL, 0, dbi);
        rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
    }
    if (rc) {
        mdb_env_close(*env);
        *env = NULL;
    }
    return rc;
}

/*
 * Read every record in a child process: LMDB trusts its pages and may crash or
 * loop on a damaged file, so the check must not take the scan down with it.
 * Returns 0 when the cache reads cleanly (or does not exist yet), 1 when it
 * reads cleanly but holds records of another format (CACHE_VERSION; their size
 * may differ from this build's), -1 when it is damaged.
 */
static int check_in_child(const char *dir)
{
    char data[4200];
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    if (access(data, F_OK) != 0)
        return 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return 0; /* cannot check: trust it */
    if (pid == 0) {
        alarm(120); /* a loop in damaged pages ends here */
        MDB_env *env;
        MDB_dbi dbi;
        if (env_open(dir, &env, &dbi, 1))
            _exit(3);
        MDB_txn *txn;
        MDB_cursor *cur;
        MDB_val k, v;
        if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) || mdb_cursor_open(txn, dbi, &cur))
            _exit(3);
        int rc, other = 0;
        while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
            uint32_t head[2];
            if (v.mv_size >= sizeof head) {
                memcpy(head, v.mv_data, sizeof head);
                if (head[0] == CACHE_MAGIC && head[1] != CACHE_VERSION) {
                    other = 1; /* an older (or newer) build's record: any size */
                    continue;
                }
            }
            if (v.mv_size < CACHE_FIXED || v.mv_size > sizeof(cache_record))
                _exit(4);
        }
        _exit(rc != MDB_NOTFOUND ? 3 : other ? 5 : 0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 5)
        return 1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Empty the cache (records of another format): they are never read, so drop them all. */
static int drop_all(MDB_env *env, MDB_dbi dbi)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_drop(txn, dbi, 0)) != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    return mdb_txn_commit(txn);
}

hash_cache *hash_cache_open(const char *dir, const lm_check_options *check)
{
    (void)check;
    hash_cache *c = calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "pmatch scan: warning: out of memory: scanning without the hash cache\n");
        return NULL;
    }
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "pmatch scan: warning: hash cache %s: %s: scanning without it\n", dir,
                strerror(errno));
        free(c);
        return NULL;
    }
    int rc = -1, state = check_in_child(dir);
    if (state >= 0)
        rc = env_open(dir, &c->env, &c->dbi, 0);
    if (rc == 0 && state == 1) {
        /* Written by a build with another record format: not damage, but nothing in it may be
         * reused (a format 3 record lacks image.truncated). Emptied, then filled again. */
        fprintf(stderr,
                "pmatch scan: note: hash cache %s was written in another format: "
                "rebuilding it (format %u)\n",
                dir, CACHE_VERSION);
        if ((rc = drop_all(c->env, c->dbi)) != 0) {
            mdb_env_close(c->env);
            c->env = NULL;
        }
    }
    if (rc) {
        fprintf(stderr,
                "pmatch scan: warning: hash cache %s is damaged or unreadable: "
                "rebuilding it\n",
                dir);
        char p[4200];
        snprintf(p, sizeof p, "%s/data.mdb", dir);
        unlink(p);
        snprintf(p, sizeof p, "%s/lock.mdb", dir);
        unlink(p);
        rc = env_open(dir, &c->env, &c->dbi, 0);
    }
    if (rc) {
        fprintf(stderr, "pmatch scan: warning: hash cache %s: %s: scanning without it\n", dir,
                mdb_strerror(rc));
        free(c);
        return NULL;
    }
    return c;
}

void hash_cache_close(hash_cache *c)
{
    if (!c)
        return;
    mdb_env_close(c->env);
    free(c);
}

/*
 * Key: the decode mode (exact and fast decoding give different hashes, so both
 * may be kept) then the path. 0 when the path is too long for an LMDB key.
 */
static int make_key(const hash_cache *c, const lm_check_options *o, const char *path, char *buf,
                    size_t cap, MDB_val *k)
{
    size_t n = strlen(path);
    if (n == 0 || n + 1 > (size_t)mdb_env_get_maxkeysize(c->env) || n + 1 > cap)
        return 0;
    buf[0] = o->exact ? 'X' : 'F';
    memcpy(buf + 1, path, n);
    k->mv_size = n + 1;
    k->mv_data = buf;
    return 1;
}

void hash_cache_lookup(hash_cache *c, const lm_check_options *o, item_result *items, int n)
{
    MDB_txn *txn;
    char key[4200];
    if (!c || n == 0 || mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn) != 0)
        return;
    for (int i = 0; i < n; i++) {
        cache_slot *s = items[i].cache;
        MDB_val k, v;
        if (!s || !make_key(c, o, items[i].path, key, sizeof key, &k))
            continue;
        if (mdb_get(txn, c->dbi, &k, &v) == 0 && v.mv_size >= CACHE_FIXED &&
            v.mv_size <= sizeof s->rec) {
            memset(&s->rec, 0, sizeof s->rec);
            memcpy(&s->rec, v.mv_data, v.mv_size);
            s->found =
                s->rec.magic == CACHE_MAGIC && s->rec.version == CACHE_VERSION &&
                s->rec.region_count >= 0 && s->rec.region_count <= LM_CHECK_MAX_REGIONS &&
                v.mv_size == CACHE_FIXED + (size_t)s->rec.region_count * sizeof s->rec.regions[0];
        }
    }
    mdb_txn_abort(txn);
}

int hash_cache_reuse(const lm_matcher *m, const scan_config *cfg, const struct stat *st,
                     const uint8_t *data, size_t len, item_result *r)
{
    cache_slot *s = r->cache;
    if (!s || !s->found)
        return 0;
    const cache_record *rec = &s->rec;
    if (rec->size != (uint64_t)st->st_size || rec->size != len ||
        rec->mtime_sec != (int64_t)st->st_mtim.tv_sec ||
        rec->mtime_nsec != (int64_t)st->st_mtim.tv_nsec ||
        (rec->settings & 1) != (cache_settings(&cfg->check) & 1) ||
        (cfg->check.dihedral && !(rec->settings & 2)) ||
        (cfg->check.trim_borders && !(rec->settings & 4)) ||
        (cfg->check.regions && !(rec->settings & 8)) || rec->max_pixels != cfg->check.max_pixels ||
        (cfg->check.features && lm_matcher_feature_entries(m) > 0))
        return 0; /* hashes made with dihedral or trimming also serve scans without them; local
                     features are not cached: a list that has some decodes again */
    uint8_t sha[32];
    unsigned int shalen = 0;
    if (!EVP_Digest(data, len, sha, &shalen, EVP_sha256(), NULL) || shalen != 32 ||
        memcmp(sha, rec->sha256, 32) != 0)
        return 0; /* same size and time, other bytes: decode again */
    lm_check_result h;
    memset(&h, 0, sizeof h);
    h.struct_size = sizeof h;
    h.decoded = rec->decoded;
    h.decode_status = (lm_status)rec->decode_status;
    h.image = rec->image;
    h.has_trimmed = rec->has_trimmed;
    h.trimmed = rec->trimmed;
    h.trimmed_rect = rec->trimmed_rect;
    h.region_count = (size_t)rec->region_count;
    memcpy(h.regions, rec->regions, h.region_count * sizeof h.regions[0]);
    memcpy(h.md5, rec->md5, 16);
    memcpy(h.sha1, rec->sha1, 20);
    memcpy(h.sha256, rec->sha256, 32);
    memcpy(h.detail, rec->detail, sizeof h.detail);
    h.detail[sizeof h.detail - 1] = '\0';
    r->check.struct_size = sizeof r->check;
    if (lm_check_hashes(m, &h, &cfg->check, &r->check) != LM_OK)
        return 0;
    r->size = len;
    s->hit = 1;
    return 1;
}

void hash_cache_remember(const scan_config *cfg, const struct stat *st, item_result *r)
{
    cache_slot *s = r->cache;
    if (!s || r->failed || r->check.is_video)
        return;
    cache_record *f = &s->fresh;
    memset(f, 0, sizeof *f);
    f->magic = CACHE_MAGIC;
    f->version = CACHE_VERSION;
    f->settings = cache_settings(&cfg->check);
    f->max_pixels = cfg->check.max_pixels;
    f->decoded = r->check.decoded;
    f->decode_status = r->check.decode_status;
    f->size = (uint64_t)st->st_size;
    f->mtime_sec = (int64_t)st->st_mtim.tv_sec;
    f->mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
    memcpy(f->sha256, r->check.sha256, 32);
    memcpy(f->md5, r->check.md5, 16);
    memcpy(f->sha1, r->check.sha1, 20);
    f->image = r->check.image;
    f->has_trimmed = r->check.has_trimmed;
    f->trimmed = r->check.trimmed;
    f->trimmed_rect = r->check.trimmed_rect;
    f->region_count =
        (int32_t)(r->check.region_count <= LM_CHECK_MAX_REGIONS ? r->check.region_count : 0);
    memcpy(f->regions, r->check.regions, (size_t)f->region_count * sizeof f->regions[0]);
    memcpy(f->detail, r->check.detail, sizeof f->detail);
    s->store = 1;
}

void hash_cache_store(hash_cache *c, const lm_check_options *o, item_result *items, int n)
{
    char key[4200];
    if (!c || c->write_failed)
        return;
    int any = 0;
    for (int i = 0; i < n; i++)
        any |= items[i].cache && items[i].cache->store;
    if (!any)
        return;
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(c->env, NULL, 0, &txn);
    for (int i = 0; rc == 0 && i < n; i++) {
        cache_slot *s = items[i].cache;
        MDB_val k;
        if (!s || !s->store || !make_key(c, o, items[i].path, key, sizeof key, &k))
            continue;
        MDB_val v = {CACHE_FIXED + (size_t)s->fresh.region_count * sizeof s->fresh.regions[0],
                     &s->fresh};
        rc = mdb_put(txn, c->dbi, &k, &v, 0);
    }
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);
    if (rc) {
        c->write_failed = 1;
        fprintf(stderr, "pmatch scan: warning: hash cache %s: %s: no longer updating it\n", c->dir,
                mdb_strerror(rc));
    }
}
