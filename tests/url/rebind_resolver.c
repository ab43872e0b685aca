/*
 * A test resolver for the DNS-rebinding test (LD_PRELOAD into pmatch): getaddrinfo for the
 * name in LM_REBIND_NAME answers with the IPv4 addresses of LM_REBIND_ANSWERS
 * ("127.0.0.2,127.0.0.1"), one per call in turn, as a rebinding DNS server answers: first an
 * allowed address, then a refused one. Every other name goes to the real resolver. Only
 * loopback answers are given (any other configured answer is replaced by 127.0.0.1), so the
 * test can never reach beyond the host.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

static atomic_uint calls;

/* The answer for call number n: the n-th (cyclically) of the comma-separated list. */
static int answer(unsigned n, struct in_addr *out)
{
    const char *list = getenv("LM_REBIND_ANSWERS");
    if (!list || !*list)
        return -1;
    size_t count = 1;
    for (const char *p = list; *p; p++)
        count += *p == ',';
    size_t want = n % count;
    const char *p = list;
    for (size_t i = 0; i < want; i++)
        p = strchr(p, ',') + 1;
    char buf[32];
    size_t len = strcspn(p, ",");
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, p, len);
    buf[len] = 0;
    if (inet_pton(AF_INET, buf, out) != 1 || (ntohl(out->s_addr) >> 24) != 127)
        out->s_addr = htonl(INADDR_LOOPBACK);
    return 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    const char *name = getenv("LM_REBIND_NAME");
    if (!node || !name || strcasecmp(node, name) != 0) {
        union {
            void *p;
            gai_fn f;
        } real = {.p = dlsym(RTLD_NEXT, "getaddrinfo")}; /* POSIX: a data pointer to a function */
        return real.p ? real.f(node, service, hints, res) : EAI_FAIL;
    }
    if (hints && hints->ai_family == AF_INET6)
        return EAI_NONAME;
    struct in_addr a;
    if (answer(atomic_fetch_add(&calls, 1), &a) != 0)
        return EAI_FAIL;
    /* One block per node, as glibc allocates them, so glibc's freeaddrinfo frees it. */
    struct block {
        struct addrinfo ai;
        struct sockaddr_in sin;
    } *b = calloc(1, sizeof *b);
    if (!b)
        return EAI_MEMORY;
    b->sin.sin_family = AF_INET;
    b->sin.sin_addr = a;
    b->sin.sin_port = htons(service ? (uint16_t)strtoul(service, NULL, 10) : 0);
    b->ai.ai_family = AF_INET;
    b->ai.ai_socktype = hints && hints->ai_socktype ? hints->ai_socktype : SOCK_STREAM;
    b->ai.ai_protocol = IPPROTO_TCP;
    b->ai.ai_addrlen = sizeof b->sin;
    b->ai.ai_addr = (struct sockaddr *)&b->sin;
    *res = &b->ai;
    return 0;
}
