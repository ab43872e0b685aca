/* Re-share layouts of a picture (see synth_layout.h). */
#include "synth_layout.h"

#include <string.h>

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t below(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(mix(s) % n) : 0;
}

static void fill(synth_image *img, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1,
                 const uint8_t c[3])
{
    if (x1 > img->w)
        x1 = img->w;
    if (y1 > img->h)
        y1 = img->h;
    for (uint32_t y = y0; y < y1; y++)
        for (uint32_t x = x0; x < x1; x++)
            memcpy(img->px + ((size_t)y * img->w + x) * 3, c, 3);
}

static void paste(synth_image *dst, const synth_image *src, uint32_t x0, uint32_t y0)
{
    for (uint32_t y = 0; y < src->h && y0 + y < dst->h; y++) {
        uint32_t n = src->w;
        if (x0 + n > dst->w)
            n = dst->w - x0;
        memcpy(dst->px + ((size_t)(y0 + y) * dst->w + x0) * 3, src->px + (size_t)y * src->w * 3,
               (size_t)n * 3);
    }
}

void synth_text_block(synth_image *img, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1,
                      const uint8_t bg[3], const uint8_t fg[3], uint32_t line_h, uint64_t seed)
{
    fill(img, x0, y0, x1, y1, bg);
    if (line_h < 6)
        line_h = 6;
    uint32_t glyph = line_h * 6 / 10, stroke = line_h / 8 ? line_h / 8 : 1;
    for (uint32_t ly = y0 + line_h / 3; ly + glyph + line_h / 3 <= y1; ly += line_h) {
        uint32_t x = x0 + line_h / 3, end = x1 - line_h / 3;
        if (x1 <= x0 + line_h)
            break;
        uint32_t line_end = end - below(&seed, (end - x) / 3 + 1); /* ragged right */
        while (x + glyph <= line_end) {
            uint32_t word = 2 + below(&seed, 7);
            for (uint32_t g = 0; g < word && x + glyph <= line_end; g++) {
                uint32_t gw = glyph / 2 + below(&seed, glyph / 2 + 1);
                /* a glyph: a vertical stroke and one or two horizontal ones */
                fill(img, x, ly, x + stroke, ly + glyph, fg);
                uint32_t hy = ly + below(&seed, glyph - stroke + 1);
                fill(img, x, hy, x + gw, hy + stroke, fg);
                if (mix(&seed) & 1)
                    fill(img, x + gw - stroke, ly, x + gw, ly + glyph, fg);
                x += gw + stroke * 2;
            }
            x += glyph; /* space between words */
        }
    }
}

int synth_caption(const synth_image *in, synth_image *out, uint64_t seed, synth_rect *where)
{
    uint32_t band = in->h / 5 > 8 ? in->h / 5 : 8;
    if (synth_alloc(out, in->w, in->h + band, 3))
        return -1;
    static const uint8_t white[3] = {255, 255, 255}, black[3] = {16, 16, 16};
    synth_text_block(out, 0, 0, in->w, band, white, black, band * 4 / 10, seed);
    paste(out, in, 0, band);
    *where = (synth_rect){0, band, in->w, in->h};
    return 0;
}

int synth_screenshot(const synth_image *in, synth_image *out, uint64_t seed, synth_rect *where)
{
    synth_image pic;
    uint32_t pw = in->w * 85 / 100, ph = in->h * 85 / 100;
    if (synth_resize(in, &pic, pw, ph))
        return -1;
    uint32_t left = pw / 20 + 4, right = pw * 35 / 100, status = ph / 20 + 6, bar = ph / 10 + 8,
             gap = ph / 25 + 6, under = ph / 5, nav = ph / 12 + 6;
    uint32_t W = left + pw + right, H = status + bar + gap + ph + under + nav;
    if (synth_alloc(out, W, H, 3)) {
        synth_free(&pic);
        return -1;
    }
    static const uint8_t page[3] = {246, 246, 248}, ink[3] = {40, 40, 48}, dark[3] = {20, 20, 24},
                         light[3] = {236, 236, 236}, grey[3] = {60, 60, 66};
    uint8_t accent[3] = {(uint8_t)(40 + below(&seed, 60)), (uint8_t)(90 + below(&seed, 80)),
                         (uint8_t)(150 + below(&seed, 90))};
    fill(out, 0, 0, W, H, page);
    synth_text_block(out, 0, 0, W, status, dark, light, status, seed + 1);
    synth_text_block(out, 0, status, W, status + bar, accent, light, bar * 6 / 10, seed + 2);
    uint32_t top = status + bar + gap;
    /* text beside the picture (a chat or a post) and below it */
    synth_text_block(out, left + pw + 8, top, W, top + ph, page, ink, ph / 9 + 6, seed + 3);
    synth_text_block(out, 0, top + ph + 6, W, top + ph + under, page, ink, under / 3, seed + 4);
    synth_text_block(out, 0, H - nav, W, H, grey, light, nav, seed + 5);
    paste(out, &pic, left, top);
    synth_free(&pic);
    *where = (synth_rect){left, top, pw, ph};
    return 0;
}

int synth_inset(const synth_image *in, synth_image *out, uint64_t seed, synth_rect *where)
{
    uint32_t W = in->w * 100 / 45, H = in->h * 100 / 45;
    if (synth_make(out, W, H, seed * 7919 + 17))
        return -1;
    uint32_t x = W / 20 + below(&seed, W - in->w - W / 10),
             y = H / 20 + below(&seed, H - in->h - H / 10);
    paste(out, in, x, y);
    *where = (synth_rect){x, y, in->w, in->h};
    return 0;
}

int synth_collage(const synth_image *in, synth_image *out, uint64_t seed, synth_rect *where)
{
    uint32_t cw = in->w / 2, ch = in->h / 2, seam = (seed & 1) ? 4 : 0;
    uint32_t W = 2 * cw + seam, H = 2 * ch + seam;
    if (synth_alloc(out, W, H, 3))
        return -1;
    static const uint8_t white[3] = {255, 255, 255};
    fill(out, 0, 0, W, H, white);
    unsigned mine = (unsigned)((seed >> 1) % 4); /* bit 0 is the seam: not the cell too */
    for (unsigned k = 0; k < 4; k++) {
        synth_image cell, scene;
        int rc;
        if (k == mine) {
            rc = synth_resize(in, &cell, cw, ch);
        } else {
            rc = synth_make(&scene, in->w, in->h, seed * 131 + k + 5);
            if (rc == 0) {
                rc = synth_resize(&scene, &cell, cw, ch);
                synth_free(&scene);
            }
        }
        if (rc) {
            synth_free(out);
            return -1;
        }
        uint32_t x = (k & 1) ? cw + seam : 0, y = (k & 2) ? ch + seam : 0;
        paste(out, &cell, x, y);
        synth_free(&cell);
        if (k == mine)
            *where = (synth_rect){x, y, cw, ch};
    }
    return 0;
}
