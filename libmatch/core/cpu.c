#include "cpu.h"

#include <stdlib.h>
#include <string.h>
#include <threads.h>

static lm_isa detected_isa;
static lm_isa chosen_isa;
static once_flag isa_once = ONCE_FLAG_INIT;

static void detect(void)
{
    __builtin_cpu_init();
    lm_isa hw = LM_ISA_SCALAR;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
        hw = LM_ISA_AVX2;
    if (hw == LM_ISA_AVX2 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512vpopcntdq"))
        hw = LM_ISA_AVX512;
    detected_isa = hw;

    lm_isa want = hw;
    const char *force = getenv("LM_FORCE_ISA");
    if (force) {
        if (strcmp(force, "scalar") == 0)
            want = LM_ISA_SCALAR;
        else if (strcmp(force, "avx2") == 0)
            want = LM_ISA_AVX2;
        else if (strcmp(force, "avx512") == 0)
            want = LM_ISA_AVX512;
    }
    chosen_isa = want < hw ? want : hw;
}

lm_isa lm_cpu_isa(void)
{
    call_once(&isa_once, detect);
    return chosen_isa;
}

int lm_cpu_supports(lm_isa isa)
{
    call_once(&isa_once, detect);
    return isa <= detected_isa;
}

const char *lm_isa_name(lm_isa isa)
{
    switch (isa) {
    case LM_ISA_AVX512: return "avx512";
    case LM_ISA_AVX2: return "avx2";
    default: return "scalar";
    }
}
