/*
 * lm_list_add_image: an image becomes one PDQ list entry (its standard,
 * reference-compatible hash, decoded exactly) plus crop companions of the same
 * entry, in one transaction, so that either all of it is stored or nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "errbuf.h"
#include "hashdb.h"
#include "libmatch.h"
#include "list_add_image.h"
#include "robust_hash.h"
#include "video.h"

void lm_list_add_options_init(lm_list_add_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->companions = 1;
    opts->features = 1;
}

/* An animated GIF/WebP is a video here: hash at most two frames to tell. */
static int is_animation(const void *data, size_t len, const lm_decode_opts *dec)
{
    lm_video_opts vo;
    lm_video_opts_default(&vo);
    vo.max_frames = 2;
    vo.max_bytes = dec->max_bytes;
    lm_vpdq_frames frames = {0};
    lm_errbuf err = {{0}};
    lm_status st = lm_video_hash_memory(data, len, &vo, &frames, NULL, &err);
    int animated = frames.n >= 2 || st == LM_E_LIMIT_FRAMES;
    lm_vpdq_frames_free(&frames);
    return animated;
}

int lm_list_add_media_is_video(const void *data, size_t len)
{
    /* Still or video as lm_check decides it (decode/media.c); a GIF or WebP counts as a
     * video only when two frames really decode. */
    lm_format f = LM_FORMAT_UNKNOWN;
    if (lm_media_classify(data, len, &f) != LM_MEDIA_VIDEO)
        return 0;
    lm_decode_opts dec;
    lm_decode_opts_default(&dec);
    return f == LM_FORMAT_OTHER || is_animation(data, len, &dec);
}

static void set_error(char *errbuf, size_t size, const char *msg)
{
    if (errbuf && size)
        snprintf(errbuf, size, "%s", msg);
}

lm_status lm_list_add_image_db(lm_hashdb *db, const void *data, size_t len,
                               const lm_list_add_options *opts, uint64_t *entry_id, char *errbuf,
                               size_t errbuf_size)
{
    set_error(errbuf, errbuf_size, "");
    if (entry_id)
        *entry_id = 0;
    lm_list_add_options o;
    lm_list_add_options_init(&o);
    if (opts) {
        if (opts->struct_size < offsetof(lm_list_add_options, companions) + sizeof(int) ||
            opts->struct_size > sizeof o)
            return LM_E_INVALID_ARG;
        memcpy(&o, opts, opts->struct_size);
    }
    if (!db || (!data && len) || (o.companions != 0 && o.companions != 1) ||
        (o.features != 0 && o.features != 1))
        return LM_E_INVALID_ARG;

    lm_decode_opts dec;
    lm_decode_opts_default(&dec);
    if (o.max_bytes)
        dec.max_bytes = o.max_bytes;
    if (o.max_pixels)
        dec.max_pixels = o.max_pixels;
    dec.jpeg_dct_scale = 0; /* the stored hash is the reference's */
    lm_format f = lm_detect_format(data, len);
    if (f == LM_FORMAT_OTHER ||
        ((f == LM_FORMAT_GIF || f == LM_FORMAT_WEBP) && is_animation(data, len, &dec))) {
        set_error(errbuf, errbuf_size,
                  "a video or animation (or a format only FFmpeg reads): only still images can be "
                  "added here");
        return LM_E_FORMAT;
    }
    lm_errbuf err = {{0}};
    lm_companion_hashes c;
    lm_features *feat = o.features ? malloc(sizeof *feat) : NULL;
    uint8_t *rec = o.features ? malloc(LM_FEAT_RECORD_MAX) : NULL;
    if (o.features && (!feat || !rec)) {
        free(feat);
        free(rec);
        return LM_E_NOMEM;
    }
    lm_status st = lm_companions_compute_ex(&dec, lm_default_companion_regions,
                                            o.companions ? lm_default_companion_count : 0,
                                            o.companions, feat, data, len, &c, &err);
    if (st != LM_OK) {
        free(feat);
        free(rec);
        set_error(errbuf, errbuf_size, err.msg[0] ? err.msg : lm_strerror(st));
        return st;
    }
    /* Too few keypoints to ever reach the inlier minimum: not stored (a flat picture). */
    size_t rec_len = feat && feat->count >= LM_FEAT_MIN_INLIERS ? lm_features_encode(feat, rec) : 0;
    free(feat);
    lm_db_companion comp[LM_MAX_COMPANIONS];
    for (size_t i = 0; i < c.count; i++) {
        comp[i].region = c.region[i];
        comp[i].hash = c.hash[i];
        comp[i].quality = c.quality[i];
    }
    lm_db_new_entry e = {.type = LM_HASH_PDQ,
                         .hash = c.image.pdq.b,
                         .quality = c.image.quality,
                         .label = o.label,
                         .reference = o.reference,
                         .list = o.list,
                         .companions = c.count ? comp : NULL,
                         .ncompanions = c.count,
                         .features = rec_len ? rec : NULL,
                         .features_len = rec_len};
    uint64_t id = 0;
    st = lm_hashdb_add(db, &e, &id);
    free(rec);
    if (st != LM_OK)
        set_error(errbuf, errbuf_size, lm_hashdb_last_error(db));
    if (entry_id && (st == LM_OK || st == LM_E_EXISTS))
        *entry_id = id;
    return st;
}

lm_status lm_list_add_image(const char *db_path, const void *data, size_t len,
                            const lm_list_add_options *opts, uint64_t *entry_id, char *errbuf,
                            size_t errbuf_size)
{
    set_error(errbuf, errbuf_size, "");
    if (entry_id)
        *entry_id = 0;
    if (!db_path || (!data && len))
        return LM_E_INVALID_ARG;
    lm_hashdb *db;
    lm_status st = lm_hashdb_open(db_path, LM_DB_WRITE, &db, errbuf, errbuf_size);
    if (st != LM_OK)
        return st;
    st = lm_list_add_image_db(db, data, len, opts, entry_id, errbuf, errbuf_size);
    lm_hashdb_close(db);
    return st;
}
