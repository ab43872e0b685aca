/* The public video calls: the hasher's options in, the video stage's frames out. */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "file_read.h"
#include "hasher_internal.h"
#include "libmatch.h"
#include "pixel_hash.h"
#include "video.h"
#include "vpdq_match.h"

_Static_assert((int)LM_SAMPLE_ALL_FRAMES == (int)LM_VIDEO_SAMPLE_ALL &&
                   (int)LM_SAMPLE_KEYFRAMES == (int)LM_VIDEO_SAMPLE_KEYFRAMES &&
                   (int)LM_SAMPLE_INTERVAL == (int)LM_VIDEO_SAMPLE_INTERVAL,
               "public and internal sampling modes agree");

struct lm_video_hash {
    size_t count;
    lm_video_frame *frames;
};

/* The stage's frames (already public lm_video_frame values) become the handle's;
 * *status may become LM_E_NOMEM. */
static lm_video_hash *wrap_frames(lm_vpdq_frames *f, lm_status *status)
{
    lm_video_hash *v = calloc(1, sizeof *v);
    if (!v) {
        *status = LM_E_NOMEM;
        return NULL;
    }
    v->count = f->n;
    v->frames = f->v; /* taken over: lm_vpdq_frames_free below frees nothing */
    f->v = NULL;
    f->n = f->cap = 0;
    return v;
}

/* Keep a partial result for the errors where frames before the problem are still good. */
static int keeps_partial(lm_status st)
{
    return st == LM_OK || st == LM_E_CORRUPT || st == LM_E_LIMIT_FRAMES ||
           st == LM_E_LIMIT_DURATION || st == LM_E_LIMIT_PIXELS;
}

static lm_status finish(lm_status st, lm_vpdq_frames *frames, lm_video_hash **out)
{
    if (keeps_partial(st) && (st == LM_OK || frames->n > 0)) {
        lm_status wst = st;
        *out = wrap_frames(frames, &wst);
        st = wst;
    }
    lm_vpdq_frames_free(frames);
    return st;
}

lm_status lm_hash_video_memory(lm_hasher *h, const void *data, size_t len, lm_video_hash **out)
{
    if (!out)
        return LM_E_INVALID_ARG;
    *out = NULL;
    if (!h || (!data && len))
        return LM_E_INVALID_ARG;
    lm_errbuf_clear(&h->err);
    lm_vpdq_frames frames = {0};
    lm_status st = lm_video_hash_memory(data, len, &h->video, &frames, NULL, &h->err);
    return finish(st, &frames, out);
}

lm_status lm_hash_video_file(lm_hasher *h, const char *path, lm_video_hash **out)
{
    if (!out)
        return LM_E_INVALID_ARG;
    *out = NULL;
    if (!h || !path)
        return LM_E_INVALID_ARG;
    lm_errbuf_clear(&h->err);
    lm_vpdq_frames frames = {0};
    lm_status st = lm_video_hash_file(path, &h->video, &frames, NULL, &h->err);
    return finish(st, &frames, out);
}

lm_status lm_hash_media_memory(lm_hasher *h, const void *data, size_t len, lm_image_hash *image,
                               lm_video_hash **video)
{
    if (video)
        *video = NULL;
    if (!h || (!data && len) || !image || !video)
        return LM_E_INVALID_ARG;
    lm_errbuf_clear(&h->err);
    /* The one decision (decode/media.c), as lm_check makes it; the still decoder is told
       the format instead of sniffing and probing again. */
    lm_format format = LM_FORMAT_UNKNOWN;
    lm_media_kind kind = lm_media_classify(data, len, &format);
    lm_decode_opts dec = h->decode;
    dec.known_format = kind == LM_MEDIA_NONE ? LM_FORMAT_UNKNOWN : format;
    if (kind == LM_MEDIA_VIDEO) {
        lm_vpdq_frames frames = {0};
        lm_status st = lm_video_hash_memory(data, len, &h->video, &frames, NULL, &h->err);
        st = finish(st, &frames, video);
        if (st != LM_E_FORMAT || *video)
            return st;
        /* The one way back: a "video" without a single frame is read as a still. */
        lm_errbuf_clear(&h->err);
    }
    return lm_hash_image_data(&dec, h->dihedral, data, len, NULL, image, &h->err);
}

size_t lm_video_hash_count(const lm_video_hash *v)
{
    return v ? v->count : 0;
}

const lm_video_frame *lm_video_hash_frames(const lm_video_hash *v)
{
    return v ? v->frames : NULL;
}

void lm_video_hash_free(lm_video_hash *v)
{
    if (!v)
        return;
    free(v->frames);
    free(v);
}

void lm_vpdq_options_init(lm_vpdq_options *opts)
{
    if (!opts)
        return;
    lm_vpdq_match_opts d;
    lm_vpdq_match_opts_default(&d);
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->max_distance = d.max_distance;
    opts->min_quality = d.min_quality;
    opts->query_threshold = d.query_threshold;
    opts->stored_threshold = d.stored_threshold;
}

lm_status lm_vpdq_compare(const lm_video_frame *query, size_t nq, const lm_video_frame *stored,
                          size_t ns, const lm_vpdq_options *opts, lm_vpdq_result *result)
{
    if (!result || (nq && !query) || (ns && !stored))
        return LM_E_INVALID_ARG;
    lm_vpdq_options o;
    lm_vpdq_options_init(&o);
    if (opts) {
        if (opts->struct_size < sizeof(uint32_t) || opts->struct_size > sizeof o)
            return LM_E_INVALID_ARG;
        memcpy(&o, opts, opts->struct_size);
    }
    lm_vpdq_match_opts m;
    lm_vpdq_match_opts_default(&m);
    m.max_distance = o.max_distance;
    m.min_quality = o.min_quality;
    m.query_threshold = o.query_threshold;
    m.stored_threshold = o.stored_threshold;
    lm_vpdq_match_result r;
    lm_status st = lm_vpdq_match(query, nq, stored, ns, &m, &r);
    if (st != LM_OK)
        return st;
    result->query_unique = r.query_unique;
    result->stored_unique = r.stored_unique;
    result->query_matched = r.query_matched;
    result->stored_matched = r.stored_matched;
    result->query_percent = r.query_percent;
    result->stored_percent = r.stored_percent;
    result->match = r.match;
    return LM_OK;
}
