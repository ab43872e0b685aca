/* pmatch serve: ?url= fetches through cli's bounded, address-guarded fetcher (serve_url.c). */
#ifndef PMATCH_SERVE_URL_H
#define PMATCH_SERVE_URL_H

#include "server.h"

typedef struct url_job url_job;

/* Start fetching url for connection c (which is suspended until the fetch ends, then
 * resumed: MHD calls the handler again). 0 started (*out set), -1 too many fetches at
 * once, -2 no memory or no thread. */
int url_start(srv *s, struct MHD_Connection *c, const char *url, double deadline, url_job **out);
/* 1 once the fetch has finished. */
int url_done(const url_job *j);
/* The fetched bytes (owned by the job), or -1 with a JSON error in r (address_not_allowed
 * 403 with refused_address/refused_class, too_large 413, timeout 504, http_status and
 * connection failures 502, scheme_not_allowed 400). Adds url_* fields to log (may be NULL). */
int url_result(url_job *j, const uint8_t **data, size_t *len, srv_reply *r, json_t *log);
void url_free(url_job *j);
/* Wait (at most seconds) until no fetch thread runs. */
void url_wait_idle(srv *s, double seconds);
/* libcurl's global initialisation (before any thread starts). 0, or -1. */
int url_global_init(void);

#endif
