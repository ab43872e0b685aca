/*
 * The media a web page embeds or links, as absolute URLs: a pure function of the
 * page's bytes and its URL (no network, no files), so it can be unit-tested and fuzzed.
 */
#ifndef PMATCH_HTML_MEDIA_H
#define PMATCH_HTML_MEDIA_H

#include <stddef.h>
#include <stdint.h>

typedef struct html_media_list {
    char **urls;   /* absolute http/https URLs, without fragment, in document order */
    size_t count;  /* entries in urls (at most the limit given) */
    size_t found;  /* distinct media URLs in the page, counted up to the limit + 1 */
    int truncated; /* 1 when the page had more than the limit */
} html_media_list;

/*
 * Parse html (libxml2's HTML parser, no network, no entity loading) and collect,
 * resolved against <base href> or page_url: img src/srcset, picture/video/audio source
 * src/srcset, video src/poster, og:image/og:video/twitter:image meta content,
 * link rel=image_src, and a href / area href whose path ends in a media file
 * extension. Only http and https URLs are kept, and data: URLs of images and videos
 * (data:image/...;base64,... as written, unresolved; each at most the page's size, and
 * counted in max_urls like the others); duplicates (after resolution and without
 * fragment) are dropped; at most max_urls are returned.
 * Returns 0, or -1 when memory ran out (out is then empty). out is always
 * initialised; free it with html_media_free.
 */
int html_media_extract(const uint8_t *html, size_t len, const char *page_url, size_t max_urls,
                       html_media_list *out);
void html_media_free(html_media_list *list);

/* 1 when url is a data: URL (case-insensitive scheme). */
int html_is_data_url(const char *url);

/*
 * Decode a data: URL ("data:[<mediatype>][;base64],<data>", RFC 2397; blanks inside base64
 * are skipped, percent-escapes decoded otherwise) into *out (malloc'ed, *len bytes) and its
 * media type into ctype ("" if none; cap bytes). Returns 0; -1 when malformed (no comma,
 * bad base64 or escape); -2 when the data would be more than max bytes (nothing is
 * decoded beyond it); -3 when out of memory. On failure *out is NULL.
 */
int html_data_url_decode(const char *url, uint64_t max, uint8_t **out, size_t *len, char *ctype,
                         size_t cap);

/* libxml2's one-time initialisation: call before threads use html_media_extract. */
void html_media_init(void);

/* 1 when the bytes look like an HTML document (a tag such as <!doctype html>,
 * <html>, <head>, <body> or <img near the start, after blanks and a BOM). */
int html_sniff(const uint8_t *data, size_t len);

/* 1 when the content type (e.g. "text/html; charset=utf-8") declares HTML or XHTML. */
int html_content_type(const char *content_type);

#endif
