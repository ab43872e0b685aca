/* Channel conversion with alpha composited onto a grey background. */
#include "decode_internal.h"

/* out = (v*a + bg*(255-a) + 127) / 255: exact rounding of the blend. */
static uint8_t blend(unsigned v, unsigned a, unsigned bg)
{
    return (uint8_t)((v * a + bg * (255u - a) + 127u) / 255u);
}

void lm_alpha_row(const uint8_t *in, int in_ch, uint8_t *out, int out_ch, size_t n, uint8_t bg)
{
    for (size_t i = 0; i < n; i++, in += in_ch, out += out_ch) {
        uint8_t c[3];
        switch (in_ch) {
        case 1: c[0] = c[1] = c[2] = in[0]; break;
        case 2: c[0] = c[1] = c[2] = blend(in[0], in[1], bg); break;
        case 3:
            c[0] = in[0];
            c[1] = in[1];
            c[2] = in[2];
            break;
        default:
            c[0] = blend(in[0], in[3], bg);
            c[1] = blend(in[1], in[3], bg);
            c[2] = blend(in[2], in[3], bg);
            break;
        }
        out[0] = c[0];
        if (out_ch == 3) {
            out[1] = c[1];
            out[2] = c[2];
        }
    }
}
