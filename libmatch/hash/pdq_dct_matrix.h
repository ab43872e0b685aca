/* The 16x64 DCT-II basis (rows 1..16) PDQ projects onto, built once per process. */
#ifndef LM_HASH_PDQ_DCT_MATRIX_H
#define LM_HASH_PDQ_DCT_MATRIX_H

/* Row i, column j: (float)(sqrtf(2/64) * cos(pi/128 * (i+1) * (2j+1))), as the reference. */
const float (*lm_pdq_dct_matrix(void))[64];

#endif
