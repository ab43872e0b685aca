/*
 * NCMEC hash-sharing XML (the v2 entries API): <image> and <video> entries with
 * <id>, <classification> and <fingerprints> (md5, sha1, pdq; others such as
 * PhotoDNA are not stored), and <deletedImage>/<deletedVideo> entries, which
 * remove: by their fingerprints when they carry them, else by their id (the
 * reference the entry was stored with). Namespaces are ignored, as NCMEC's own
 * client does. The classification becomes the label, the id the reference.
 *
 * libxml2's streaming xmlTextReader keeps memory bounded by one node. Hostile
 * input: no network (XML_PARSE_NONET), no DTD loading, no entity substitution,
 * and any DOCTYPE or entity reference ends the import, so entity expansion
 * ("billion laughs") never happens. Errors are captured, never printed.
 */
#include <libxml/xmlreader.h>
#include <libxml/xmlversion.h>
#include <stddef.h>
#include <threads.h>

#include "lazy.h"

/* libxml2 (and ICU through it) opened on first use (core/lazy.h): only NCMEC imports
 * need it. */
#define LM_XML_SYMBOLS(X) X(xmlFreeTextReader) \
    X(xmlGetLineNo) \
    X(xmlReaderForIO) \
    X(xmlTextReaderConstLocalName) \
    X(xmlTextReaderConstValue) \
    X(xmlTextReaderCurrentNode) \
    X(xmlTextReaderDepth) \
    X(xmlTextReaderGetParserLineNumber) \
    X(xmlTextReaderIsEmptyElement) \
    X(xmlTextReaderNodeType) \
    X(xmlTextReaderRead) \
    X(xmlTextReaderSetStructuredErrorHandler)
static struct lm_xml_table {
#define LM_XML_SLOT(name) __typeof__(name) *name;
    LM_XML_SYMBOLS(LM_XML_SLOT)
#undef LM_XML_SLOT
} xml_fn;
static once_flag xml_once = ONCE_FLAG_INIT;
static int xml_state = -1;
static char xml_msg[200];

static void xml_load_once(void)
{
    static const char *const libs[] = {"libxml2.so.2"};
    static const lm_lazy_sym syms[] = {
#define LM_XML_ENTRY(name) {0, #name, offsetof(struct lm_xml_table, name)},
        LM_XML_SYMBOLS(LM_XML_ENTRY)
#undef LM_XML_ENTRY
    };
    xml_state = lm_lazy_load(libs, 1, 0, syms, sizeof syms / sizeof syms[0], &xml_fn, NULL,
                             xml_msg, sizeof xml_msg);
}

#define xmlFreeTextReader (xml_fn.xmlFreeTextReader)
#define xmlGetLineNo (xml_fn.xmlGetLineNo)
#define xmlReaderForIO (xml_fn.xmlReaderForIO)
#define xmlTextReaderConstLocalName (xml_fn.xmlTextReaderConstLocalName)
#define xmlTextReaderConstValue (xml_fn.xmlTextReaderConstValue)
#define xmlTextReaderCurrentNode (xml_fn.xmlTextReaderCurrentNode)
#define xmlTextReaderDepth (xml_fn.xmlTextReaderDepth)
#define xmlTextReaderGetParserLineNumber (xml_fn.xmlTextReaderGetParserLineNumber)
#define xmlTextReaderIsEmptyElement (xml_fn.xmlTextReaderIsEmptyElement)
#define xmlTextReaderNodeType (xml_fn.xmlTextReaderNodeType)
#define xmlTextReaderRead (xml_fn.xmlTextReaderRead)
#define xmlTextReaderSetStructuredErrorHandler (xml_fn.xmlTextReaderSetStructuredErrorHandler)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

#define XML_MAX_TEXT 512

enum { F_NONE = -1, F_ID, F_CLASS, F_MD5, F_SHA1, F_PDQ, F_OTHER, F_COUNT };

typedef struct xentry {
    int active, deleted, depth;
    uint64_t line;
    int in_fp; /* inside <fingerprints> */
    int field; /* the field whose text is being read */
    char text[F_COUNT][XML_MAX_TEXT + 1];
    size_t len[F_COUNT];
    int have[F_COUNT], cut[F_COUNT];
} xentry;

typedef struct xctx {
    db_reader *r;
    char err[160];
    int err_line;
} xctx;

static int read_cb(void *vctx, char *buf, int len)
{
    xctx *x = vctx;
    size_t n = db_reader_read(x->r, buf, (size_t)len);
    return x->r->error ? -1 : (int)n;
}

static void error_cb(void *vctx, xmlErrorPtr e)
{
    xctx *x = vctx;
    if (x->err[0] || !e)
        return;
    snprintf(x->err, sizeof x->err, "XML: %s", e->message ? e->message : "malformed");
    size_t n = strlen(x->err);
    while (n && (x->err[n - 1] == '\n' || x->err[n - 1] == ' '))
        x->err[--n] = '\0';
    x->err_line = e->line;
}

static int name_is(const xmlChar *n, const char *s)
{
    return n && strcmp((const char *)n, s) == 0;
}

static int emit(db_sink *s, xentry *e)
{
    static const struct {
        int f;
        lm_hash_type t;
    } fps[] = {{F_MD5, LM_HASH_MD5}, {F_SHA1, LM_HASH_SHA1}, {F_PDQ, LM_HASH_PDQ}};
    int op = e->deleted ? DB_OP_REMOVE : DB_OP_ADD, any = 0;
    for (size_t i = 0; i < sizeof fps / sizeof fps[0]; i++) {
        int f = fps[i].f;
        if (!e->have[f])
            continue;
        any = 1;
        if (e->cut[f]) {
            db_sink_bad(s, e->line, "fingerprint is far too long");
            continue;
        }
        if (s->opts->type && s->opts->type != fps[i].t)
            continue; /* an import of one type takes that type's fingerprints */
        const char *h = e->text[f];
        size_t hl = e->len[f];
        while (hl && (*h == ' ' || *h == '\n' || *h == '\r' || *h == '\t'))
            h++, hl--;
        while (hl &&
               (h[hl - 1] == ' ' || h[hl - 1] == '\n' || h[hl - 1] == '\r' || h[hl - 1] == '\t'))
            hl--;
        if (db_sink_hash(s, e->line, op, fps[i].t, h, hl, e->text[F_CLASS], e->len[F_CLASS],
                         e->text[F_ID], e->len[F_ID]) < 0)
            return -1;
    }
    if (any)
        return 0;
    if (e->deleted && e->have[F_ID] && e->len[F_ID]) {
        /* No fingerprints: remove what was stored under this id. */
        return db_sink_ref_removal(s, e->line, e->text[F_ID], e->len[F_ID]);
    }
    if (e->have[F_OTHER])
        db_sink_skipped(s, e->line, "entry has no md5, sha1 or pdq fingerprint: skipped");
    else
        db_sink_bad(s, e->line,
                    e->deleted ? "deleted entry has neither fingerprints nor id"
                               : "entry has no fingerprints");
    return 0;
}

/* The line a node starts on (the parser itself may have read further). */
static uint64_t node_line(xmlTextReaderPtr rd)
{
    xmlNodePtr n = xmlTextReaderCurrentNode(rd);
    long l = n ? xmlGetLineNo(n) : -1;
    if (l <= 0)
        l = xmlTextReaderGetParserLineNumber(rd);
    return (uint64_t)(l > 0 ? l : 1);
}

static int field_of(const xmlChar *name, int in_fp)
{
    if (in_fp)
        return name_is(name, "md5")    ? F_MD5
               : name_is(name, "sha1") ? F_SHA1
               : name_is(name, "pdq")  ? F_PDQ
                                       : F_OTHER;
    return name_is(name, "id") ? F_ID : name_is(name, "classification") ? F_CLASS : F_NONE;
}

int db_parse_ncmec_xml(db_reader *r, db_sink *s)
{
    call_once(&xml_once, xml_load_once);
    if (xml_state != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "ncmec-xml needs libxml2, which could not be loaded: %s",
                 xml_msg);
        db_sink_bad(s, 1, msg);
        return LM_E_IMPORT;
    }
    xctx x = {.r = r};
    xmlTextReaderPtr rd = xmlReaderForIO(read_cb, NULL, &x, NULL, NULL,
                                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_BIG_LINES |
                                             XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!rd)
        return LM_E_NOMEM;
    xmlTextReaderSetStructuredErrorHandler(rd, error_cb, &x);
    xentry *e = calloc(1, sizeof *e);
    if (!e) {
        xmlFreeTextReader(rd);
        return LM_E_NOMEM;
    }
    int st = LM_OK, rc;
    const char *refusal = NULL;
    uint64_t refusal_line = 0;
    while (st == LM_OK && !refusal && (rc = xmlTextReaderRead(rd)) == 1) {
        int type = xmlTextReaderNodeType(rd);
        int depth = xmlTextReaderDepth(rd);
        const xmlChar *name = xmlTextReaderConstLocalName(rd);
        if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
            refusal = "a DOCTYPE is not accepted (no DTDs or entities in hash lists)";
            refusal_line = node_line(rd);
        } else if (type == XML_READER_TYPE_ENTITY_REFERENCE || type == XML_READER_TYPE_ENTITY) {
            refusal = "entity references are not accepted";
            refusal_line = node_line(rd);
        } else if (type == XML_READER_TYPE_ELEMENT) {
            int empty = xmlTextReaderIsEmptyElement(rd);
            if (!e->active) {
                int img = name_is(name, "image") || name_is(name, "video");
                int del = name_is(name, "deletedImage") || name_is(name, "deletedVideo");
                if (img || del) {
                    memset(e, 0, sizeof *e);
                    e->active = 1;
                    e->deleted = del;
                    e->depth = depth;
                    e->field = F_NONE;
                    e->line = node_line(rd);
                    if (empty && emit(s, e) < 0)
                        st = LM_E_NOMEM;
                    if (empty)
                        e->active = 0;
                }
            } else if (depth == e->depth + 1 && name_is(name, "fingerprints")) {
                e->in_fp = !empty;
            } else if (depth == e->depth + 1 + e->in_fp) {
                e->field = field_of(name, e->in_fp);
                if (e->field != F_NONE) {
                    e->have[e->field] = 1;
                    e->len[e->field] = 0;
                    e->text[e->field][0] = '\0';
                }
                if (empty)
                    e->field = F_NONE;
            }
        } else if (type == XML_READER_TYPE_END_ELEMENT && e->active) {
            if (depth == e->depth) {
                e->active = 0;
                if (emit(s, e) < 0)
                    st = LM_E_NOMEM;
            } else if (depth == e->depth + 1 && e->in_fp && name_is(name, "fingerprints")) {
                e->in_fp = 0;
            } else {
                e->field = F_NONE;
            }
        } else if ((type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) &&
                   e->active && e->field != F_NONE) {
            const xmlChar *v = xmlTextReaderConstValue(rd);
            size_t n = v ? strlen((const char *)v) : 0;
            int f = e->field;
            size_t room = XML_MAX_TEXT - e->len[f];
            if (n > room) {
                e->cut[f] = 1;
                n = room;
            }
            memcpy(e->text[f] + e->len[f], v, n);
            e->len[f] += n;
            e->text[f][e->len[f]] = '\0';
        }
    }
    if (st == LM_OK && (refusal || rc < 0 || x.err[0])) {
        int line = x.err_line > 0 ? x.err_line : xmlTextReaderGetParserLineNumber(rd);
        if (refusal)
            db_sink_bad(s, refusal_line, refusal);
        else
            db_sink_bad(s, (uint64_t)(line > 0 ? line : 1), x.err[0] ? x.err : "XML: malformed");
        st = r->error ? LM_E_IO : LM_E_IMPORT;
    }
    r->line_no = (uint64_t)xmlTextReaderGetParserLineNumber(rd);
    if (s->nomem)
        st = LM_E_NOMEM;
    free(e);
    xmlFreeTextReader(rd);
    return st;
}
