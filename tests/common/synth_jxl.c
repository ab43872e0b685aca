/* JPEG XL encoder for tests, through libjxl, in memory (synth_jxl.h). */
#include <stdlib.h>
#include <string.h>

#include "synth_jxl.h"

#ifndef LM_HAVE_JXL_ENC

int synth_jxl_can_encode(void)
{
    return 0;
}

int synth_encode_jxl(const synth_image *img, int lossless, float distance, int orientation,
                     int container, int frames, uint8_t **buf, size_t *len)
{
    (void)img, (void)lossless, (void)distance, (void)orientation, (void)container, (void)frames;
    *buf = NULL;
    *len = 0;
    return -1;
}

#else

#include <jxl/encode.h>

int synth_jxl_can_encode(void)
{
    return 1;
}

int synth_encode_jxl(const synth_image *img, int lossless, float distance, int orientation,
                     int container, int frames, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (!img || !img->px || img->channels < 1 || img->channels > 4 || frames < 1)
        return -1;
    int grey = img->channels <= 2, alpha = img->channels == 2 || img->channels == 4;
    JxlEncoder *enc = JxlEncoderCreate(NULL);
    if (!enc)
        return -1;
    int rc = -1;
    uint8_t *out = NULL;
    JxlBasicInfo info;
    JxlEncoderInitBasicInfo(&info);
    info.xsize = img->w;
    info.ysize = img->h;
    info.bits_per_sample = 8;
    info.num_color_channels = grey ? 1 : 3;
    info.num_extra_channels = alpha ? 1 : 0;
    info.alpha_bits = alpha ? 8 : 0;
    info.uses_original_profile = lossless ? JXL_TRUE : JXL_FALSE;
    info.orientation = (JxlOrientation)(orientation >= 1 && orientation <= 8 ? orientation : 1);
    if (frames > 1) {
        info.have_animation = JXL_TRUE;
        info.animation.tps_numerator = 10;
        info.animation.tps_denominator = 1;
    }
    JxlColorEncoding ce;
    JxlColorEncodingSetToSRGB(&ce, grey ? JXL_TRUE : JXL_FALSE);
    JxlEncoderFrameSettings *fs = NULL;
    if (JxlEncoderUseContainer(enc, container ? JXL_TRUE : JXL_FALSE) != JXL_ENC_SUCCESS ||
        JxlEncoderSetBasicInfo(enc, &info) != JXL_ENC_SUCCESS ||
        JxlEncoderSetColorEncoding(enc, &ce) != JXL_ENC_SUCCESS ||
        !(fs = JxlEncoderFrameSettingsCreate(enc, NULL)))
        goto done;
    if (lossless ? JxlEncoderSetFrameLossless(fs, JXL_TRUE) != JXL_ENC_SUCCESS
                 : JxlEncoderSetFrameDistance(fs, distance) != JXL_ENC_SUCCESS)
        goto done;
    JxlPixelFormat fmt = {(uint32_t)img->channels, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
    size_t bytes = (size_t)img->w * img->h * (size_t)img->channels;
    for (int f = 0; f < frames; f++) {
        if (frames > 1) {
            JxlFrameHeader fh;
            JxlEncoderInitFrameHeader(&fh);
            fh.duration = 1;
            if (JxlEncoderSetFrameHeader(fs, &fh) != JXL_ENC_SUCCESS)
                goto done;
        }
        if (JxlEncoderAddImageFrame(fs, &fmt, img->px, bytes) != JXL_ENC_SUCCESS)
            goto done;
    }
    JxlEncoderCloseInput(enc);
    size_t cap = 4096, used = 0;
    out = malloc(cap);
    for (;;) {
        if (!out)
            goto done;
        uint8_t *next = out + used;
        size_t avail = cap - used;
        JxlEncoderStatus s = JxlEncoderProcessOutput(enc, &next, &avail);
        used = (size_t)(next - out);
        if (s == JXL_ENC_SUCCESS)
            break;
        if (s != JXL_ENC_NEED_MORE_OUTPUT)
            goto done;
        cap *= 2;
        uint8_t *grown = realloc(out, cap);
        if (!grown)
            goto done;
        out = grown;
    }
    *buf = out;
    *len = used;
    out = NULL;
    rc = 0;
done:
    free(out);
    JxlEncoderDestroy(enc);
    return rc;
}

#endif
