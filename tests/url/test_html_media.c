/* Unit tests of the HTML media extractor (cli/html_media.c): what a page yields, exactly. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "html_media.h"

/* Extract from a string and compare with the expected URLs, in order. */
static void expect(const char *html, const char *page, size_t max, const char *const *want,
                   size_t nwant, int truncated, int line)
{
    html_media_list l;
    int rc = html_media_extract((const uint8_t *)html, strlen(html), page, max, &l);
    CHECK_EQ_INT(rc, 0);
    if (l.count != nwant || l.truncated != truncated) {
        fprintf(stderr, "line %d: got %zu URLs (truncated %d), expected %zu (truncated %d):\n",
                line, l.count, l.truncated, nwant, truncated);
        for (size_t i = 0; i < l.count; i++)
            fprintf(stderr, "  %s\n", l.urls[i]);
        check_failures++;
    }
    for (size_t i = 0; i < l.count && i < nwant; i++)
        CHECK_EQ_STR(l.urls[i], want[i]);
    html_media_free(&l);
}
#define EXPECT(html, page, max, truncated, ...)                                                    \
    do {                                                                                           \
        static const char *const want_[] = {__VA_ARGS__};                                          \
        expect(html, page, max, want_, sizeof want_ / sizeof want_[0] - 1, truncated, __LINE__);   \
    } while (0)

int main(void)
{
    const char *page = "http://site.test/dir/page.html?x=1";

    /* Relative, root-relative, scheme-relative and absolute references. */
    EXPECT("<html><body><img src=a.jpg><img src='/b.png'><img src=\"//cdn.test/c.gif\">"
           "<img src=https://other.test/d.webp><img src=../e.jpg></body></html>",
           page, 100, 0, "http://site.test/dir/a.jpg", "http://site.test/b.png",
           "http://cdn.test/c.gif", "https://other.test/d.webp", "http://site.test/e.jpg", NULL);

    /* <base href> (relative to the page itself) changes what relative references mean. */
    EXPECT("<html><head><base href='/static/v2/'></head><body><img src=a.jpg>"
           "<img src=/root.jpg></body></html>",
           page, 100, 0, "http://site.test/static/v2/a.jpg", "http://site.test/root.jpg", NULL);
    EXPECT("<base href='https://cdn.test/x/'><img src=a.jpg>", page, 100, 0,
           "https://cdn.test/x/a.jpg", NULL);

    /* srcset with width and density descriptors, commas inside URLs and trailing commas. */
    EXPECT("<img srcset='s1.jpg 1x, s2.jpg 2x,s3.jpg 300w , /s4.jpg'>"
           "<img srcset='a,b.jpg 1x, c.jpg,'>",
           page, 100, 0, "http://site.test/dir/s1.jpg", "http://site.test/dir/s2.jpg",
           "http://site.test/dir/s3.jpg", "http://site.test/s4.jpg", "http://site.test/dir/a,b.jpg",
           "http://site.test/dir/c.jpg", NULL);

    /* video src/poster and source, picture/source srcset, og:image, twitter:image, image_src. */
    EXPECT("<head><meta property='og:image' content='og.jpg'>"
           "<meta name='twitter:image' content='https://t.test/tw.png'>"
           "<meta property='og:title' content='not media'>"
           "<link rel=image_src href=ls.png></head>"
           "<body><video src=v.mp4 poster=p.jpg><source src=v.webm type=video/webm></video>"
           "<picture><source srcset='pic.webp 1x'><img src=pic.jpg></picture></body>",
           page, 100, 0, "http://site.test/dir/og.jpg", "https://t.test/tw.png",
           "http://site.test/dir/ls.png", "http://site.test/dir/v.mp4",
           "http://site.test/dir/p.jpg", "http://site.test/dir/v.webm",
           "http://site.test/dir/pic.webp", "http://site.test/dir/pic.jpg", NULL);

    /* Links count only when they point at a media file; fragments go; case of the extension
     * does not matter; queries stay. */
    EXPECT("<a href=next.html>n</a><a href=big.JPG#x>b</a><a href='clip.mp4?t=3'>c</a>"
           "<a href=/dir/>d</a><a href=photo.jpg.html>e</a><area href=m.png>",
           page, 100, 0, "http://site.test/dir/big.JPG", "http://site.test/dir/clip.mp4?t=3",
           "http://site.test/dir/m.png", NULL);

    /* Duplicates (after resolution, without fragment) are dropped; order is first seen. */
    EXPECT("<img src=a.jpg><img src=./a.jpg#one><img srcset='a.jpg 1x, b.jpg 2x'>"
           "<a href=/dir/b.jpg>x</a><meta property=og:image content=http://site.test/dir/a.jpg>",
           page, 100, 0, "http://site.test/dir/a.jpg", "http://site.test/dir/b.jpg", NULL);

    /* Only http and https (and data: images, checked without a fetch): javascript:, mailto:,
     * file:, ftp: are not fetched. */
    EXPECT("<img src='data:image/png;base64,AAAA'><img src='javascript:x()'><img src=mailto:a@b>"
           "<img src=file:///etc/passwd><img src=ftp://f.test/a.jpg><img src='  '><img>"
           "<img src=ok.png>",
           page, 100, 0, "data:image/png;base64,AAAA", "http://site.test/dir/ok.png", NULL);

    /* The limit: at most max URLs, and truncated says there were more. */
    EXPECT("<img src=1.jpg><img src=2.jpg><img src=3.jpg><img src=1.jpg>", page, 2, 1,
           "http://site.test/dir/1.jpg", "http://site.test/dir/2.jpg", NULL);
    EXPECT("<img src=1.jpg><img src=2.jpg><img src=1.jpg>", page, 2, 0,
           "http://site.test/dir/1.jpg", "http://site.test/dir/2.jpg", NULL);
    EXPECT("<img src=1.jpg>", page, 0, 1, NULL);

    /* Broken markup still yields what a browser would find; nothing at all is fine. */
    EXPECT("<img src=a.jpg <p><div><img src=\"b.jpg\" </div></html></html><img src=c.jpg", page,
           100, 0, "http://site.test/dir/a.jpg", "http://site.test/dir/b.jpg",
           "http://site.test/dir/c.jpg", NULL);
    EXPECT("", page, 100, 0, NULL);
    EXPECT("\x89PNG\r\n\x1a\n binary", page, 100, 0, NULL);
    /* Entities are decoded as text; no external entity is loaded (no network). */
    EXPECT("<!DOCTYPE html SYSTEM 'http://127.0.0.1:9/x.dtd'><img src='a.jpg?x=1&amp;y=2'>", page,
           100, 0, "http://site.test/dir/a.jpg?x=1&y=2", NULL);
    /* A page URL that is not a URL: nothing can be resolved. */
    EXPECT("<img src=a.jpg>", "not a url", 100, 0, NULL);

    /* Deep nesting does not recurse (the walk is iterative). */
    {
        static char deep[200000];
        size_t k = 0;
        for (int i = 0; i < 20000; i++)
            k += (size_t)snprintf(deep + k, sizeof deep - k, "<b>");
        snprintf(deep + k, sizeof deep - k, "<img src=deep.jpg>");
        EXPECT(deep, page, 100, 0, "http://site.test/dir/deep.jpg", NULL);
    }

    /* Hostile bytes make libxml2 complain about encodings through its global handler;
     * nothing may reach stderr (found by fuzz_html: "<\0\0\0X\x16" looks like UCS-4). */
    {
        int fds[2];
        CHECK(pipe(fds) == 0);
        fflush(stderr);
        int saved = dup(2);
        dup2(fds[1], 2);
        html_media_list l;
        static const uint8_t ucs4[] = {'<', 0, 0, 0, 'X', 0x16};
        CHECK_EQ_INT(html_media_extract(ucs4, sizeof ucs4, page, 10, &l), 0);
        html_media_free(&l);
        static const uint8_t zeros[] = "\0\0\0\0<img src=a.png>";
        CHECK_EQ_INT(html_media_extract(zeros, sizeof zeros - 1, page, 10, &l), 0);
        html_media_free(&l);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        close(fds[1]);
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        char buf[256];
        ssize_t got = read(fds[0], buf, sizeof buf);
        close(fds[0]);
        CHECK(got <= 0);
    }

    /* Sniffing and the declared type. */
    CHECK(html_sniff((const uint8_t *)"<!DOCTYPE html><html>", 21));
    CHECK(html_sniff((const uint8_t *)"\xef\xbb\xbf\n <!-- x --> <HTML lang=en>", 32));
    CHECK(html_sniff((const uint8_t *)"<img src=a.jpg>", 15));
    CHECK(!html_sniff((const uint8_t *)"\x89PNG\r\n\x1a\n", 8));
    CHECK(!html_sniff((const uint8_t *)"<html", 5));
    CHECK(!html_sniff((const uint8_t *)"<!-- unterminated", 17));
    CHECK(!html_sniff((const uint8_t *)"hello <html>", 12));
    CHECK(html_content_type("text/html"));
    CHECK(html_content_type("Text/HTML; charset=utf-8"));
    CHECK(html_content_type("application/xhtml+xml"));
    CHECK(!html_content_type("text/htmlx"));
    CHECK(!html_content_type("image/png"));
    CHECK(!html_content_type(""));
    CHECK(!html_content_type(NULL));

    /* data: media: images and videos kept as written, others dropped; count in the limit. */
    EXPECT("<img src='data:image/png;base64,iVBORw0K'><img src=' data:text/plain,hi'>"
           "<img src=a.jpg><video poster='DATA:image/gif;base64,R0lG'></video>"
           "<img src='data:image/png;base64,iVBORw0K'>",
           page, 100, 0, "data:image/png;base64,iVBORw0K", "http://site.test/dir/a.jpg",
           "DATA:image/gif;base64,R0lG", NULL);
    EXPECT("<img src='data:image/png;base64,AAAA'><img src='data:image/png;base64,BBBB'>", page, 1,
           1, "data:image/png;base64,AAAA", NULL);

    /* Decoding data: URLs, exactly and bounded. */
    {
        uint8_t *d = NULL;
        size_t n = 0;
        char ct[64];
        CHECK_EQ_INT(
            html_data_url_decode("data:image/png;base64,aGVsbG8=", 100, &d, &n, ct, sizeof ct), 0);
        CHECK(n == 5 && memcmp(d, "hello", 5) == 0);
        CHECK_EQ_STR(ct, "image/png");
        free(d);
        CHECK_EQ_INT(
            html_data_url_decode("data:image/png;base64,aGVs\n bG8", 100, &d, &n, ct, sizeof ct),
            0); /* blanks skipped, padding optional */
        CHECK(n == 5 && memcmp(d, "hello", 5) == 0);
        free(d);
        CHECK_EQ_INT(
            html_data_url_decode("data:image/png;base64,aGVsbG8%3D", 100, &d, &n, ct, sizeof ct),
            0);
        CHECK_EQ_INT(n, 5);
        free(d);
        CHECK_EQ_INT(html_data_url_decode("data:image/svg+xml;charset=utf-8,%3Csvg%3E", 100, &d, &n,
                                          ct, sizeof ct),
                     0);
        CHECK(n == 5 && memcmp(d, "<svg>", 5) == 0);
        CHECK_EQ_STR(ct, "image/svg+xml");
        free(d);
        CHECK_EQ_INT(html_data_url_decode("data:,", 100, &d, &n, ct, sizeof ct), 0);
        CHECK(n == 0 && d != NULL && ct[0] == 0);
        free(d);
        /* At the limit, one over, malformed. */
        CHECK_EQ_INT(
            html_data_url_decode("data:image/png;base64,aGVsbG8=", 5, &d, &n, ct, sizeof ct), 0);
        free(d);
        CHECK_EQ_INT(
            html_data_url_decode("data:image/png;base64,aGVsbG8=", 4, &d, &n, ct, sizeof ct), -2);
        CHECK(d == NULL);
        CHECK_EQ_INT(html_data_url_decode("data:image/png,hello", 4, &d, &n, ct, sizeof ct), -2);
        CHECK_EQ_INT(
            html_data_url_decode("data:image/png;base64,aGV*bG8=", 100, &d, &n, ct, sizeof ct), -1);
        CHECK_EQ_INT(
            html_data_url_decode("data:image/png;base64,aGVsbG8=x", 100, &d, &n, ct, sizeof ct),
            -1); /* data after the padding */
        CHECK_EQ_INT(html_data_url_decode("data:image/png;base64,a", 100, &d, &n, ct, sizeof ct),
                     -1); /* a lone sextet */
        CHECK_EQ_INT(html_data_url_decode("data:image/png;base64", 100, &d, &n, ct, sizeof ct), -1);
        CHECK_EQ_INT(html_data_url_decode("data:image/png,%zz", 100, &d, &n, ct, sizeof ct), -1);
        CHECK_EQ_INT(html_data_url_decode("http://x/", 100, &d, &n, ct, sizeof ct), -1);
        CHECK(d == NULL);
    }

    if (check_failures) {
        fprintf(stderr, "test_html_media: %d failure(s)\n", check_failures);
        return 1;
    }
    printf("test_html_media: all checks passed\n");
    return 0;
}
