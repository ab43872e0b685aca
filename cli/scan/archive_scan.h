/*
 * Archives in pmatch scan: tar (plain or compressed with anything libarchive's
 * filters read: gzip, bzip2, xz, zstd, lz4, ...) and zip, recognised by their
 * magic bytes, are read member by member in memory with libarchive and never
 * unpacked to disk. Members are reported as ARCHIVE!MEMBER in archive order.
 * Archives inside archives are expanded in memory up to --archive-max-depth
 * levels (default 3: A!B!C!member); a deeper one is checked by its digests and
 * reported as archive_too_deep. Every archive, nested or not, gets its own
 * record after its members: its digests matched like any file's, and
 * "archive":{entries, members, depth, status}, also when it holds nothing.
 *
 * Bounds, each with its own code in the error item: a member over --max-bytes
 * (archive_member_too_large), more than --archive-max-members entries
 * (archive_too_many_members), more than --archive-max-total uncompressed bytes
 * (archive_too_large: tar/zip bombs, counted as bytes are produced, whatever the
 * headers declare), and damage (archive_damaged: the members before it stand).
 * The member and byte bounds count all the levels of one archive file together.
 */
#ifndef PMATCH_ARCHIVE_SCAN_H
#define PMATCH_ARCHIVE_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "archive_members.h"
#include "scan_config.h"

#define ARCHIVE_DEFAULT_MAX_MEMBERS 100000ull
#define ARCHIVE_DEFAULT_MAX_TOTAL (16ull << 30)
#define ARCHIVE_DEFAULT_MAX_DEPTH 3

/*
 * Expand the archive at r->path (kind from archive_sniff): members are checked in
 * parallel batches and reported in order (main thread), nested archives in
 * place. Then r becomes the archive's own record (digests of the file, matched;
 * archive_record set), for the caller to report. Returns 0, or -1 when a
 * compressed stream holds no archive (e.g. a gzip'ed single file): check it as
 * a file. A container that does not parse is reported as archive_damaged.
 */
int scan_archive(const lm_matcher *m, const scan_config *cfg, item_result *r, int kind,
                 scan_totals *t);

#endif
