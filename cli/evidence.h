/*
 * Evidence records for fetched URLs: one JSON object per fetched item (a URL given on
 * the command line, a page, or a medium found on a page), suitable for a case file.
 * Records hold where the bytes came from and what they were checked as; never content.
 */
#ifndef PMATCH_EVIDENCE_H
#define PMATCH_EVIDENCE_H

#include <stdio.h>

#include "fetch.h"
#include "html_media.h"
#include "libmatch.h"

typedef enum url_item_kind { URL_ITEM_URL, URL_ITEM_PAGE, URL_ITEM_MEDIA } url_item_kind;

/* One fetched item and what became of it. */
typedef struct url_item {
    url_item_kind kind; /* a URL that was not HTML becomes URL_ITEM_URL */
    fetch_result f;
    uint8_t *body;        /* the fetched bytes until checked (then freed) */
    const char *page_url; /* media: the page it was found on (requested URL) */
    int checked;          /* lm_check ran: check, size are valid */
    uint64_t size;
    uint64_t list_generation; /* the matcher's list generation the check ran against */
    lm_check_result check;
    const char *error_code; /* fetch or check failure (f.error_code, or "check_failed") */
    char error[256];
    /* pages: their media (indices into the batch's media array) and counts */
    html_media_list media;
    struct url_item *media_items;
    int media_truncated;
    size_t media_matched, media_failed;
} url_item;

/* The lists' provenance for the records: the supplier's version and source of each list,
 * read from the list at generation `generation` (valid: it is the matcher's generation). */
typedef struct evidence_lists {
    int valid;
    uint64_t generation;
    size_t count;
    lm_db_list_info *lists; /* malloc'ed */
} evidence_lists;

/* Read them (db_path may be NULL: none); never fails, an unreadable list leaves valid 0. */
void evidence_lists_load(evidence_lists *l, const char *db_path, const lm_matcher *m);
void evidence_lists_free(evidence_lists *l);

/* url without user:pass@ (credentials never go into a record or onto the screen); a
 * data: URL without its data ("data:image/png;base64,"). malloc'ed; NULL only when out of
 * memory. */
char *evidence_redact_url(const char *url);

/* The verdict word of an item: "match", "no_match", "low_quality", "not_image", "error";
 * a page is "match" when it or any medium matched, else "error" when any failed. */
const char *url_item_verdict(const url_item *it);

/* Write the item as one JSON line (pmatch version, fetch facts, redirect chain, addresses
 * tried, TLS certificate, digests, hashes, verdict, list generation and versions); lists
 * may be NULL. */
void evidence_write(FILE *out, const lm_matcher *m, const evidence_lists *lists,
                    const url_item *it);

#endif
