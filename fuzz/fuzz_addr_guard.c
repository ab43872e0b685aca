/*
 * libFuzzer harness: the fetcher's address guard (cli/addr_guard.c). The input is text:
 * lines of --allow-net networks, literals and raw addresses. Checks invariants besides
 * memory safety: a parsed network contains its own address and its text form parses back
 * to it; a literal's text form parses back to the same address and class; an IPv4-mapped
 * address has the class of its IPv4 address; the guard allows every public address, and a
 * non-public one only when a listed network contains it or --allow-private covers it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/addr_guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ip(const addr_guard *g, const addr_ip *ip)
{
    addr_class c;
    int ok = addr_guard_allows(g, ip, &c);
    if (c != addr_classify(ip) || (unsigned)c > ADDR_RESERVED)
        abort();
    if (c == ADDR_PUBLIC && !ok)
        abort();
    if (ok && c != ADDR_PUBLIC) {
        int listed = 0;
        for (size_t i = 0; i < g->nnets; i++)
            listed |= addr_net_contains(&g->nets[i], ip);
        int priv =
            g->allow_private && c != ADDR_UNSPECIFIED && c != ADDR_MULTICAST && c != ADDR_BROADCAST;
        if (!listed && !priv)
            abort();
    }
    char text[64];
    addr_format(ip, text, sizeof text);
    addr_ip back;
    if (addr_parse_literal(text, &back) != 0 || back.v6 != ip->v6 ||
        memcmp(back.b, ip->b, ip->v6 ? 16 : 4) != 0)
        abort();
    if (!ip->v6) { /* the IPv4-mapped form classifies as the IPv4 address */
        addr_ip m = {.v6 = 1};
        m.b[10] = m.b[11] = 0xff;
        memcpy(m.b + 12, ip->b, 4);
        if (addr_classify(&m) != c)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    addr_guard g;
    addr_guard_init(&g);
    g.allow_private = size > 0 && (data[0] & 1);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = malloc(len + 1);
        if (!line)
            return 0;
        memcpy(line, p, len);
        line[len] = 0;
        p += len + (nl ? 1 : 0);
        addr_net net;
        if (addr_net_parse(line, &net) == 0) {
            if (!addr_net_contains(&net, &net.ip) || net.prefix > (net.ip.v6 ? 128u : 32u))
                abort();
            addr_guard_allow_net(&g, line);
        }
        addr_ip ip;
        if (addr_parse_literal(line, &ip) == 0)
            check_ip(&g, &ip);
        if (len == 4 || len == 16) { /* raw bytes as an address */
            addr_ip raw = {.v6 = len == 16};
            memcpy(raw.b, line, len);
            check_ip(&g, &raw);
        }
        free(line);
    }
    return 0;
}
