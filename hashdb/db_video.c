/*
 * Video entries (LM_HASH_VPDQ): an entries row whose hash is the SHA-256 of the
 * video's frame record, and the frame record itself in the 'vframes' table.
 * The digest makes a second import of the same frame list a duplicate through
 * the ordinary hash index; the frame record is what the matcher loads.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db_pages.h"
#include "hashdb_internal.h"

void db_video_encode(const lm_db_frame *frames, size_t count, uint8_t *buf)
{
    buf[0] = 1;
    buf[1] = buf[2] = buf[3] = 0;
    db_put_le(buf + 4, count, 4);
    uint8_t *p = buf + DB_VFRAME_HDR;
    for (size_t i = 0; i < count; i++, p += DB_VFRAME_REC) {
        memcpy(p, frames[i].hash.b, 32);
        p[32] = (uint8_t)frames[i].quality;
        db_put_le(p + 33, frames[i].frame, 4);
        db_put_le(p + 37, frames[i].ts_ms, 4);
    }
}

int db_video_check(const uint8_t *val, size_t len, size_t *count, const char **why)
{
    if (len < DB_VFRAME_HDR || val[0] != 1 || val[1] || val[2] || val[3]) {
        *why = "video frame record has a bad header";
        return -1;
    }
    uint64_t n = db_get_le(val + 4, 4);
    if (n == 0 || n > LM_DB_MAX_VIDEO_FRAMES || len != DB_VFRAME_HDR + n * DB_VFRAME_REC) {
        *why = "video frame record has an impossible frame count or size";
        return -1;
    }
    for (uint64_t i = 0; i < n; i++)
        if (val[DB_VFRAME_HDR + i * DB_VFRAME_REC + 32] > 100) {
            *why = "video frame has a quality above 100";
            return -1;
        }
    *count = (size_t)n;
    return 0;
}

static void decode_frames(const uint8_t *val, size_t n, lm_db_frame *out)
{
    const uint8_t *p = val + DB_VFRAME_HDR;
    for (size_t i = 0; i < n; i++, p += DB_VFRAME_REC) {
        memcpy(out[i].hash.b, p, 32);
        out[i].quality = p[32];
        out[i].frame = (uint32_t)db_get_le(p + 33, 4);
        out[i].ts_ms = (uint32_t)db_get_le(p + 37, 4);
    }
}

static int sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    unsigned olen = 0;
    return EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL) == 1 && olen == 32 ? 0 : -1;
}

lm_status lm_db_video_digest(const lm_db_frame *frames, size_t count, uint8_t out[32])
{
    if (!frames || !out || count == 0 || count > LM_DB_MAX_VIDEO_FRAMES)
        return LM_E_INVALID_ARG;
    size_t len = DB_VFRAME_HDR + count * DB_VFRAME_REC;
    uint8_t *buf = malloc(len);
    if (!buf)
        return LM_E_NOMEM;
    db_video_encode(frames, count, buf);
    int rc = sha256(buf, len, out);
    free(buf);
    return rc ? LM_E_INTERNAL : LM_OK;
}

int db_video_put(lm_hashdb *db, MDB_txn *txn, uint64_t id, const uint8_t *val, size_t len)
{
    return db_put_by_id(db, txn, db->vframes, id, val, len, "writing video frames");
}

int db_video_delete(lm_hashdb *db, MDB_txn *txn, uint64_t id)
{
    return db_del_by_id(db, txn, db->vframes, id, "removing video frames");
}

typedef struct add_video_ctx {
    const lm_db_new_video *in;
    const uint8_t *val;
    size_t len;
    uint8_t digest[32];
    uint64_t id;
} add_video_ctx;

static int add_video_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    add_video_ctx *a = vctx;
    uint32_t list_id;
    int st = db_list_touch(db, txn, a->in->list ? a->in->list : "manual", NULL, NULL, 0, &list_id);
    if (st)
        return st;
    uint64_t existing, next;
    if ((st = db_find_in_list(db, txn, LM_HASH_VPDQ, a->digest, 32, list_id, &existing)) != 0)
        return st;
    if (existing) {
        a->id = existing;
        return db_err(db, LM_E_EXISTS, "the list already holds this video as entry %llu",
                      (unsigned long long)existing);
    }
    if ((st = db_meta_get_u64(db, txn, "next_entry_id", &next, 8)) != 0)
        return st;
    const char *label = a->in->label ? a->in->label : "";
    const char *ref = a->in->reference ? a->in->reference : "";
    db_entry e = {.type = LM_HASH_VPDQ,
                  .hash_len = 32,
                  .quality = -1,
                  .list_id = list_id,
                  .added = db_now(),
                  .hash = a->digest,
                  .label = label,
                  .label_len = strlen(label),
                  .ref = ref,
                  .ref_len = strlen(ref)};
    if ((st = db_entry_insert(db, txn, &e, &next, 1)) != 0 ||
        (st = db_video_put(db, txn, e.id, a->val, a->len)) != 0 ||
        (st = db_meta_put_u64(db, txn, "next_entry_id", next, 8)) != 0 ||
        (st = db_list_count_add(db, txn, list_id, 1)) != 0)
        return st;
    a->id = e.id;
    return LM_OK;
}

lm_status lm_hashdb_add_video(lm_hashdb *db, const lm_db_new_video *v, uint64_t *id_out)
{
    if (!db || !v || !v->frames)
        return LM_E_INVALID_ARG;
    if (v->count == 0 || v->count > LM_DB_MAX_VIDEO_FRAMES)
        return db_err(db, LM_E_INVALID_ARG, "a video entry holds 1..%d frames, not %zu",
                      LM_DB_MAX_VIDEO_FRAMES, v->count);
    for (size_t i = 0; i < v->count; i++)
        if (v->frames[i].quality < 0 || v->frames[i].quality > 100)
            return db_err(db, LM_E_INVALID_ARG, "frame %zu has quality %d", i,
                          v->frames[i].quality);
    if (v->label && !lm_db_text_ok(v->label, strlen(v->label), LM_DB_MAX_LABEL))
        return db_err(db, LM_E_INVALID_ARG, "label too long or not printable text");
    if (v->reference && !lm_db_text_ok(v->reference, strlen(v->reference), LM_DB_MAX_REFERENCE))
        return db_err(db, LM_E_INVALID_ARG, "reference too long or not printable text");
    if (v->list && (!*v->list || !lm_db_text_ok(v->list, strlen(v->list), LM_DB_MAX_LIST_NAME)))
        return db_err(db, LM_E_INVALID_ARG, "list name empty, too long or not printable text");
    add_video_ctx a = {.in = v, .len = DB_VFRAME_HDR + v->count * DB_VFRAME_REC};
    uint8_t *buf = malloc(a.len);
    if (!buf)
        return db_err(db, LM_E_NOMEM, "out of memory");
    db_video_encode(v->frames, v->count, buf);
    a.val = buf;
    int st = sha256(buf, a.len, a.digest) ? LM_E_INTERNAL : db_write(db, add_video_txn, &a);
    free(buf);
    if (id_out && (st == LM_OK || st == LM_E_EXISTS))
        *id_out = a.id;
    return st;
}

typedef struct get_ctx {
    uint64_t id;
    lm_db_frame **frames;
    size_t *count;
} get_ctx;

static int get_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    get_ctx *g = vctx;
    unsigned long long id = (unsigned long long)g->id;
    db_entry e;
    int st = db_entry_get(db, txn, g->id, &e);
    if (st == LM_OK && e.type != LM_HASH_VPDQ)
        st = db_err(db, LM_E_INVALID_ARG, "entry %llu is not a video", id);
    uint8_t key[8];
    db_put_be64(key, g->id);
    MDB_val k = {8, key}, v;
    int rc;
    size_t n = 0;
    const char *why;
    if (st == LM_OK && (rc = db_get(db, txn, db->vframes, &k, &v)) != 0)
        st = rc == MDB_NOTFOUND ? db_damaged(db, "video entry %llu has no frames", id)
                                : db_mdb_err(db, rc, "reading video frames");
    if (st == LM_OK && db_video_check(v.mv_data, v.mv_size, &n, &why))
        st = db_damaged(db, "entry %llu: %s", id, why);
    if (st == LM_OK && !(*g->frames = malloc(n * sizeof **g->frames)))
        st = db_err(db, LM_E_NOMEM, "out of memory");
    if (st == LM_OK) {
        decode_frames(v.mv_data, n, *g->frames);
        *g->count = n;
    }
    return st;
}

lm_status lm_hashdb_get_video(lm_hashdb *db, uint64_t id, lm_db_frame **frames, size_t *count)
{
    if (!db || !frames || !count)
        return LM_E_INVALID_ARG;
    *frames = NULL;
    *count = 0;
    get_ctx g = {id, frames, count};
    return db_read(db, get_txn, &g);
}

void lm_db_video_set_free(lm_db_video_set *s)
{
    if (!s)
        return;
    free(s->hashes);
    free(s->video);
    free(s->ids);
    free(s->unique);
    memset(s, 0, sizeof *s);
}

static int cmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(lm_pdq_hash));
}

/* A load of every video: the set, the room of its frame arrays, the quality kept. */
typedef struct videos_load {
    lm_db_video_set *out;
    size_t frame_cap;
    int min_quality;
} videos_load;

/* Room for cap videos (their ids and unique-frame counts). */
static int reserve_videos(void *vset, size_t cap)
{
    lm_db_video_set *s = ((videos_load *)vset)->out;
    int failed = cap > UINT32_MAX;
    s->ids = db_resize(s->ids, cap, sizeof *s->ids, &failed);
    s->unique = db_resize(s->unique, cap, sizeof *s->unique, &failed);
    return failed ? -1 : 0;
}

/* Append the unique frames of quality >= min_quality of one record. */
static int add_video(void *vctx, const uint8_t *k, size_t kl, const uint8_t *val, size_t vl)
{
    db_bulk_load *c = vctx;
    videos_load *l = c->set;
    lm_db_video_set *s = l->out;
    size_t n;
    const char *why;
    if (kl != 8 || db_video_check(val, vl, &n, &why)) {
        c->status = LM_E_DB;
        return 1;
    }
    if (s->count + n > l->frame_cap) {
        size_t nc = l->frame_cap ? l->frame_cap : 1024;
        while (nc < s->count + n)
            nc *= 2;
        int failed = 0;
        s->hashes = db_resize(s->hashes, nc, sizeof *s->hashes, &failed);
        s->video = db_resize(s->video, nc, sizeof *s->video, &failed);
        if (failed) {
            c->status = LM_E_NOMEM;
            return 1;
        }
        l->frame_cap = nc;
    }
    lm_pdq_hash *h = s->hashes + s->count;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = val + DB_VFRAME_HDR + i * DB_VFRAME_REC;
        if (p[32] >= l->min_quality)
            memcpy(h[kept++].b, p, 32);
    }
    if (kept > 1)
        qsort(h, kept, sizeof *h, cmp_hash);
    size_t u = 0;
    for (size_t i = 0; i < kept; i++)
        if (u == 0 || memcmp(&h[u - 1], &h[i], sizeof *h) != 0)
            h[u++] = h[i];
    for (size_t i = 0; i < u; i++)
        s->video[s->count + i] = (uint32_t)s->videos;
    s->count += u;
    s->ids[s->videos] = db_get_be64(k);
    s->unique[s->videos] = (uint32_t)u;
    s->videos++;
    return 0;
}

static int videos_txn(lm_hashdb *db, MDB_txn *txn, void *vctx)
{
    return db_bulk_load_table(db, txn, "vframes", "video frame", 8 + DB_VFRAME_HDR + DB_VFRAME_REC,
                              vctx, reserve_videos, add_video);
}

lm_status lm_hashdb_load_videos(lm_hashdb *db, int min_quality, lm_db_video_set *out)
{
    if (!db || !out)
        return LM_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    videos_load l = {out, 0, min_quality};
    int st = db_read(db, videos_txn, &l);
    if (st)
        lm_db_video_set_free(out);
    return st;
}

int db_video_verify_entry(lm_hashdb *db, MDB_txn *txn, const db_entry *e, const char **why)
{
    uint8_t key[8], digest[32];
    db_put_be64(key, e->id);
    MDB_val k = {8, key}, v;
    size_t n;
    if (mdb_get(txn, db->vframes, &k, &v) != 0) {
        *why = "video entry has no frame record";
        return -1;
    }
    if (db_video_check(v.mv_data, v.mv_size, &n, why))
        return -1;
    if (sha256(v.mv_data, v.mv_size, digest) || memcmp(digest, e->hash, 32) != 0) {
        *why = "video entry's hash is not the digest of its frames";
        return -1;
    }
    return 0;
}

int db_video_verify_record(lm_hashdb *db, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                           const char **why)
{
    size_t n;
    if (k->mv_size != 8) {
        *why = "a key has the wrong size";
        return -1;
    }
    if (db_video_check(v->mv_data, v->mv_size, &n, why))
        return -1;
    MDB_val ev;
    db_entry e;
    if (mdb_get(txn, db->entries, (MDB_val *)k, &ev) != 0) {
        *why = "frames of an entry that does not exist";
        return -1;
    }
    if (db_entry_decode(db_get_be64(k->mv_data), &ev, &e, why) == 0 && e.type != LM_HASH_VPDQ) {
        *why = "frames of an entry that is not a video";
        return -1;
    }
    return 0;
}
