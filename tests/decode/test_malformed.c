/*
 * Hostile inputs made here: empty, tiny, random, truncated at many offsets,
 * corrupted bytes, headers declaring huge images, oversized files, unknown
 * formats. Exact error codes where the input determines them; otherwise any
 * clean error, never a crash (the sanitizer build runs this too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <png.h>

#include "check.h"
#include "decode.h"
#include "libmatch.h"
#include "synth.h"

static lm_decode_opts opts;

static lm_status decode(const uint8_t *d, size_t n)
{
    lm_pixels px;
    lm_errbuf err = {{0}};
    lm_status st = lm_decode_image(d, n, &opts, &px, &err);
    if (st == LM_OK) {
        CHECK(px.data != NULL && px.width > 0 && px.height > 0);
        CHECK(px.width <= LM_DECODE_TARGET && px.height <= LM_DECODE_TARGET);
    } else {
        CHECK(px.data == NULL);
        CHECK(err.msg[0] != '\0');
    }
    lm_pixels_free(&px);
    return st;
}

static int is_clean_error(lm_status st)
{
    return st == LM_E_FORMAT || st == LM_E_CORRUPT || st == LM_E_LIMIT_PIXELS ||
           st == LM_E_LIMIT_DIMENSION || st == LM_E_NOMEM || st == LM_E_UNSUPPORTED;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void tiny_and_random(uint64_t seed)
{
    CHECK_EQ_INT(decode(NULL, 0), LM_E_FORMAT);
    uint8_t one = 0xFF;
    CHECK_EQ_INT(decode(&one, 1), LM_E_FORMAT);
    uint8_t jpeg_magic[3] = {0xFF, 0xD8, 0xFF};
    CHECK_EQ_INT(decode(jpeg_magic, 3), LM_E_CORRUPT);
    const char *text = "hello, this is plain text and not an image at all\n";
    CHECK_EQ_INT(decode((const uint8_t *)text, strlen(text)), LM_E_FORMAT);

    uint64_t st = seed;
    uint8_t buf[4096];
    for (int round = 0; round < 50; round++) {
        size_t n = 1 + check_rand(&st) % sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)check_rand(&st);
        if (buf[0] == 0xFF) /* keep it "unknown": no accidental JPEG magic */
            buf[0] = 0;
        lm_status r = decode(buf, n);
        CHECK(r == LM_E_FORMAT || is_clean_error(r));
    }
}

/* Decode with the default options; 1 in *truncated when the result is flagged truncated. */
static lm_status decode_flags(const uint8_t *d, size_t n, int *truncated)
{
    lm_pixels px;
    lm_errbuf err = {{0}};
    lm_status st = lm_decode_image(d, n, &opts, &px, &err);
    *truncated = st == LM_OK ? px.truncated : 0;
    lm_pixels_free(&px);
    return st;
}

/*
 * Cut a valid file at many offsets: below the magic it is unknown, past it
 * corrupt while rows are missing. Only the end marker missing (the last 1-2
 * bytes: a JPEG's EOI, a PNG's IEND CRC) decodes, flagged truncated (issue
 * 19, item 1); 3 bytes short may cut entropy data (corrupt) or only padding.
 */
static void truncations(const uint8_t *d, size_t n, size_t magic_len, const char *what)
{
    int bad = 0, tr = 0;
    for (size_t cut = 0; cut + 3 < n; cut += cut < 64 ? 1 : 1 + cut / 16) {
        lm_status st = decode(d, cut);
        lm_status want = cut < magic_len ? LM_E_FORMAT : LM_E_CORRUPT;
        if (st != want) {
            fprintf(stderr, "%s cut at %zu of %zu: %s, expected %s\n", what, cut, n,
                    lm_strerror(st), lm_strerror(want));
            bad++;
        }
    }
    for (size_t k = 1; k <= 2 && k < n; k++)
        if (decode_flags(d, n - k, &tr) != LM_OK || !tr) {
            fprintf(stderr, "%s without its last %zu bytes: not decoded as truncated\n", what, k);
            bad++;
        }
    lm_status st3 = decode_flags(d, n - 3, &tr);
    if (!(st3 == LM_E_CORRUPT || (st3 == LM_OK && tr)))
        bad++;
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(decode_flags(d, n, &tr), LM_OK);
    CHECK_EQ_INT(tr, 0);
}

/* Stray bytes between two segments: libjpeg only warns, the pixels are intact. */
static void extraneous_bytes(const uint8_t *d, size_t n)
{
    /* After SOI comes a segment: skip it and insert two junk bytes before the next marker. */
    if (n < 8 || d[2] != 0xFF)
        return;
    size_t seg_end = 4 + ((size_t)d[4] << 8 | d[5]);
    uint8_t *c = malloc(n + 2);
    if (!c || seg_end >= n) {
        free(c);
        CHECK(0);
        return;
    }
    memcpy(c, d, seg_end);
    c[seg_end] = 0x12;
    c[seg_end + 1] = 0x34;
    memcpy(c + seg_end + 2, d + seg_end, n - seg_end);
    lm_pixels a, b;
    lm_errbuf err = {{0}};
    CHECK_EQ_INT(lm_decode_image(d, n, &opts, &a, &err), LM_OK);
    CHECK_EQ_INT(lm_decode_image(c, n + 2, &opts, &b, &err), LM_OK);
    CHECK(a.data && b.data && a.width == b.width && a.height == b.height &&
          memcmp(a.data, b.data, a.stride * a.height) == 0);
    lm_pixels_free(&a);
    lm_pixels_free(&b);
    free(c);
}

static void corruptions(const uint8_t *d, size_t n, uint64_t seed, const char *what)
{
    uint8_t *c = malloc(n);
    CHECK(c != NULL);
    if (!c)
        return;
    uint64_t st = seed;
    int ok = 0, err = 0;
    for (int round = 0; round < 300; round++) {
        memcpy(c, d, n);
        int flips = 1 + (int)(check_rand(&st) % 8);
        for (int k = 0; k < flips; k++)
            c[check_rand(&st) % n] = (uint8_t)check_rand(&st);
        lm_status r = decode(c, n);
        if (r == LM_OK)
            ok++;
        else if (is_clean_error(r))
            err++;
        else
            CHECK_EQ_INT(r, LM_E_CORRUPT);
    }
    printf("%s: 300 corrupted copies: %d decoded, %d clean errors\n", what, ok, err);
    free(c);
}

/* PNG's CRC-32 (bitwise: fast enough for one chunk header). */
static uint32_t crc32_of(const uint8_t *d, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= d[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A valid small PNG with IHDR rewritten (CRC fixed) to declare w x h. */
static void huge_png(const uint8_t *png, size_t n, uint32_t w, uint32_t h, lm_status want)
{
    uint8_t *c = malloc(n);
    if (!c)
        return;
    memcpy(c, png, n);
    put_be32(c + 16, w);
    put_be32(c + 20, h);
    put_be32(c + 29, crc32_of(c + 12, 17));
    double t0 = now();
    CHECK_EQ_INT(decode(c, n), want);
    CHECK(now() - t0 < 0.5); /* rejected from the header, nothing allocated or decoded */
    free(c);
}

/* A valid small JPEG with its SOF rewritten to declare w x h. */
static void huge_jpeg(const uint8_t *jpg, size_t n, uint16_t w, uint16_t h, lm_status want)
{
    uint8_t *c = malloc(n);
    if (!c)
        return;
    memcpy(c, jpg, n);
    size_t sof = 0;
    for (size_t i = 2; i + 9 < n; i++)
        if (c[i] == 0xFF && (c[i + 1] == 0xC0 || c[i + 1] == 0xC2)) {
            sof = i;
            break;
        }
    CHECK(sof != 0);
    c[sof + 5] = (uint8_t)(h >> 8);
    c[sof + 6] = (uint8_t)h;
    c[sof + 7] = (uint8_t)(w >> 8);
    c[sof + 8] = (uint8_t)w;
    double t0 = now();
    CHECK_EQ_INT(decode(c, n), want);
    CHECK(now() - t0 < 0.5);
    free(c);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Current address-space size, from /proc/self/statm (pages). */
static uint64_t vm_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long pages = 0;
    if (f) {
        if (fscanf(f, "%llu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * The huge-header checks again in a child whose address space is capped at
 * its current size + 64 MiB: had a decoder allocated for the declared size
 * first, it would fail with LM_E_NOMEM (or crash) instead of the limit code.
 * Skipped under AddressSanitizer, which reserves terabytes of shadow memory.
 */
static void limits_under_rlimit(const uint8_t *png, size_t png_len, const uint8_t *jpg,
                                size_t jpg_len)
{
#ifdef UNDER_ASAN
    printf("rlimit check skipped under AddressSanitizer\n");
#else
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        uint64_t cap = vm_bytes() + (64u << 20);
        struct rlimit rl = {.rlim_cur = cap, .rlim_max = cap};
        if (vm_bytes() == 0 || setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(3);
        opts.max_pixels = UINT64_MAX / 2; /* only the dimension limit stands in the way */
        opts.max_dimension = 65535;
        huge_png(png, png_len, 100000, 100000, LM_E_LIMIT_DIMENSION);
        opts.max_pixels = 100000000;
        huge_png(png, png_len, 60000, 60000, LM_E_LIMIT_PIXELS);
        huge_jpeg(jpg, jpg_len, 60000, 60000, LM_E_LIMIT_PIXELS);
        _exit(check_failures ? 1 : 0);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "rlimit child: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("huge headers refused under RLIMIT_AS = current + 64 MiB\n");
#endif
}

static void limits(const uint8_t *png, size_t png_len, const uint8_t *jpg, size_t jpg_len)
{
    huge_png(png, png_len, 100000, 100000, LM_E_LIMIT_DIMENSION);
    huge_png(png, png_len, 60000, 60000, LM_E_LIMIT_PIXELS);
    huge_png(png, png_len, 0, 10, LM_E_CORRUPT);
    huge_jpeg(jpg, jpg_len, 60000, 60000, LM_E_LIMIT_PIXELS);
    uint32_t saved = opts.max_dimension;
    opts.max_dimension = 1000;
    huge_jpeg(jpg, jpg_len, 2000, 100, LM_E_LIMIT_DIMENSION);
    huge_png(png, png_len, 100, 2000, LM_E_LIMIT_DIMENSION);
    opts.max_dimension = saved;

    /* More bytes than max_bytes: through the decoder and through the public API. */
    uint64_t saved_bytes = opts.max_bytes;
    opts.max_bytes = png_len - 1;
    CHECK_EQ_INT(decode(png, png_len), LM_E_LIMIT_BYTES);
    opts.max_bytes = saved_bytes;

    lm_hasher *h = lm_hasher_create();
    lm_image_hash ih;
    CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_MAX_BYTES, (int64_t)png_len - 1), LM_OK);
    CHECK_EQ_INT(lm_hash_memory(h, png, png_len, &ih), LM_E_LIMIT_BYTES);
    char path[] = "/tmp/lm-test-bytes-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, png, png_len) == (ssize_t)png_len); /* an encoded synthetic image */
        close(fd);
        CHECK_EQ_INT(lm_hash_file(h, path, &ih), LM_E_LIMIT_BYTES);
        CHECK_EQ_INT(lm_hasher_set_option(h, LM_OPT_MAX_BYTES, 1 << 20), LM_OK);
        CHECK_EQ_INT(lm_hash_file(h, path, &ih), LM_OK);
        unlink(path);
    }
    CHECK_EQ_INT(lm_hash_memory(h, "GIF8", 4, &ih), LM_E_FORMAT);
    lm_hasher_destroy(h);
}

/* GIF/WebP/BMP headers declaring huge sizes: the limit code, not a decoder failure. */
static void libav_headers(void)
{
    uint8_t gif[32] = "GIF89a";
    gif[6] = 0xff;
    gif[7] = 0xff;
    gif[8] = 0xff;
    gif[9] = 0xff; /* 65535 x 65535 */
    CHECK_EQ_INT(decode(gif, sizeof gif), LM_E_LIMIT_PIXELS);

    uint8_t webp[40] = "RIFF\x20\0\0\0WEBPVP8X\x0a\0\0\0";
    webp[24] = 0xff;
    webp[25] = 0xff;
    webp[26] = 0xff; /* 16777216 wide */
    CHECK_EQ_INT(decode(webp, sizeof webp), LM_E_LIMIT_DIMENSION);

    uint8_t bmp[64] = "BM";
    bmp[14] = 40;
    put_be32(bmp + 18, 0x00000100u); /* little-endian 65536 */
    put_be32(bmp + 22, 0x00000100u);
    CHECK_EQ_INT(decode(bmp, sizeof bmp), LM_E_LIMIT_DIMENSION);
    /* Plausible headers with nothing after them. */
    uint8_t gif_small[13] = "GIF89a\x10\0\x10\0\0\0\0";
    CHECK(is_clean_error(decode(gif_small, sizeof gif_small)));
    uint8_t tiff[8] = "II*\0\x08\0\0\0";
    CHECK(is_clean_error(decode(tiff, sizeof tiff)));
}

/* A progressive JPEG decodes, and truncations of it fail cleanly. */
static void progressive(const synth_image *img)
{
    uint8_t *p;
    size_t n;
    CHECK_EQ_INT(synth_encode_jpeg_progressive(img, 85, &p, &n), 0);
    CHECK_EQ_INT(decode(p, n), LM_OK);
    truncations(p, n, 3, "progressive jpeg");

    /* A valid file with many scans decodes; past the scan cap it is refused, quickly. */
    uint8_t *m;
    size_t mn;
    CHECK_EQ_INT(synth_encode_jpeg_many_scans(img, 85, 0, &m, &mn), 0); /* 190 scans */
    CHECK_EQ_INT(decode(m, mn), LM_OK);
    free(m);
    CHECK_EQ_INT(synth_encode_jpeg_many_scans(img, 85, 1, &m, &mn), 0); /* 379 scans */
    double t0 = now();
    lm_pixels px;
    lm_errbuf err = {{0}};
    CHECK_EQ_INT(lm_decode_image(m, mn, &opts, &px, &err), LM_E_CORRUPT);
    CHECK(strstr(err.msg, "scans") != NULL);
    printf("379-scan progressive JPEG refused in %.3f s: %s\n", now() - t0, err.msg);
    free(m);

    /* The last scan repeated: libjpeg only warns ("inconsistent progression"); we refuse. */
    size_t last_sos = 0;
    for (size_t i = 2; i + 1 < n; i++)
        if (p[i] == 0xFF && p[i + 1] == 0xDA)
            last_sos = i;
    size_t scan = last_sos ? n - 2 - last_sos : 0, reps = 64, bn = last_sos + scan * reps + 2;
    uint8_t *bomb = last_sos ? malloc(bn) : NULL;
    CHECK(bomb != NULL);
    if (bomb) {
        memcpy(bomb, p, last_sos);
        for (size_t r = 0; r < reps; r++)
            memcpy(bomb + last_sos + r * scan, p + last_sos, scan);
        bomb[bn - 2] = 0xFF;
        bomb[bn - 1] = 0xD9;
        CHECK_EQ_INT(decode(bomb, bn), LM_E_CORRUPT);
    }
    free(bomb);
    free(p);
}

int main(void)
{
    uint64_t seed = check_test_seed(20261124);
    lm_decode_opts_default(&opts);
    opts.max_pixels = 4000000; /* hostile-input tests run with small limits */

    tiny_and_random(seed);

    synth_image img;
    CHECK_EQ_INT(synth_make(&img, 300, 200, seed), 0);
    uint8_t *png, *jpg;
    size_t png_len, jpg_len;
    CHECK_EQ_INT(synth_encode_png(&img, PNG_COLOR_TYPE_RGB, 8, 0, &png, &png_len), 0);
    CHECK_EQ_INT(synth_encode_jpeg(&img, 85, &jpg, &jpg_len), 0);

    truncations(jpg, jpg_len, 3, "jpeg");
    truncations(png, png_len, 8, "png");
    extraneous_bytes(jpg, jpg_len);
    corruptions(jpg, jpg_len, seed + 1, "jpeg");
    corruptions(png, png_len, seed + 2, "png");
    limits(png, png_len, jpg, jpg_len);
    limits_under_rlimit(png, png_len, jpg, jpg_len);
    libav_headers();
    progressive(&img);

    free(png);
    free(jpg);
    synth_free(&img);
    return check_report("test_malformed");
}
