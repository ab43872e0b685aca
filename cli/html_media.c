#include "html_media.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "lazy_curl.h"
#include "lazy_html.h"
#include "lazy_lib.h"

/* File extensions that make an <a href> a media link (images and videos lm_check reads). */
static const char *const media_exts[] = {
    "jpg",  "jpeg", "jpe",  "jfif", "png",  "apng", "gif", "webp", "bmp",  "tif",
    "tiff", "avif", "heic", "heif", "ico",  "mp4",  "m4v", "mov",  "webm", "mkv",
    "avi",  "wmv",  "flv",  "mpg",  "mpeg", "3gp",  "ts",  "ogv",
};

typedef struct collector {
    html_media_list *out;
    size_t max, cap;
    CURLU *base; /* the URL relative references resolve against */
    int nomem;
    htmlParserCtxtPtr ctxt;
    char *base_href; /* first pass: the first <base href> */
} collector;

static int ascii_ieq(const xmlChar *a, const char *b)
{
    return a && strcasecmp((const char *)a, b) == 0;
}

/* The value of attribute name in a SAX attribute list (name, value, ..., NULL), or NULL. */
static const char *attr(const xmlChar **atts, const char *name)
{
    for (size_t i = 0; atts && atts[i]; i += 2)
        if (ascii_ieq(atts[i], name))
            return (const char *)atts[i + 1];
    return NULL;
}

static int path_has_media_ext(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return 0;
    for (size_t i = 0; i < sizeof media_exts / sizeof media_exts[0]; i++)
        if (strcasecmp(dot + 1, media_exts[i]) == 0)
            return 1;
    return 0;
}

/* Resolve ref against the base; returns a malloc'ed absolute http(s) URL without
 * fragment, or NULL (not http/https, unparsable, or out of memory: sets c->nomem). */
static char *resolve(collector *c, const char *ref, int want_media_ext)
{
    while (*ref == ' ' || *ref == '\t' || *ref == '\n' || *ref == '\r' || *ref == '\f')
        ref++;
    if (!*ref)
        return NULL;
    CURLU *u = curl_url_dup(c->base);
    if (!u) {
        c->nomem = 1;
        return NULL;
    }
    char *result = NULL, *scheme = NULL, *path = NULL;
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, ref, CURLU_URLENCODE);
    if (rc == CURLUE_OUT_OF_MEMORY)
        c->nomem = 1;
    if (rc != CURLUE_OK)
        goto done;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
        goto done;
    if (want_media_ext && (curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) != CURLUE_OK ||
                           !path_has_media_ext(path)))
        goto done;
    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    char *s = NULL;
    rc = curl_url_get(u, CURLUPART_URL, &s, 0);
    if (rc == CURLUE_OK) {
        result = strdup(s);
        if (!result)
            c->nomem = 1;
    } else if (rc == CURLUE_OUT_OF_MEMORY) {
        c->nomem = 1;
    }
    curl_free(s);
done:
    curl_free(scheme);
    curl_free(path);
    curl_url_cleanup(u);
    return result;
}

int html_is_data_url(const char *url)
{
    return url && strncasecmp(url, "data:", 5) == 0;
}

/* A data: URL of an image or video, kept as written (it needs no base). */
static char *data_media(collector *c, const char *ref)
{
    while (*ref == ' ' || *ref == '\t' || *ref == '\n' || *ref == '\r' || *ref == '\f')
        ref++;
    if (strncasecmp(ref + 5, "image/", 6) != 0 && strncasecmp(ref + 5, "video/", 6) != 0)
        return NULL;
    char *url = strdup(ref);
    if (!url)
        c->nomem = 1;
    return url;
}

/* Add one reference (deduplicated; beyond the limit only counted). Returns 0 to go on, 1 to stop.
 */
static int add(collector *c, const char *ref, int want_media_ext)
{
    html_media_list *o = c->out;
    if (o->found > c->max)
        return 1;
    const char *t = ref;
    while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r' || *t == '\f')
        t++;
    char *url = html_is_data_url(t) ? data_media(c, t) : resolve(c, ref, want_media_ext);
    if (!url)
        return c->nomem;
    for (size_t i = 0; i < o->count; i++) {
        if (strcmp(o->urls[i], url) == 0) {
            free(url);
            return 0;
        }
    }
    o->found++;
    if (o->count >= c->max) {
        o->truncated = 1; /* one more than the limit exists: that is all we need to know */
        free(url);
        return 1;
    }
    if (o->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        char **u = realloc(o->urls, cap * sizeof *u);
        if (!u) {
            free(url);
            c->nomem = 1;
            return 1;
        }
        o->urls = u;
        c->cap = cap;
    }
    o->urls[o->count++] = url;
    return 0;
}

/* srcset: "url [descriptor], url [descriptor], ..." (HTML's parsing rules, simplified:
 * a URL runs to the next blank; descriptors run to the next comma outside parentheses). */
static int add_srcset(collector *c, const char *s)
{
    size_t n = strlen(s);
    char *buf = malloc(n + 1);
    if (!buf) {
        c->nomem = 1;
        return 1;
    }
    size_t i = 0;
    int stop = 0;
    while (i < n && !stop) {
        while (i < n && (isspace((unsigned char)s[i]) || s[i] == ','))
            i++;
        if (i >= n)
            break;
        size_t start = i;
        while (i < n && !isspace((unsigned char)s[i]))
            i++;
        size_t end = i;
        int ended_by_comma = 0;
        while (end > start && s[end - 1] == ',') {
            end--;
            ended_by_comma = 1;
        }
        memcpy(buf, s + start, end - start);
        buf[end - start] = 0;
        if (end > start)
            stop = add(c, buf, 0);
        if (!ended_by_comma) { /* skip the descriptors up to the next top-level comma */
            int depth = 0;
            while (i < n && (s[i] != ',' || depth > 0)) {
                if (s[i] == '(')
                    depth++;
                else if (s[i] == ')' && depth > 0)
                    depth--;
                i++;
            }
        }
    }
    free(buf);
    return stop;
}

static int add_attr(collector *c, const xmlChar **atts, const char *name, int want_media_ext)
{
    const char *v = attr(atts, name);
    return v ? add(c, v, want_media_ext) : 0;
}

static int add_srcset_attr(collector *c, const xmlChar **atts)
{
    const char *v = attr(atts, "srcset");
    return v ? add_srcset(c, v) : 0;
}

static int is_media_meta(const char *p)
{
    static const char *const names[] = {
        "og:image",      "og:image:url",      "og:image:secure_url",
        "og:video",      "og:video:url",      "og:video:secure_url",
        "twitter:image", "twitter:image:src", "twitter:player:stream"};
    for (size_t i = 0; p && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(p, names[i]) == 0)
            return 1;
    return 0;
}

/* One start tag; returns 1 to stop (limit reached or out of memory). */
static int visit(collector *c, const xmlChar *name, const xmlChar **atts)
{
    if (ascii_ieq(name, "img") || ascii_ieq(name, "source"))
        return add_attr(c, atts, "src", 0) || add_srcset_attr(c, atts);
    if (ascii_ieq(name, "video"))
        return add_attr(c, atts, "src", 0) || add_attr(c, atts, "poster", 0);
    if (ascii_ieq(name, "a") || ascii_ieq(name, "area"))
        return add_attr(c, atts, "href", 1);
    if (ascii_ieq(name, "link")) {
        const char *rel = attr(atts, "rel");
        return rel && strcasecmp(rel, "image_src") == 0 ? add_attr(c, atts, "href", 0) : 0;
    }
    if (ascii_ieq(name, "meta")) {
        if (is_media_meta(attr(atts, "property")) || is_media_meta(attr(atts, "name")))
            return add_attr(c, atts, "content", 0);
    }
    return 0;
}

/* SAX callbacks: no tree is built, so neither memory nor libxml2's tree-depth limit grow
 * with hostile nesting (media nested thousands of elements deep are still found). */
static void on_start(void *ud, const xmlChar *name, const xmlChar **atts)
{
    collector *c = ud;
    if (visit(c, name, atts) || c->nomem)
        xmlStopParser(c->ctxt);
}

static void on_start_base(void *ud, const xmlChar *name, const xmlChar **atts)
{
    collector *c = ud;
    const char *href = ascii_ieq(name, "base") ? attr(atts, "href") : NULL;
    if (!href)
        return;
    if (!(c->base_href = strdup(href)))
        c->nomem = 1;
    xmlStopParser(c->ctxt); /* the first <base href> is the one that counts */
}

/* libxml2 reports some errors (e.g. encoding conversion) through its per-thread generic
 * handler even with HTML_PARSE_NOERROR; a hostile page must not write to our stderr. */
static void quiet_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void quiet_structured(void *ctx, xmlErrorPtr err)
{
    (void)ctx;
    (void)err;
}

/* One SAX pass over the document with a start-tag callback; -1 when out of memory. */
static int sax_pass(collector *c, const uint8_t *html, size_t len, startElementSAXFunc fn)
{
    xmlSetGenericErrorFunc(NULL, quiet_generic);
    xmlSetStructuredErrorFunc(NULL, quiet_structured);
    htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(
        (const char *)(len ? html : (const uint8_t *)" "), len ? (int)len : 1);
    if (!ctxt)
        return -1;
    htmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.startElement = fn;
    if (ctxt->sax)
        xmlFree(ctxt->sax);
    ctxt->sax = &sax;
    ctxt->userData = c;
    c->ctxt = ctxt;
    htmlCtxtUseOptions(ctxt, HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                 HTML_PARSE_NOIMPLIED);
    htmlParseDocument(ctxt);
    ctxt->sax = NULL; /* ours, on the stack */
    ctxt->userData = NULL;
    if (ctxt->myDoc)
        xmlFreeDoc(ctxt->myDoc);
    htmlFreeParserCtxt(ctxt);
    c->ctxt = NULL;
    return 0;
}

void html_media_init(void)
{
    if (pmatch_load_html(NULL) == 0)
        xmlInitParser();
}

void html_media_free(html_media_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free(list->urls[i]);
    free(list->urls);
    memset(list, 0, sizeof *list);
}

int html_media_extract(const uint8_t *html, size_t len, const char *page_url, size_t max_urls,
                       html_media_list *out)
{
    memset(out, 0, sizeof *out);
    if (pmatch_load_curl(NULL) != 0 || pmatch_load_html(NULL) != 0)
        return -1; /* libcurl (URL parsing) or libxml2 missing */
    collector c = {.out = out, .max = max_urls};
    if (!(c.base = curl_url()))
        return -1;
    if (curl_url_set(c.base, CURLUPART_URL, page_url, 0) != CURLUE_OK) {
        curl_url_cleanup(c.base);
        return 0; /* no usable page URL: nothing can be resolved */
    }
    if (len > INT_MAX)
        len = INT_MAX; /* libxml2 takes an int; pages that large are refused earlier */
    /* <base href> applies to the whole document, also to references before it: find it
     * first, then collect. */
    if (sax_pass(&c, html, len, on_start_base) != 0)
        c.nomem = 1;
    if (c.base_href && !c.nomem) {
        CURLU *b = curl_url_dup(c.base);
        if (b && curl_url_set(b, CURLUPART_URL, c.base_href, CURLU_URLENCODE) == CURLUE_OK) {
            curl_url_cleanup(c.base);
            c.base = b;
        } else {
            curl_url_cleanup(b);
        }
    }
    free(c.base_href);
    if (!c.nomem && sax_pass(&c, html, len, on_start) != 0)
        c.nomem = 1;
    curl_url_cleanup(c.base);
    if (c.nomem) {
        html_media_free(out);
        return -1;
    }
    return 0;
}

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+' || ch == '-')
        return 62;
    if (ch == '/' || ch == '_')
        return 63;
    return -1;
}

static int hex_value(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int html_data_url_decode(const char *url, uint64_t max, uint8_t **out, size_t *len, char *ctype,
                         size_t cap)
{
    *out = NULL;
    *len = 0;
    if (cap)
        ctype[0] = 0;
    if (!html_is_data_url(url))
        return -1;
    const char *head = url + 5, *comma = strchr(head, ',');
    if (!comma)
        return -1;
    size_t hlen = (size_t)(comma - head);
    int b64 = hlen >= 7 && strncasecmp(comma - 7, ";base64", 7) == 0;
    size_t tlen = strcspn(head, ";,");
    if (cap) {
        size_t k = tlen < cap - 1 ? tlen : cap - 1;
        for (size_t i = 0; i < k; i++) /* printable ASCII only: it goes to the record */
            ctype[i] = head[i] > 0x20 && head[i] < 0x7f ? head[i] : '?';
        ctype[k] = 0;
    }
    const char *d = comma + 1;
    size_t n = strlen(d);
    size_t bound = b64 ? n / 4 * 3 + 3 : n; /* decoded bytes are at most this */
    if (bound > max)
        bound = (size_t)max + 1; /* one more than allowed tells us it is too large */
    uint8_t *buf = malloc(bound ? bound : 1);
    if (!buf)
        return -3;
    size_t k = 0;
    int rc = 0;
    if (b64) {
        uint32_t acc = 0;
        int bits = 0, pad = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            unsigned char ch = (unsigned char)d[i];
            if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f')
                continue;
            if (ch == '%' && i + 2 < n && d[i + 1] == '3' && (d[i + 2] == 'D' || d[i + 2] == 'd')) {
                pad++; /* "%3D": an escaped '=' */
                i += 2;
                continue;
            }
            if (ch == '=') {
                pad++;
                continue;
            }
            int v = b64_value(ch);
            if (v < 0 || pad) {
                rc = -1; /* not base64, or data after the padding */
                break;
            }
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                if (k >= max) {
                    rc = -2;
                    break;
                }
                buf[k++] = (uint8_t)(acc >> bits);
                acc &= (1u << bits) - 1;
            }
        }
        if (rc == 0 && (bits >= 6 || pad > 2 || (acc && bits)))
            rc = -1; /* a lone sextet, too much padding, or stray low bits */
    } else {
        for (size_t i = 0; i < n && rc == 0; i++) {
            int v = (unsigned char)d[i];
            if (v == '%') {
                int hi = i + 2 < n ? hex_value((unsigned char)d[i + 1]) : -1;
                int lo = i + 2 < n ? hex_value((unsigned char)d[i + 2]) : -1;
                if (hi < 0 || lo < 0) {
                    rc = -1;
                    break;
                }
                v = hi * 16 + lo;
                i += 2;
            }
            if (k >= max) {
                rc = -2;
                break;
            }
            buf[k++] = (uint8_t)v;
        }
    }
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = k;
    return 0;
}

static int starts_ci(const uint8_t *p, size_t n, const char *word)
{
    size_t k = strlen(word);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower(p[i]) != word[i])
            return 0;
    return 1;
}

int html_sniff(const uint8_t *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
        i = 3;
    /* The tags WHATWG's MIME sniffing uses for text/html (a subset), after comments. */
    static const char *const tags[] = {
        "<!doctype html", "<html",  "<head", "<body",  "<script", "<iframe", "<h1", "<div",
        "<font",          "<table", "<a",    "<style", "<title",  "<b",      "<br", "<p",
        "<img",           "<meta"};
    for (int rounds = 0; rounds < 16; rounds++) {
        while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' ||
                           data[i] == '\r' || data[i] == '\f'))
            i++;
        if (starts_ci(data + i, len - i, "<!--")) {
            size_t j = i + 4;
            while (j + 2 < len && !(data[j] == '-' && data[j + 1] == '-' && data[j + 2] == '>'))
                j++;
            if (j + 2 >= len)
                return 0;
            i = j + 3;
            continue;
        }
        for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
            size_t k = strlen(tags[t]);
            if (starts_ci(data + i, len - i, tags[t]) && len - i > k &&
                (data[i + k] == ' ' || data[i + k] == '>' || data[i + k] == '\t' ||
                 data[i + k] == '\n' || data[i + k] == '\r' || data[i + k] == '\f'))
                return 1;
        }
        return 0;
    }
    return 0;
}

int html_content_type(const char *ct)
{
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    return (n == 9 && strncasecmp(ct, "text/html", 9) == 0) ||
           (n == 21 && strncasecmp(ct, "application/xhtml+xml", 21) == 0);
}
