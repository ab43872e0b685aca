/* pmatch scan --checkpoint: the checkpoint file (see checkpoint.h). */
#include "checkpoint.h"

_Static_assert(CAT_COUNT == 7, "checkpoint totals line: one number per scan category");

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "pmatch-scan-checkpoint 2\n"

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return fnv(h, s, strlen(s) + 1); /* the NUL separates fields */
}

uint64_t checkpoint_fingerprint(const scan_config *cfg, const char *db_path, char **roots,
                                int nroots)
{
    char opts[512];
    const lm_check_options *o = &cfg->check;
    snprintf(opts, sizeof opts,
             "dist=%d minq=%d dih=%d exact=%d maxb=%" PRIu64 " maxp=%" PRIu64
             " vs=%d vi=%d json=%d follow=%d depth=%d noarch=%d am=%" PRIu64 " at=%" PRIu64,
             o->max_distance, o->min_quality, o->dihedral, o->exact, o->max_bytes, o->max_pixels,
             o->video_sampling, o->video_interval_ms, cfg->json, cfg->walk.follow_symlinks,
             cfg->walk.max_depth, cfg->no_archives, cfg->archive_max_members,
             cfg->archive_max_total);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv_str(h, opts);
    if (cfg->archive_max_depth) { /* only when given: older checkpoints keep their fingerprint */
        snprintf(opts, sizeof opts, " adepth=%d", cfg->archive_max_depth);
        h = fnv_str(h, opts);
    }
    h = fnv_str(h, db_path);
    for (int i = 0; i < nroots; i++)
        h = fnv_str(h, roots[i]);
    return h;
}

static void hex_encode(const char *s, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (; *s; s++) {
        *out++ = digits[(unsigned char)*s >> 4];
        *out++ = digits[(unsigned char)*s & 15];
    }
    *out = '\0';
}

static int hex_val(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int hex_decode(const char *hex, char *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 >= cap)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_val(hex[i]), lo = hex_val(hex[i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return -1;
        *out++ = (char)(hi << 4 | lo);
    }
    *out = '\0';
    return 0;
}

int checkpoint_load(const char *file, checkpoint *cp, char *err, size_t errlen)
{
    memset(cp, 0, sizeof *cp);
    cp->root = -1;
    FILE *f = fopen(file, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        return -1;
    }
    static char buf[16384]; /* a checkpoint is small: anything larger is not one */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *hexpath = malloc(sizeof cp->path * 2 + 1);
    if (!hexpath) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    scan_totals *t = &cp->totals;
    int used = 0;
    int k = sscanf(buf,
                   MAGIC "fingerprint %" SCNx64 "\noffset %" SCNu64 "\nitems %" SCNu64
                         "\ntotals %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                         " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                         " %" SCNu64 " %" SCNu64 "\nroot %d\npath %8192[0-9a-f]\nend\n%n",
                   &cp->fingerprint, &cp->offset, &cp->items, &t->counts[CAT_MATCH],
                   &t->counts[CAT_NO_MATCH], &t->counts[CAT_LOW_QUALITY],
                   &t->counts[CAT_NOT_IMAGE], &t->counts[CAT_ERROR], &t->counts[CAT_SKIPPED],
                   &t->counts[CAT_SUPPRESSED], &t->records, &t->decoded, &t->cache_hits,
                   &t->archives, &t->members, &cp->root, hexpath, &used);
    /* An empty path has no hex digits: accept "path \nend" too. */
    if (k == 16) {
        const char *p = strstr(buf, "\npath \nend\n");
        hexpath[0] = '\0';
        if (p && (size_t)(p - buf) + 11 == n)
            k = 17, used = (int)n;
    }
    int ok = k == 17 && (size_t)used == n && cp->root >= -1 &&
             hex_decode(hexpath, cp->path, sizeof cp->path) == 0;
    free(hexpath);
    if (!ok) {
        snprintf(err, errlen, "%s: not a pmatch scan checkpoint, or damaged", file);
        return -1;
    }
    return 1;
}

int checkpoint_save(const char *file, const checkpoint *cp, char *err, size_t errlen)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", file) >= sizeof tmp) {
        snprintf(err, errlen, "checkpoint path too long");
        return -1;
    }
    char *hex = malloc(strlen(cp->path) * 2 + 1);
    if (!hex) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    hex_encode(cp->path, hex);
    const scan_totals *t = &cp->totals;
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL;
    if (ok)
        ok = fprintf(f,
                     MAGIC "fingerprint %016" PRIx64 "\noffset %" PRIu64 "\nitems %" PRIu64
                           "\ntotals %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                           " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                           " %" PRIu64 " %" PRIu64 "\nroot %d\npath %s\nend\n",
                     cp->fingerprint, cp->offset, cp->items, t->counts[CAT_MATCH],
                     t->counts[CAT_NO_MATCH], t->counts[CAT_LOW_QUALITY],
                     t->counts[CAT_NOT_IMAGE], t->counts[CAT_ERROR], t->counts[CAT_SKIPPED],
                     t->counts[CAT_SUPPRESSED], t->records, t->decoded, t->cache_hits,
                     t->archives, t->members, cp->root, hex) > 0;
    free(hex);
    if (ok)
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (ok)
        ok = rename(tmp, file) == 0;
    if (!ok) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    /* Make the rename itself durable. */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", file);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* A path character in walk order: '/' ends a component, so it sorts before any name byte. */
static int order_char(const char *s)
{
    return *s == '\0' ? -1 : *s == '/' ? 0 : (unsigned char)*s;
}

int walk_order_cmp(int root_a, const char *rel_a, int root_b, const char *rel_b)
{
    if (root_a != root_b)
        return root_a < root_b ? -1 : 1;
    for (;; rel_a++, rel_b++) {
        int a = order_char(rel_a), b = order_char(rel_b);
        if (a != b)
            return a < b ? -1 : 1;
        if (a < 0)
            return 0;
    }
}

const char *walk_relative(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (strncmp(path, root, n) != 0)
        return path;
    path += n;
    return *path == '/' && n > 0 && root[n - 1] != '/' ? path + 1 : path;
}

/*
 * After a batch: make the results durable, then record how far they go. A kill
 * between the two only repeats the batch (the output is cut back on resume).
 * Returns 0, or 1 when something could not be written.
 */
int checkpoint_after_batch(const scan_config *cfg, const char *file, checkpoint *cp,
                           uint64_t items_done, int root, const char *rel, const scan_totals *t)
{
    if (fflush(cfg->out) != 0 || fsync(fileno(cfg->out)) != 0)
        return 1;
    off_t off = ftello(cfg->out);
    if (off < 0)
        return 1;
    cp->offset = (uint64_t)off;
    cp->items = items_done;
    cp->root = root;
    snprintf(cp->path, sizeof cp->path, "%s", rel);
    cp->totals = *t;
    char err[512];
    if (checkpoint_save(file, cp, err, sizeof err) != 0) {
        fprintf(stderr, "pmatch scan: checkpoint: %s\n", err);
        return 1;
    }
    return 0;
}

/* --output, and resuming from --checkpoint (the output is cut back to it). 0, or -1 (said why). */
int checkpoint_open_output(scan_config *cfg, const char *output, const char *ckpt_file,
                           const char *db_path, char **roots, int nroots, checkpoint *cp,
                           int *resumed)
{
    *resumed = 0;
    if (ckpt_file) {
        char cerr[512] = "";
        *resumed = checkpoint_load(ckpt_file, cp, cerr, sizeof cerr);
        uint64_t fp = checkpoint_fingerprint(cfg, db_path, roots, nroots);
        if (*resumed < 0) {
            fprintf(stderr, "pmatch scan: cannot resume: %s\n", cerr);
            return -1;
        }
        if (*resumed && cp->fingerprint != fp) {
            fprintf(stderr, "pmatch scan: cannot resume: checkpoint %s was made by a scan with "
                            "other options, list or paths (remove it to start again)\n",
                    ckpt_file);
            return -1;
        }
        if (!*resumed) {
            memset(cp, 0, sizeof *cp);
            cp->root = -1;
        }
        cp->fingerprint = fp;
    }
    if (!output)
        return 0;
    int fd = open(output, O_WRONLY | O_CREAT | O_CLOEXEC | (*resumed ? 0 : O_TRUNC), 0644);
    struct stat ost;
    if (fd >= 0 && *resumed &&
        (fstat(fd, &ost) != 0 || (uint64_t)ost.st_size < cp->offset ||
         ftruncate(fd, (off_t)cp->offset) != 0 || lseek(fd, 0, SEEK_END) < 0)) {
        fprintf(stderr, "pmatch scan: cannot resume: %s is shorter than its checkpoint says "
                        "or cannot be truncated\n", output);
        close(fd);
        return -1;
    }
    if (fd < 0 || !(cfg->out = fdopen(fd, "w"))) {
        fprintf(stderr, "pmatch scan: %s: %s\n", output, strerror(errno));
        if (fd >= 0)
            close(fd);
        cfg->out = stdout;
        return -1;
    }
    return 0;
}
