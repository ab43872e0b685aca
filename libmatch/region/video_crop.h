/*
 * Letterbox and pillarbox removal. Re-uploads often add black bars (a portrait
 * clip inside a landscape frame, a 4:3 film inside 16:9); PDQ sees the bars as
 * picture, so a barred copy is ~100 bits from the original. Cropping them before
 * hashing lets those copies match. Off by default: Meta's vPDQ does not crop, and
 * hashes in a shared list must be made the same way as the queries.
 */
#ifndef LM_VIDEO_CROP_H
#define LM_VIDEO_CROP_H

#include <stddef.h>
#include <stdint.h>

typedef struct lm_video_rect {
    int x, y, w, h;
} lm_video_rect;

/*
 * The part of a w x h RGB24 image inside its dark borders. A border row or column
 * has almost no pixel brighter than near-black. The whole image is returned when
 * the content left would be under half of either dimension (a dark scene, not bars).
 */
lm_video_rect lm_video_content_rect(const uint8_t *rgb, int w, int h, size_t stride);

#endif
