/*
 * libarchive (libarchive.so.13) for tar/zip members.
 * Included after the library's headers: its names below call through the table that
 * cli/lazy_lib.c fills on first use (dlopen), so that `pmatch hash` and local scans
 * never load it (issue 17). Every entry point calls its pmatch_load_* first.
 */
#ifndef PMATCH_LAZY_ARCHIVE_H
#define PMATCH_LAZY_ARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

#define PM_ARCHIVE_SYMBOLS(X) \
    X(0, archive_entry_filetype) \
    X(0, archive_entry_pathname) \
    X(0, archive_entry_size) \
    X(0, archive_entry_size_is_set) \
    X(0, archive_error_string) \
    X(0, archive_read_data) \
    X(0, archive_read_free) \
    X(0, archive_read_new) \
    X(0, archive_read_next_header) \
    X(0, archive_read_open_filename) \
    X(0, archive_read_open_memory) \
    X(0, archive_read_support_filter_bzip2) \
    X(0, archive_read_support_filter_compress) \
    X(0, archive_read_support_filter_gzip) \
    X(0, archive_read_support_filter_lz4) \
    X(0, archive_read_support_filter_xz) \
    X(0, archive_read_support_filter_zstd) \
    X(0, archive_read_support_format_tar) \
    X(0, archive_read_support_format_zip)

typedef struct pm_archive_table {
#define PM_ARCHIVE_SLOT(lib, name) __typeof__(name) *name;
    PM_ARCHIVE_SYMBOLS(PM_ARCHIVE_SLOT)
#undef PM_ARCHIVE_SLOT
} pm_archive_table;

extern pm_archive_table pm_archive_fn;

#ifndef PM_ARCHIVE_NO_REMAP
#define archive_entry_filetype (pm_archive_fn.archive_entry_filetype)
#define archive_entry_pathname (pm_archive_fn.archive_entry_pathname)
#define archive_entry_size (pm_archive_fn.archive_entry_size)
#define archive_entry_size_is_set (pm_archive_fn.archive_entry_size_is_set)
#define archive_error_string (pm_archive_fn.archive_error_string)
#define archive_read_data (pm_archive_fn.archive_read_data)
#define archive_read_free (pm_archive_fn.archive_read_free)
#define archive_read_new (pm_archive_fn.archive_read_new)
#define archive_read_next_header (pm_archive_fn.archive_read_next_header)
#define archive_read_open_filename (pm_archive_fn.archive_read_open_filename)
#define archive_read_open_memory (pm_archive_fn.archive_read_open_memory)
#define archive_read_support_filter_bzip2 (pm_archive_fn.archive_read_support_filter_bzip2)
#define archive_read_support_filter_compress (pm_archive_fn.archive_read_support_filter_compress)
#define archive_read_support_filter_gzip (pm_archive_fn.archive_read_support_filter_gzip)
#define archive_read_support_filter_lz4 (pm_archive_fn.archive_read_support_filter_lz4)
#define archive_read_support_filter_xz (pm_archive_fn.archive_read_support_filter_xz)
#define archive_read_support_filter_zstd (pm_archive_fn.archive_read_support_filter_zstd)
#define archive_read_support_format_tar (pm_archive_fn.archive_read_support_format_tar)
#define archive_read_support_format_zip (pm_archive_fn.archive_read_support_format_zip)
#endif

#endif
