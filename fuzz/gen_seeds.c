/*
 * Writes the seed corpus of a harness into a directory at build time, so no
 * binary seeds live in git: gen_seeds HARNESS OUTDIR STAMP.
 * All seeds are small synthetic benign images (tests/common/synth.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <png.h>
#include <webp/encode.h>
#include <webp/mux.h>
#include <zlib.h>

#include "hashdb.h"
#include "synth_video.h"

#include "synth.h"
#include "synth_heif.h"
#include "synth_jxl.h"

static const char *outdir;
static int failures;

static void put(const char *name, const uint8_t *d, size_t n)
{
    char path[4096];
    int k = snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = k > 0 && (size_t)k < sizeof path ? fopen(path, "wb") : NULL;
    if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "gen_seeds: cannot write %s\n", name);
        failures++;
    }
}

/* The seed an encoder made (rc 0: its bytes b, freed here), or a failure. */
static void put_encoded(const char *name, int rc, uint8_t *b, size_t n)
{
    if (rc == 0)
        put(name, b, n);
    else
        failures++;
    free(b);
}

static void put_png(const char *name, const synth_image *img, int ctype, int depth, int interlace)
{
    uint8_t *b = NULL;
    size_t n = 0;
    int rc = synth_encode_png(img, ctype, depth, interlace, &b, &n);
    put_encoded(name, rc, b, n);
}

/* A JPEG with an EXIF APP1 (orientation 6) inserted after SOI. */
static void put_exif_jpeg(const uint8_t *jpg, size_t n)
{
    static const uint8_t app1[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0,    0,    'I', 'I',
                                   0x2A, 0,    8,    0,    0,   0,   1,   0,   0x12, 0x01, 3,   0,
                                   1,    0,    0,    0,    6,   0,   0,   0,   0,    0,    0,   0};
    uint8_t *b = malloc(n + sizeof app1);
    if (!b)
        return;
    memcpy(b, jpg, 2);
    memcpy(b + 2, app1, sizeof app1);
    memcpy(b + 2 + sizeof app1, jpg + 2, n - 2);
    put("exif-orient6.jpg", b, n + sizeof app1);
    free(b);
}

static void put_bmp(const synth_image *img)
{
    uint8_t *b = NULL;
    size_t n = 0;
    int rc = synth_encode_bmp(img, &b, &n);
    put_encoded("rgb24.bmp", rc, b, n);
}

static void decode_seeds(void)
{
    synth_image rgb, grey, rgba, ga;
    if (synth_make(&rgb, 48, 32, 1) || synth_grey(&rgb, &grey) || synth_add_alpha(&rgb, &rgba, 2) ||
        synth_add_alpha(&grey, &ga, 3)) {
        failures++;
        return;
    }
    uint8_t *b;
    size_t n;
    if (synth_encode_jpeg(&rgb, 50, &b, &n) == 0) {
        put("rgb.jpg", b, n);
        put_exif_jpeg(b, n);
        free(b);
    }
    if (synth_encode_jpeg(&grey, 50, &b, &n) == 0) {
        put("grey.jpg", b, n);
        free(b);
    }
    if (synth_encode_jpeg_progressive(&rgb, 50, &b, &n) == 0) {
        put("progressive.jpg", b, n);
        free(b);
    }
    put_png("grey1.png", &grey, PNG_COLOR_TYPE_GRAY, 1, 0);
    put_png("grey8-interlaced.png", &grey, PNG_COLOR_TYPE_GRAY, 8, 1);
    put_png("grey16.png", &grey, PNG_COLOR_TYPE_GRAY, 16, 0);
    put_png("grey-alpha.png", &ga, PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0);
    put_png("rgb16.png", &rgb, PNG_COLOR_TYPE_RGB, 16, 0);
    put_png("rgba-interlaced.png", &rgba, PNG_COLOR_TYPE_RGB_ALPHA, 8, 1);
    /* Palette: a two-colour picture with transparency. */
    synth_image pal;
    if (synth_alloc(&pal, 16, 8, 4) == 0) {
        for (size_t i = 0; i < 16 * 8; i++) {
            uint8_t *p = pal.px + i * 4;
            p[0] = (uint8_t)(i % 2 ? 200 : 10);
            p[1] = 40;
            p[2] = 90;
            p[3] = (uint8_t)(i % 2 ? 255 : 0);
        }
        put_png("palette-trns.png", &pal, PNG_COLOR_TYPE_PALETTE, 1, 0);
        synth_free(&pal);
    }
    put_bmp(&rgb);
    static const uint8_t gif_header[] = "GIF89a\x02\0\x02\0\x80\0\0\0\0\0\xff\xff\xff"
                                        ",\0\0\0\0\x02\0\x02\0\0\x02\x02\x44\x01\0;";
    put("tiny.gif", gif_header, sizeof gif_header - 1);
    synth_free(&rgb);
    synth_free(&grey);
    synth_free(&rgba);
    synth_free(&ga);
}

/* mkdir -p */
/* HEIC and AVIF stills: lossy, lossless, alpha, irot/imir (small, to keep the corpus fast). */
static void heif_seeds(void)
{
    synth_image rgb, rgba;
    if (synth_make(&rgb, 40, 24, 4) || synth_add_alpha(&rgb, &rgba, 5)) {
        failures++;
        return;
    }
    static const struct {
        const char *name;
        int avif, lossless, alpha, orientation;
    } v[] = {
        {"lossy.heic", 0, 0, 0, 0}, {"lossless.heic", 0, 1, 0, 0}, {"alpha.heic", 0, 0, 1, 0},
        {"rot90.heic", 0, 0, 0, 6}, {"lossy.avif", 1, 0, 0, 0},    {"lossless.avif", 1, 1, 0, 0},
        {"alpha.avif", 1, 0, 1, 0}, {"mirror.avif", 1, 0, 0, 5},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t *b = NULL;
        size_t n = 0;
        if (!synth_heif_can_encode(v[i].avif))
            continue;
        int rc = synth_encode_heif(v[i].alpha ? &rgba : &rgb, v[i].avif, v[i].lossless, 40,
                                   v[i].orientation, &b, &n);
        put_encoded(v[i].name, rc, b, n);
    }
    synth_free(&rgb);
    synth_free(&rgba);
}

/* JPEG XL stills: lossy, lossless, grey, alpha, orientation, container (small). */
static void jxl_seeds(void)
{
    if (!synth_jxl_can_encode())
        return;
    synth_image rgb, rgba, grey;
    if (synth_make(&rgb, 40, 24, 6) || synth_add_alpha(&rgb, &rgba, 7) || synth_grey(&rgb, &grey)) {
        failures++;
        return;
    }
    static const struct {
        const char *name;
        int img, lossless, orientation, container, frames;
    } v[] = {
        {"lossy.jxl", 0, 0, 1, 0, 1},    {"lossless.jxl", 0, 1, 1, 0, 1},
        {"grey.jxl", 2, 1, 1, 0, 1},     {"alpha.jxl", 1, 0, 1, 0, 1},
        {"rot90.jxl", 0, 0, 6, 0, 1},    {"container.jxl", 0, 1, 1, 1, 1},
        {"animated.jxl", 0, 0, 1, 0, 2},
    };
    const synth_image *imgs[] = {&rgb, &rgba, &grey};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t *b = NULL;
        size_t n = 0;
        int rc = synth_encode_jxl(imgs[v[i].img], v[i].lossless, 2.0f, v[i].orientation,
                                  v[i].container, v[i].frames, &b, &n);
        put_encoded(v[i].name, rc, b, n);
    }
    synth_free(&rgb);
    synth_free(&rgba);
    synth_free(&grey);
}

static int make_dirs(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path)
        return -1;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char c = path[i];
            path[i] = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                return -1;
            path[i] = c;
        }
    }
    return 0;
}

static void put_text(const char *name, const char *text)
{
    put(name, (const uint8_t *)text, strlen(text));
}

#define H1 "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
#define H2 "cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940"
#define MD5 "d41d8cd98f00b204e9800998ecf8427e"

/* Seeds of the supplier formats (hashdb/import_*.c); 1 when fmt is one of them. */
static int import_seeds_suppliers(const char *fmt)
{
    if (strcmp(fmt, "hma_csv") == 0) {
        put_text("hma", "hash,indicator_id,timestamp,tags\n" H1 ",123,1700000000,\"a b\"\n" H2
                        ",124,1700000001,\n");
        put_text("hma-bad", H1 ",1\nzz,2,3,4\n" H2 ",1,2,3,4,5\n");
    } else if (strcmp(fmt, "te_csv") == 0) {
        put_text("te", "signal_type,signal_str,collab,category,tags\npdq," H1
                       ",c1,cat,t1 t2\nvideo_md5," MD5 ",c2,,tag\nurl,http://x,c,,\n");
        put_text("te-bad", "pdq,zz,c,d,e\nmd5\n");
    } else if (strcmp(fmt, "vpdq") == 0) {
        put_text("vpdq", "0,100," H1 ",0.000\n1,90," H2 ",0.033\n2,12," H1 ",0.067\n");
        put_text("vpdq-old", "0,100," H1 "\n1,100," H2 "\n");
        put_text("vpdq-bad", "0,101," H1 ",0.0\nx,1,2,3\n1,100," H2 ",-1\n");
    } else if (strcmp(fmt, "ncmec_xml") == 0) {
        put_text("ncmec",
                 "<?xml version=\"1.0\"?>\n<queryResult xmlns=\"https://hashsharing.ncmec.org/"
                 "hashsharing/v2\">\n<images count=\"2\" maxTimestamp=\"2017-10-24T15:10:00Z\">\n"
                 "<image><member id=\"42\">Example</member><id>image1</id><classification>A1"
                 "</classification><fingerprints><md5>" MD5 "</md5><pdq>" H1
                 "</pdq><pdna>x</pdna></fingerprints></image>\n"
                 "<deletedImage><member id=\"42\">Example</member><id>image2</id>"
                 "</deletedImage>\n</images>\n<videos><video><id>v1</id><fingerprints><md5>" MD5
                 "</md5></fingerprints></video><deletedVideo><id>v2</id><fingerprints><md5>" MD5
                 "</md5></fingerprints></deletedVideo></videos>\n</queryResult>\n");
        put_text("ncmec-laughs",
                 "<?xml version=\"1.0\"?>\n<!DOCTYPE q [<!ENTITY a \"aaaa\">"
                 "<!ENTITY b \"&a;&a;&a;&a;\">]>\n<q><image><id>&b;</id></image></q>\n");
        put_text("ncmec-bad", "<q><image><id>x</id><fingerprints><md5>zz</md5></fingerprints>"
                              "</image><image></q>");
    } else if (strcmp(fmt, "stopncii_json") == 0 || strcmp(fmt, "tat_json") == 0) {
        put_text("stopncii",
                 "[{\"signalType\":\"PDQ\",\"hashValue\":\"" H1
                 "\",\"hashStatus\":\"Active\",\"id\":\"s1\"},\n {\"signalType\":\"MD5\","
                 "\"hashValue\":\"" MD5 "\",\"hashStatus\":\"Withdrawn\"}]\n");
        put_text("tat", "{\"hash_digest\":\"" MD5 "\",\"algorithm\":\"MD5\",\"deleted\":false,"
                        "\"x\":[1,{\"y\":null}]}\n{\"hash_digest\":\"" H2
                        "\",\"algorithm\":\"PDQ\",\"deleted\":true}\n");
        put_text("json-bad", "[{\"signalType\":\"PDQ\",\"hashValue\":1},{\"a\":\"\\u12\"}, 3]");
    } else {
        return 0;
    }
    return 1;
}

static void import_seeds(const char *fmt)
{
    if (import_seeds_suppliers(fmt))
        return;
    if (strcmp(fmt, "hex") == 0) {
        put_text("hex", H1 "\n" H2 "\n# comment\n\n  " MD5 "  \n");
        put_text("hex-bad", H1 "\nzz\n" H2 "x\n");
    } else if (strcmp(fmt, "pdq_csv") == 0) {
        put_text("pdq-csv", H1 ",100,bridge.jpg\n" H2 ",87,a,b,c.png\n");
        put_text("pdq-csv-bad", H1 ",101,x\n" H2 "\n,,\n");
    } else {
        char sep = strcmp(fmt, "tsv") == 0 ? '\t' : ',';
        char buf[1024];
        snprintf(buf, sizeof buf,
                 "hash%ctype%cquality%clabel%creference\n" H1 "%cpdq%c100%clabel one%cref\n" MD5
                 "%cmd5%c%c%c\n\"" H2 "\"%cpdq%c50%c\"quoted, \"\"label\"\"\"%cr\n",
                 sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep);
        put_text("table", buf);
        snprintf(buf, sizeof buf, "reference%chash\nx%c" H1 "\n", sep, sep);
        put_text("table-two-cols", buf);
    }
}

static void hash_text_seeds(void)
{
    put_text("pdq", H1);
    put_text("md5", MD5);
    put_text("sha256-upper", "D8F8F0CEE0F4A84F0637022A078F67F0B36E2ED596621E1D33E6339C4E9C9B22");
    put_text("short", "abc");
}

/* Responses of a hostile web server (fuzz_http): headers + body as one seed each. */
static void put_response(const char *name, const char *head, const uint8_t *body, size_t n)
{
    size_t h = strlen(head);
    uint8_t *b = malloc(h + n + 1);
    if (!b) {
        failures++;
        return;
    }
    memcpy(b, head, h);
    if (n)
        memcpy(b + h, body, n);
    put(name, b, h + n);
    free(b);
}

/* gzip (windowBits 31) or zlib (15) of d into a malloc'ed buffer; NULL on failure. */
static uint8_t *deflate_all(const uint8_t *d, size_t n, int window_bits, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)n);
    uint8_t *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)d;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = out ? deflate(&z, Z_FINISH) : Z_MEM_ERROR;
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* Content-Encoding seeds: an encoded image, a bomb (8 MiB of zeros; fuzz_http's body limit
 * is 64 KiB of decoded bytes), a truncated stream. */
static void http_encoding_seeds(const uint8_t *jpg, size_t n)
{
    char head[512];
    size_t k = 0;
    uint8_t *gz = deflate_all(jpg, n, 31, &k);
    if (!gz) {
        failures++;
        return;
    }
    snprintf(head, sizeof head,
             "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Encoding: gzip\r\n"
             "Content-Length: %zu\r\n\r\n",
             k);
    put_response("200-gzip-image", head, gz, k);
    snprintf(head, sizeof head,
             "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Encoding: gzip\r\n"
             "Content-Length: %zu\r\n\r\n",
             k / 2);
    put_response("200-gzip-truncated", head, gz, k / 2);
    free(gz);
    uint8_t *z = deflate_all(jpg, n, 15, &k);
    if (z) {
        snprintf(head, sizeof head,
                 "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %zu\r\n\r\n", k);
        put_response("200-deflate-image", head, z, k);
        free(z);
    }
    size_t big = 8u << 20;
    uint8_t *zeros = calloc(1, big);
    uint8_t *bomb = zeros ? deflate_all(zeros, big, 31, &k) : NULL;
    if (bomb) {
        snprintf(head, sizeof head,
                 "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Encoding: gzip\r\n"
                 "Content-Length: %zu\r\n\r\n",
                 k);
        put_response("200-gzip-bomb", head, bomb, k);
    } else {
        failures++;
    }
    free(bomb);
    free(zeros);
}

static void http_seeds(void)
{
    char head[512];
    synth_image rgb;
    uint8_t *jpg = NULL;
    size_t n = 0;
    if (synth_make(&rgb, 48, 32, 1) || synth_encode_jpeg(&rgb, 50, &jpg, &n)) {
        failures++;
        return;
    }
    synth_free(&rgb);
    snprintf(head, sizeof head,
             "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n", n);
    put_response("200-image", head, jpg, n);
    /* The same image chunked, in 100-byte chunks with an extension and a trailer. */
    size_t cap = n + n / 100 * 16 + 256, k = 0;
    char *ch = malloc(cap);
    if (ch) {
        k = (size_t)snprintf(ch, cap,
                             "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n");
        for (size_t off = 0; off < n; off += 100) {
            size_t c = n - off < 100 ? n - off : 100;
            k += (size_t)snprintf(ch + k, cap - k, "%zx%s\r\n", c, off ? "" : ";ext=1");
            memcpy(ch + k, jpg + off, c);
            k += c;
            k += (size_t)snprintf(ch + k, cap - k, "\r\n");
        }
        k += (size_t)snprintf(ch + k, cap - k, "0\r\nX-Trailer: t\r\n\r\n");
        put("200-chunked-image", (const uint8_t *)ch, k);
        free(ch);
    }
    /* Content-Length larger than the body: the server closes early. */
    snprintf(head, sizeof head,
             "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n", n + 500);
    put_response("200-short-body", head, jpg, n);
    http_encoding_seeds(jpg, n);
    free(jpg);
    put_text("200-html",
             "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
             "Connection: close\r\n\r\n"
             "<!doctype html><html><head><base href=\"/media/\">"
             "<meta property=\"og:image\" content=\"http://cdn.example.test/og.jpg\">"
             "<link rel=\"image_src\" href=\"thumb.png\"></head><body>"
             "<img src=\"a.jpg\" srcset=\"a-1x.jpg 1x, //other.test/a-2x.jpg 2x\">"
             "<picture><source srcset=\"b.webp 100w, b2.webp 200w\"><img src=\"b.png\"></picture>"
             "<video src=\"v.mp4\" poster=\"p.gif\"></video><a href=\"full.jpeg#f\">x</a>"
             "</body></html>");
    put_text("200-html-sniffed", "HTTP/1.0 200 OK\r\n\r\n\xef\xbb\xbf  <html><img src=x.png>");
    put_text("200-empty", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    put_text("301-redirect", "HTTP/1.1 301 Moved Permanently\r\nLocation: http://example.test/"
                             "next\r\nContent-Length: 0\r\n\r\n");
    put_text("302-relative", "HTTP/1.1 302 Found\r\nLocation: ../y?z=1\r\n\r\n");
    /* Two responses (fuzz_http's separator): a redirect, then the page it leads to, whose
     * media resolve against the final URL. */
    put_text("301-then-html",
             "HTTP/1.1 301 Moved Permanently\r\nLocation: http://other.test/dir/page.html\r\n"
             "Content-Length: 0\r\n\r\n\n--next--\n"
             "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
             "<html><img src=\"a.jpg\"><img srcset=\"../b.png 2x\"></html>");
    put_text("404", "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n"
                    "\r\nnot found");
    /* Over the 64 KiB limit of the harness: declared, and chunked without a length. */
    size_t big = (64u << 10) + 4096;
    uint8_t *body = malloc(big + 64);
    if (body) {
        memset(body, 'A', big + 64);
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", big);
        put_response("200-over-limit", head, body, big);
        memcpy(body, "10400\r\n", 7); /* one 66560-byte chunk */
        memcpy(body + 7 + 0x10400, "\r\n0\r\n\r\n", 7);
        put_response("200-over-limit-chunked",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", body,
                     7 + 0x10400 + 7);
        free(body);
    }
}

/* A small database with a few entries: data.mdb as the seed. */
static void db_seeds(void)
{
    char dir[] = "/tmp/lm-gen-seeds-XXXXXX";
    if (!mkdtemp(dir)) {
        failures++;
        return;
    }
    char path[256], cmd[600];
    snprintf(path, sizeof path, "%s/db", dir);
    lm_hashdb *db = NULL;
    static const char list[] = H1 ",100,bridge\n" H2 ",90,other\n";
    lm_db_import_opts o;
    lm_db_import_opts_init(&o);
    if (lm_hashdb_init(path, NULL, 0) != LM_OK ||
        lm_hashdb_open(path, LM_DB_WRITE, &db, NULL, 0) != LM_OK ||
        lm_hashdb_import_memory(db, list, sizeof list - 1, &o, NULL) != LM_OK)
        failures++;
    /* Records of the list-management tables too: attributes, a disabled entry, hits. */
    lm_db_list_attrs la = {.distance = 20, .enabled = 1, .kind = LM_DB_LIST_NEGATIVE};
    uint64_t one = 1;
    lm_db_hit_delta hit = {
        .entry_id = 2, .day = 20000, .count = 3, .first = 1728000000, .last = 1728000100};
    if (db && (lm_hashdb_set_list_attrs(db, "default", &la,
                                        LM_DB_ATTR_DISTANCE | LM_DB_ATTR_KIND) != LM_OK ||
               lm_hashdb_set_disabled(db, &one, 1, 1, NULL) != LM_OK ||
               lm_hashdb_add_hits(db, &hit, 1, LM_DB_HIT_KEEP_DAYS, NULL) != LM_OK))
        failures++;
    /* An entry with crop companions (the companions table, schema 2). */
    lm_db_companion comp[2] = {{.region = LM_REGION_CENTER_90, .quality = 80},
                               {.region = LM_REGION_TOP_LEFT_95, .quality = -1}};
    comp[0].hash.b[0] = 0x5a;
    comp[1].hash.b[31] = 0xa5;
    uint8_t h3[32] = {0x12, 0x34};
    lm_db_new_entry e = {.type = LM_HASH_PDQ,
                         .hash = h3,
                         .quality = 77,
                         .list = "images",
                         .companions = comp,
                         .ncompanions = 2};
    if (db && lm_hashdb_add(db, &e, NULL) != LM_OK)
        failures++;
    /* One with local features (one keypoint), and a video entry (the vframes table). */
    uint8_t feat[8 + 38] = {1, 0, 1, 0, 64, 0, 64, 0, 16, 0, 16, 0, 7, 1};
    uint8_t h4[32] = {0x34, 0x12};
    e.hash = h4;
    e.companions = NULL;
    e.ncompanions = 0;
    e.features = feat;
    e.features_len = sizeof feat;
    lm_db_frame frames[3] = {{.quality = 90, .frame = 0}, {.quality = 40, .frame = 1},
                             {.quality = 100, .frame = 2, .ts_ms = 1000}};
    frames[0].hash.b[3] = 0x42;
    frames[2].hash.b[9] = 0x24;
    lm_db_new_video v = {.frames = frames, .count = 3, .label = "clip", .list = "videos"};
    if (db && (lm_hashdb_add(db, &e, NULL) != LM_OK || lm_hashdb_add_video(db, &v, NULL) != LM_OK))
        failures++;
    lm_hashdb_close(db);
    snprintf(cmd, sizeof cmd, "cp '%s/data.mdb' '%s/small.mdb'", path, outdir);
    if (system(cmd) != 0)
        failures++;
    /* A list of several pages per table (branch pages, range reads across leaves): 400 more
     * entries and the hits of 30 days. */
    char *text = malloc(400 * 65 + 1);
    for (int i = 0; text && i < 400; i++)
        snprintf(text + i * 65, 66, "%016x%016x%016x%016x\n", i * 2654435761u, i + 1u, ~(unsigned)i, i * 7u);
    lm_db_import_opts_init(&o);
    o.list = "many";
    lm_db_hit_delta days[30];
    for (int d = 0; d < 30; d++)
        days[d] = (lm_db_hit_delta){.entry_id = 10 + d % 3, .day = 20000 + d, .count = 1 + d};
    if (!text || lm_hashdb_open(path, LM_DB_WRITE, &db, NULL, 0) != LM_OK ||
        lm_hashdb_import_memory(db, text, 400 * 65, &o, NULL) != LM_OK ||
        lm_hashdb_add_hits(db, days, 30, LM_DB_HIT_KEEP_DAYS, NULL) != LM_OK)
        failures++;
    free(text);
    lm_hashdb_close(db);
    snprintf(cmd, sizeof cmd, "cp '%s/data.mdb' '%s/pages.mdb' && rm -rf '%s'", path, outdir, dir);
    if (system(cmd) != 0)
        failures++;
}

/* A 3-frame 32x24 lossless animated WebP (decoded by libwebp, not libavcodec). */
static void anim_webp_seed(void)
{
    WebPAnimEncoderOptions eo;
    WebPConfig cfg;
    WebPData out;
    WebPDataInit(&out);
    int ok = WebPAnimEncoderOptionsInit(&eo) && WebPConfigInit(&cfg);
    cfg.lossless = 1;
    WebPAnimEncoder *enc = ok ? WebPAnimEncoderNew(32, 24, &eo) : NULL;
    ok = enc != NULL;
    for (int i = 0; ok && i < 3; i++) {
        synth_image img;
        WebPPicture pic;
        ok = synth_make(&img, 32, 24, 7 + (uint64_t)i) == 0 && WebPPictureInit(&pic);
        if (!ok)
            break;
        pic.use_argb = 1;
        pic.width = 32;
        pic.height = 24;
        ok = WebPPictureImportRGB(&pic, img.px, 32 * 3) &&
             WebPAnimEncoderAdd(enc, &pic, i * 100, &cfg);
        WebPPictureFree(&pic);
        synth_free(&img);
    }
    ok = ok && WebPAnimEncoderAdd(enc, NULL, 300, NULL) && WebPAnimEncoderAssemble(enc, &out);
    if (ok)
        put("anim.webp", out.bytes, out.size);
    else
        failures++;
    WebPAnimEncoderDelete(enc);
    WebPDataClear(&out);
}

static void video_seeds(void)
{
    static const struct {
        const char *name, *muxer, *encoder;
    } v[] = {{"mpeg4.mp4", "mp4", "mpeg4"},
             {"mpeg4.mkv", "matroska", "mpeg4"},
             {"anim.gif", "gif", "gif"}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        vt_synth s = {v[i].muxer, v[i].encoder, 32, 24, 6, NULL, 3, 0, 0};
        uint8_t *b = NULL;
        size_t n = 0;
        int rc = vt_synth_make(&s, &b, &n);
        put_encoded(v[i].name, rc, b, n);
    }
    anim_webp_seed();
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gen_seeds HARNESS OUTDIR STAMP\n");
        return 2;
    }
    outdir = argv[2];
    if (make_dirs(outdir) != 0) {
        fprintf(stderr, "gen_seeds: %s: %s\n", outdir, strerror(errno));
        return 1;
    }
    const char *h = argv[1];
    if (!strcmp(h, "decode") || !strcmp(h, "png") || !strcmp(h, "jpeg") || !strcmp(h, "libav") ||
        !strcmp(h, "sniff"))
        decode_seeds();
    if (!strcmp(h, "decode") || !strcmp(h, "heif") || !strcmp(h, "sniff"))
        heif_seeds();
    if (!strcmp(h, "decode") || !strcmp(h, "jxl") || !strcmp(h, "sniff"))
        jxl_seeds();
    if (strncmp(h, "import_", 7) == 0)
        import_seeds(h + 7);
    else if (!strcmp(h, "hash_text"))
        hash_text_seeds();
    else if (!strcmp(h, "db"))
        db_seeds();
    else if (!strcmp(h, "video"))
        video_seeds();
    else if (!strcmp(h, "http"))
        http_seeds();
    /* Other harnesses: add a NAME_seeds() here, or check small text seeds into seeds/NAME/. */
    FILE *f = fopen(argv[3], "w");
    if (!f || fclose(f) != 0)
        failures++;
    return failures ? 1 : 0;
}
