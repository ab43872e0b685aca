/*
 * libxml2 (libxml2.so.2) for the media of HTML pages. xmlFree is a variable: its slot holds its address.
 * Included after the library's headers: its names below call through the table that
 * cli/lazy_lib.c fills on first use (dlopen), so that `pmatch hash` and local scans
 * never load it (issue 17). Every entry point calls its pmatch_load_* first.
 */
#ifndef PMATCH_LAZY_HTML_H
#define PMATCH_LAZY_HTML_H

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/globals.h>

#define PM_XML_SYMBOLS(X) \
    X(0, htmlCreateMemoryParserCtxt) \
    X(0, htmlCtxtUseOptions) \
    X(0, htmlFreeParserCtxt) \
    X(0, htmlParseDocument) \
    X(0, xmlFree) \
    X(0, xmlFreeDoc) \
    X(0, xmlInitParser) \
    X(0, xmlSetGenericErrorFunc) \
    X(0, xmlSetStructuredErrorFunc) \
    X(0, xmlStopParser)

typedef struct pm_xml_table {
#define PM_XML_SLOT(lib, name) __typeof__(name) *name;
    PM_XML_SYMBOLS(PM_XML_SLOT)
#undef PM_XML_SLOT
} pm_xml_table;

extern pm_xml_table pm_xml_fn;

#ifndef PM_XML_NO_REMAP
#define htmlCreateMemoryParserCtxt (pm_xml_fn.htmlCreateMemoryParserCtxt)
#define htmlCtxtUseOptions (pm_xml_fn.htmlCtxtUseOptions)
#define htmlFreeParserCtxt (pm_xml_fn.htmlFreeParserCtxt)
#define htmlParseDocument (pm_xml_fn.htmlParseDocument)
#define xmlFree (*pm_xml_fn.xmlFree)
#define xmlFreeDoc (pm_xml_fn.xmlFreeDoc)
#define xmlInitParser (pm_xml_fn.xmlInitParser)
#define xmlSetGenericErrorFunc (pm_xml_fn.xmlSetGenericErrorFunc)
#define xmlSetStructuredErrorFunc (pm_xml_fn.xmlSetStructuredErrorFunc)
#define xmlStopParser (pm_xml_fn.xmlStopParser)
#endif

#endif
