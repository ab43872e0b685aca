/*
 * libFuzzer harness: the media extractor of pmatch scan URL (libxml2's HTML parser on
 * hostile pages, srcset parsing, URL resolution against <base>), HTML sniffing, and the
 * Content-Type check (the only part of HTTP pmatch parses itself; libcurl parses the rest),
 * and the decoding of the data: media a page holds (bounded).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html_media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    html_media_list l;
    if (html_media_extract(data, size, "http://example.test/dir/page.html?q=1#top", 50, &l) == 0) {
        if (l.count > 50 || (l.truncated && l.count != 50))
            abort();
        for (size_t i = 0; i < l.count; i++) {
            if (html_is_data_url(l.urls[i])) {
                /* data: images and videos only, decoded within the bound */
                if (strncasecmp(l.urls[i] + 5, "image/", 6) &&
                    strncasecmp(l.urls[i] + 5, "video/", 6))
                    abort();
                uint8_t *d = NULL;
                size_t len = 0;
                char ctype[64];
                int rc = html_data_url_decode(l.urls[i], 1000, &d, &len, ctype, sizeof ctype);
                if ((rc == 0) != (d != NULL) || len > 1000 || strlen(ctype) >= sizeof ctype)
                    abort();
                free(d);
            } else if (strncmp(l.urls[i], "http", 4) != 0 || strchr(l.urls[i], '#')) {
                abort(); /* otherwise only absolute http(s) URLs without fragment come out */
            }
        }
    }
    html_media_free(&l);
    (void)html_sniff(data, size);
    char ct[256];
    size_t n = size < sizeof ct - 1 ? size : sizeof ct - 1;
    memcpy(ct, data, n);
    ct[n] = 0;
    (void)html_content_type(ct);
    return 0;
}
