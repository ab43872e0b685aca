/*
 * Run-time instruction-set selection, shared by every SIMD kernel family.
 * Detection runs once (call_once); LM_FORCE_ISA=scalar|avx2|avx512 in the
 * environment caps the choice, for tests and benchmarks.
 */
#ifndef LM_CORE_CPU_H
#define LM_CORE_CPU_H

typedef enum lm_isa {
    LM_ISA_SCALAR = 0,
    LM_ISA_AVX2 = 1,    /* AVX2 + POPCNT */
    LM_ISA_AVX512 = 2,  /* AVX-512 F/BW/VL + VPOPCNTDQ */
} lm_isa;

/* The widest ISA this CPU supports, capped by LM_FORCE_ISA. */
lm_isa lm_cpu_isa(void);

/* What the CPU supports, ignoring LM_FORCE_ISA (tests iterate over these). */
int lm_cpu_supports(lm_isa isa);

const char *lm_isa_name(lm_isa isa);

#endif
