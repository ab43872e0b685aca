/*
 * FFmpeg (libavutil, libavcodec, libavformat, libswscale) opened on first use
 * (core/lazy.h). Include after the FFmpeg headers: the names below then call
 * through lm_av_fn, which lm_av_load() fills; every entry point into libav code
 * (decode/libav.c, video/) calls lm_av_load() first.
 */
#ifndef LM_DECODE_AV_LAZY_H
#define LM_DECODE_AV_LAZY_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "errbuf.h"

/* 0 libavutil, 1 libavcodec, 2 libavformat, 3 libswscale */
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
#define LM_AV_SIDE_DATA(X) X(1, av_packet_side_data_get)
#else
#define LM_AV_SIDE_DATA(X) X(2, av_stream_get_side_data)
#endif
#define LM_AV_SYMBOLS(X)                                                                          \
    X(0, av_calloc) X(0, av_dict_free) X(0, av_dict_set) X(0, av_dict_set_int)                    \
    X(0, av_display_rotation_get) X(0, av_frame_alloc) X(0, av_frame_free) X(0, av_frame_unref)   \
    X(0, av_free) X(0, av_freep) X(0, av_malloc) X(0, av_match_list) X(0, av_pix_fmt_desc_get)    \
    X(0, av_strdup) X(0, av_strerror) X(0, av_log_set_level) X(0, av_max_alloc)                   \
    X(1, av_packet_alloc) X(1, av_packet_free) X(1, av_packet_unref)                              \
    X(1, avcodec_alloc_context3) X(1, avcodec_default_get_buffer2) X(1, avcodec_free_context)     \
    X(1, avcodec_open2) X(1, avcodec_parameters_to_context) X(1, avcodec_receive_frame)           \
    X(1, avcodec_send_packet)                                                                     \
    X(2, av_find_best_stream) X(2, av_probe_input_format2) X(2, av_read_frame)                    \
    X(2, avformat_alloc_context) X(2, avformat_close_input) X(2, avformat_find_stream_info)       \
    X(2, avformat_index_get_entries_count) X(2, avformat_index_get_entry)                         \
    X(2, avformat_open_input) X(2, avio_alloc_context) X(2, avio_context_free)                    \
    X(3, sws_freeContext) X(3, sws_getCachedContext) X(3, sws_getContext) X(3, sws_scale)         \
    LM_AV_SIDE_DATA(X)

typedef struct lm_av_table {
#define LM_AV_SLOT(lib, name) __typeof__(name) *name;
    LM_AV_SYMBOLS(LM_AV_SLOT)
#undef LM_AV_SLOT
} lm_av_table;

/*
 * The largest single block FFmpeg may allocate (av_max_alloc; FFmpeg's default is INT_MAX).
 * av_max_alloc is process-wide: lm_av_load sets it once, and only when libmatch is the one
 * bringing FFmpeg into the process (a program that loaded FFmpeg itself keeps its own
 * setting, as for the log level). Big enough for the largest frame a pixel limit allows by
 * default (a 100-megapixel RGB24 still: 300 MB); a libav still frame whose largest plane
 * needs more is refused as LM_E_LIMIT_PIXELS (decode/libav.c) before FFmpeg asks for it.
 * A per-item bound on the demuxer's index is LM_AV_MAX_DECLARED_SAMPLES (av_io.h).
 */
#define LM_AV_MAX_ALLOC ((size_t)320 << 20)

/* Filled once by lm_av_load, read-only afterwards. */
extern lm_av_table lm_av_fn;

/* LM_OK once FFmpeg is loaded (idempotent, thread-safe); LM_E_UNSUPPORTED with a message
 * naming the missing library otherwise (still images do not need it). */
int lm_av_load(lm_errbuf *err);

#ifndef LM_AV_LAZY_NO_REMAP
#define av_calloc (lm_av_fn.av_calloc)
#define av_dict_free (lm_av_fn.av_dict_free)
#define av_dict_set (lm_av_fn.av_dict_set)
#define av_dict_set_int (lm_av_fn.av_dict_set_int)
#define av_display_rotation_get (lm_av_fn.av_display_rotation_get)
#define av_frame_alloc (lm_av_fn.av_frame_alloc)
#define av_frame_free (lm_av_fn.av_frame_free)
#define av_frame_unref (lm_av_fn.av_frame_unref)
#define av_free (lm_av_fn.av_free)
#define av_freep (lm_av_fn.av_freep)
#define av_malloc (lm_av_fn.av_malloc)
#define av_match_list (lm_av_fn.av_match_list)
#define av_pix_fmt_desc_get (lm_av_fn.av_pix_fmt_desc_get)
#define av_strdup (lm_av_fn.av_strdup)
#define av_strerror (lm_av_fn.av_strerror)
#define av_log_set_level (lm_av_fn.av_log_set_level)
#define av_max_alloc (lm_av_fn.av_max_alloc)
#define av_packet_alloc (lm_av_fn.av_packet_alloc)
#define av_packet_free (lm_av_fn.av_packet_free)
#define av_packet_unref (lm_av_fn.av_packet_unref)
#define avcodec_alloc_context3 (lm_av_fn.avcodec_alloc_context3)
#define avcodec_default_get_buffer2 (lm_av_fn.avcodec_default_get_buffer2)
#define avcodec_free_context (lm_av_fn.avcodec_free_context)
#define avcodec_open2 (lm_av_fn.avcodec_open2)
#define avcodec_parameters_to_context (lm_av_fn.avcodec_parameters_to_context)
#define avcodec_receive_frame (lm_av_fn.avcodec_receive_frame)
#define avcodec_send_packet (lm_av_fn.avcodec_send_packet)
#define av_find_best_stream (lm_av_fn.av_find_best_stream)
#define av_probe_input_format2 (lm_av_fn.av_probe_input_format2)
#define av_read_frame (lm_av_fn.av_read_frame)
#define avformat_alloc_context (lm_av_fn.avformat_alloc_context)
#define avformat_close_input (lm_av_fn.avformat_close_input)
#define avformat_find_stream_info (lm_av_fn.avformat_find_stream_info)
#define avformat_index_get_entries_count (lm_av_fn.avformat_index_get_entries_count)
#define avformat_index_get_entry (lm_av_fn.avformat_index_get_entry)
#define avformat_open_input (lm_av_fn.avformat_open_input)
#define avio_alloc_context (lm_av_fn.avio_alloc_context)
#define avio_context_free (lm_av_fn.avio_context_free)
#define sws_freeContext (lm_av_fn.sws_freeContext)
#define sws_getCachedContext (lm_av_fn.sws_getCachedContext)
#define sws_getContext (lm_av_fn.sws_getContext)
#define sws_scale (lm_av_fn.sws_scale)
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
#define av_packet_side_data_get (lm_av_fn.av_packet_side_data_get)
#else
#define av_stream_get_side_data (lm_av_fn.av_stream_get_side_data)
#endif
#endif

#endif
