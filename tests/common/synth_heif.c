/*
 * HEIC (x265) and AVIF (libaom) encoders for tests, through libheif, in
 * memory. Lossless mode stores RGB 4:4:4 with the identity matrix, so the
 * decoded pixels are the input pixels exactly.
 */
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>

#include "synth_heif.h"

struct membuf {
    uint8_t *p;
    size_t n;
};

static struct heif_error write_mem(struct heif_context *ctx, const void *data, size_t size,
                                   void *user)
{
    struct membuf *m = user;
    struct heif_error ok = {heif_error_Ok, heif_suberror_Unspecified, "ok"};
    struct heif_error fail = {heif_error_Memory_allocation_error, heif_suberror_Unspecified, "nomem"};
    uint8_t *p = realloc(m->p, m->n + size);
    if (!p)
        return fail;
    memcpy(p + m->n, data, size);
    m->p = p;
    m->n += size;
    return ok;
}

int synth_heif_can_encode(int avif)
{
    return heif_have_encoder_for_format(avif ? heif_compression_AV1 : heif_compression_HEVC) &&
           heif_have_decoder_for_format(avif ? heif_compression_AV1 : heif_compression_HEVC);
}

int synth_encode_heif(const synth_image *img, int avif, int lossless, int quality,
                      int orientation, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (img->channels != 3 && img->channels != 4)
        return -1;
    int alpha = img->channels == 4;
    int rc = -1;
    struct heif_context *ctx = heif_context_alloc();
    struct heif_encoder *enc = NULL;
    struct heif_image *im = NULL;
    struct heif_encoding_options *eo = heif_encoding_options_alloc();
    struct heif_color_profile_nclx *nclx = heif_nclx_color_profile_alloc();
    struct membuf m = {NULL, 0};
    if (!ctx || !eo || !nclx)
        goto out;
    if (heif_context_get_encoder_for_format(
            ctx, avif ? heif_compression_AV1 : heif_compression_HEVC, &enc).code != heif_error_Ok)
        goto out;
    if (lossless) {
        heif_encoder_set_lossless(enc, 1);
        heif_encoder_set_parameter_string(enc, "chroma", "444");
        nclx->matrix_coefficients = heif_matrix_coefficients_RGB_GBR;
        nclx->full_range_flag = 1;
        eo->output_nclx_profile = nclx;
    } else {
        heif_encoder_set_lossy_quality(enc, quality);
    }
    /* Planar RGB 4:4:4 for 3 channels: libheif hands the planes to the encoder as GBR. */
    if (!alpha) {
        if (heif_image_create((int)img->w, (int)img->h, heif_colorspace_RGB, heif_chroma_444,
                              &im).code != heif_error_Ok)
            goto out;
        enum heif_channel chs[3] = {heif_channel_R, heif_channel_G, heif_channel_B};
        for (int c = 0; c < 3; c++) {
            if (heif_image_add_plane(im, chs[c], (int)img->w, (int)img->h, 8).code !=
                heif_error_Ok)
                goto out;
            int stride = 0;
            uint8_t *pl = heif_image_get_plane(im, chs[c], &stride);
            for (uint32_t y = 0; y < img->h; y++)
                for (uint32_t x = 0; x < img->w; x++)
                    pl[(size_t)stride * y + x] = img->px[((size_t)y * img->w + x) * 3 + (size_t)c];
        }
    } else {
        if (heif_image_create((int)img->w, (int)img->h, heif_colorspace_RGB,
                              heif_chroma_interleaved_RGBA, &im).code != heif_error_Ok)
            goto out;
        if (heif_image_add_plane(im, heif_channel_interleaved, (int)img->w, (int)img->h, 8).code !=
            heif_error_Ok)
            goto out;
        int stride = 0;
        uint8_t *pl = heif_image_get_plane(im, heif_channel_interleaved, &stride);
        size_t rb = (size_t)img->w * (size_t)img->channels;
        for (uint32_t y = 0; y < img->h; y++)
            memcpy(pl + (size_t)stride * y, img->px + rb * y, rb);
    }
    if (lossless)
        heif_image_set_nclx_color_profile(im, nclx);
    if (orientation >= 1 && orientation <= 8)
        eo->image_orientation = (enum heif_orientation)orientation;
    if (heif_context_encode_image(ctx, im, enc, eo, NULL).code != heif_error_Ok)
        goto out;
    struct heif_writer w = {1, write_mem};
    if (heif_context_write(ctx, &w, &m).code != heif_error_Ok)
        goto out;
    *buf = m.p;
    *len = m.n;
    m.p = NULL;
    rc = 0;
out:
    free(m.p);
    if (eo)
        eo->output_nclx_profile = NULL;
    heif_encoding_options_free(eo);
    heif_nclx_color_profile_free(nclx);
    heif_image_release(im);
    if (enc)
        heif_encoder_release(enc);
    heif_context_free(ctx);
    return rc;
}
