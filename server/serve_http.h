/* pmatch serve: the libmicrohttpd callbacks (serve_http.c). */
#ifndef PMATCH_SERVE_HTTP_H
#define PMATCH_SERVE_HTTP_H

#include <microhttpd.h>

#include "server.h"

enum MHD_Result serve_http_handler(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls);
void serve_http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe);

#endif
