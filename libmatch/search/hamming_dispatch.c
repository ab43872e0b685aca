/* Run-time choice of the Hamming kernels: widest the CPU has, scalar last. */
#include "hamming.h"

const lm_ham_kernels *lm_ham_kernels_for(lm_isa isa)
{
    if (!lm_cpu_supports(isa))
        return NULL;
    switch (isa) {
#ifdef LM_HAVE_X86_KERNELS
    case LM_ISA_AVX512: return &lm_ham_avx512;
    case LM_ISA_AVX2: return &lm_ham_avx2;
#endif
    case LM_ISA_SCALAR: return &lm_ham_scalar;
    default: return NULL;
    }
}

const lm_ham_kernels *lm_ham_kernels_best(void)
{
    for (int isa = (int)lm_cpu_isa(); isa > LM_ISA_SCALAR; isa--) {
        const lm_ham_kernels *k = lm_ham_kernels_for((lm_isa)isa);
        if (k)
            return k;
    }
    return &lm_ham_scalar;
}
