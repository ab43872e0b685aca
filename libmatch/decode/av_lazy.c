/* FFmpeg loaded on first use: see av_lazy.h and core/lazy.h. */
#define LM_AV_LAZY_NO_REMAP
#include "av_lazy.h"

#include <stddef.h>
#include <threads.h>

#include "lazy.h"
#include "libmatch.h"

lm_av_table lm_av_fn;

static once_flag av_once = ONCE_FLAG_INIT;
static int av_state = -1; /* 0 loaded, -1 not */
static char av_msg[200];

static void av_load_once(void)
{
    static const char *const libs[] = {
        "libavutil.so." AV_STRINGIFY(LIBAVUTIL_VERSION_MAJOR),
        "libavcodec.so." AV_STRINGIFY(LIBAVCODEC_VERSION_MAJOR),
        "libavformat.so." AV_STRINGIFY(LIBAVFORMAT_VERSION_MAJOR),
        "libswscale.so." AV_STRINGIFY(LIBSWSCALE_VERSION_MAJOR),
    };
    static const lm_lazy_sym syms[] = {
#define LM_AV_ENTRY(lib, name) {lib, #name, offsetof(lm_av_table, name)},
        LM_AV_SYMBOLS(LM_AV_ENTRY)
#undef LM_AV_ENTRY
    };
    int was_loaded = 0;
    av_state =
        lm_lazy_load(libs, sizeof libs / sizeof libs[0], 0, syms, sizeof syms / sizeof syms[0],
                     &lm_av_fn, &was_loaded, av_msg, sizeof av_msg);
    /* av_log's level is process-global and belongs to the program. When libmatch is the
     * one bringing FFmpeg into the process nobody else has set it: keep demuxer messages
     * (which no per-context offset reaches) off stderr, the library never prints. The
     * same for the largest block FFmpeg may allocate (LM_AV_MAX_ALLOC). */
    if (av_state == 0 && !was_loaded) {
        lm_av_fn.av_log_set_level(AV_LOG_QUIET);
        lm_av_fn.av_max_alloc(LM_AV_MAX_ALLOC); /* process-wide too: see av_lazy.h */
    }
}

int lm_av_load(lm_errbuf *err)
{
    call_once(&av_once, av_load_once);
    if (av_state == 0)
        return LM_OK;
    return lm_errbuf_set(err, LM_E_UNSUPPORTED,
                         "video and other formats need FFmpeg, which could not be loaded: %s",
                         av_msg);
}
