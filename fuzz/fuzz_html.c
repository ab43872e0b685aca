/*
 * libFuzzer harness: the media extractor of pmatch scan URL (libxml2's HTML parser on
 * hostile pages, srcset parsing, URL resolution against <base>), HTML sniffing, and the
 * Content-Type check (the only part of HTTP pmatch parses itself; libcurl parses the rest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html_media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    html_media_list l;
    if (html_media_extract(data, size, "http://example.test/dir/page.html?q=1#top", 50, &l) == 0) {
        if (l.count > 50 || (l.truncated && l.count != 50))
            abort();
        for (size_t i = 0; i < l.count; i++)
            if (strncmp(l.urls[i], "http", 4) != 0 || strchr(l.urls[i], '#'))
                abort(); /* only absolute http(s) URLs without fragment come out */
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
