#include "pdq_dct_matrix.h"

#include <math.h>
#include <threads.h>

static float matrix[16][64];
static once_flag matrix_once = ONCE_FLAG_INIT;

static void build_matrix(void)
{
    const double pi = 3.14159265358979323846;
    const float scale = (float)sqrt(2.0 / 64.0); /* stored as float first, like the reference */
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 64; j++)
            matrix[i][j] =
                (float)(scale * cos((pi / 2.0 / 64.0) * (double)(i + 1) * (double)(2 * j + 1)));
}

const float (*lm_pdq_dct_matrix(void))[64]
{
    call_once(&matrix_once, build_matrix);
    return (const float(*)[64])matrix;
}
