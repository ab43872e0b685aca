#include "addr_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

const char *addr_class_name(addr_class c)
{
    switch (c) {
    case ADDR_PUBLIC: return "public";
    case ADDR_LOOPBACK: return "loopback";
    case ADDR_PRIVATE: return "private";
    case ADDR_LINK_LOCAL: return "link_local";
    case ADDR_CGNAT: return "cgnat";
    case ADDR_MULTICAST: return "multicast";
    case ADDR_UNSPECIFIED: return "unspecified";
    case ADDR_BROADCAST: return "broadcast";
    case ADDR_RESERVED: return "reserved";
    }
    return "reserved";
}

void addr_guard_init(addr_guard *g)
{
    memset(g, 0, sizeof *g);
}

/* 1 when the first bits of a and b (byte arrays) agree. */
static int prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

static int v4_in(const uint8_t *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3, unsigned bits)
{
    const uint8_t net[4] = {b0, b1, b2, b3};
    return prefix_eq(a, net, bits);
}

static addr_class classify_v4(const uint8_t *a)
{
    if (a[0] == 0)
        return ADDR_UNSPECIFIED; /* 0/8: "this network"; 0.0.0.0 connects to the local host */
    if (a[0] == 127)
        return ADDR_LOOPBACK;
    if (a[0] == 10 || v4_in(a, 172, 16, 0, 0, 12) || v4_in(a, 192, 168, 0, 0, 16))
        return ADDR_PRIVATE;
    if (v4_in(a, 169, 254, 0, 0, 16))
        return ADDR_LINK_LOCAL;
    if (v4_in(a, 100, 64, 0, 0, 10))
        return ADDR_CGNAT;
    if (a[0] >= 224 && a[0] <= 239)
        return ADDR_MULTICAST;
    if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
        return ADDR_BROADCAST;
    if (a[0] >= 240 ||                   /* 240/4, future use */
        v4_in(a, 192, 0, 0, 0, 24) ||    /* IETF protocol assignments */
        v4_in(a, 192, 0, 2, 0, 24) ||    /* TEST-NET-1 */
        v4_in(a, 192, 88, 99, 0, 24) ||  /* 6to4 relay anycast (deprecated) */
        v4_in(a, 198, 18, 0, 0, 15) ||   /* benchmarking */
        v4_in(a, 198, 51, 100, 0, 24) || /* TEST-NET-2 */
        v4_in(a, 203, 0, 113, 0, 24))    /* TEST-NET-3 */
        return ADDR_RESERVED;
    return ADDR_PUBLIC;
}

static const uint8_t zero16[16];

/* An IPv6 address's embedded IPv4 class, at least `floor` when the IPv4 one is public. */
static addr_class embedded(const uint8_t *v4, addr_class floor)
{
    addr_class c = classify_v4(v4);
    return c == ADDR_PUBLIC ? floor : c;
}

static addr_class classify_v6(const uint8_t *a)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t translated[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
    static const uint8_t discard[8] = {1, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(a, zero16, 16) == 0)
        return ADDR_UNSPECIFIED;
    if (memcmp(a, zero16, 15) == 0 && a[15] == 1)
        return ADDR_LOOPBACK;
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, translated, 12) == 0)
        return classify_v4(a + 12); /* ::ffff:a.b.c.d, ::ffff:0:a.b.c.d: the IPv4 host */
    if (memcmp(a, zero16, 12) == 0)
        return embedded(a + 12, ADDR_RESERVED); /* ::a.b.c.d, IPv4-compatible (deprecated) */
    if (memcmp(a, nat64, 12) == 0)
        return classify_v4(a + 12); /* 64:ff9b::a.b.c.d: a NAT64 gateway reaches the IPv4 one */
    if (memcmp(a, nat64_local, 6) == 0)
        return ADDR_PRIVATE; /* 64:ff9b:1::/48, local-use NAT64 */
    if (a[0] == 0xff)
        return ADDR_MULTICAST;
    if ((a[0] & 0xfe) == 0xfc)
        return ADDR_PRIVATE; /* fc00::/7, unique local (RFC 4193) */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return ADDR_LINK_LOCAL; /* fe80::/10 */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
        return ADDR_PRIVATE; /* fec0::/10, site-local (deprecated) */
    if (a[0] == 0x20 && a[1] == 0x02)
        return embedded(a + 2, ADDR_PUBLIC); /* 2002:V4::/48, 6to4 */
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) {
        /* 2001::/32 Teredo: server IPv4 in bytes 4..7, the client's inverted in 12..15. */
        uint8_t client[4] = {(uint8_t)~a[12], (uint8_t)~a[13], (uint8_t)~a[14], (uint8_t)~a[15]};
        addr_class c = embedded(a + 4, ADDR_PUBLIC);
        return c != ADDR_PUBLIC ? c : embedded(client, ADDR_PUBLIC);
    }
    if (memcmp(a, discard, 8) == 0)
        return ADDR_RESERVED; /* 100::/64, discard-only */
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
        return ADDR_RESERVED; /* 2001:db8::/32, documentation */
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && (a[3] & 0xe0) == 0)
        return ADDR_RESERVED; /* 2001::/23, IETF protocol assignments (benchmarking, ORCHID) */
    if (a[0] == 0x3f && (a[1] & 0xf0) == 0xf0)
        return ADDR_RESERVED; /* 3fff::/20, documentation */
    if ((a[0] & 0xe0) != 0x20)
        return ADDR_RESERVED; /* outside 2000::/3, the global unicast space */
    return ADDR_PUBLIC;
}

addr_class addr_classify(const addr_ip *ip)
{
    return ip->v6 ? classify_v6(ip->b) : classify_v4(ip->b);
}

int addr_from_sockaddr(const struct sockaddr *sa, size_t len, addr_ip *out, unsigned *port)
{
    memset(out, 0, sizeof *out);
    if (!sa || len < sizeof(sa_family_t))
        return -1;
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in in;
        memcpy(&in, sa, sizeof in);
        memcpy(out->b, &in.sin_addr, 4);
        if (port)
            *port = ntohs(in.sin_port);
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        out->v6 = 1;
        memcpy(out->b, &in6.sin6_addr, 16);
        if (port)
            *port = ntohs(in6.sin6_port);
        return 0;
    }
    return -1;
}

int addr_parse_literal(const char *host, addr_ip *out)
{
    memset(out, 0, sizeof *out);
    if (!host || !*host)
        return -1;
    char buf[64];
    size_t n = strlen(host);
    if (host[0] == '[') {
        if (n < 3 || host[n - 1] != ']')
            return -1;
        host++;
        n -= 2;
    }
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, host, n);
    buf[n] = 0;
    if (memchr(buf, ':', n)) {
        char *zone = strchr(buf, '%');
        if (zone)
            *zone = 0;
        struct in6_addr a6;
        if (inet_pton(AF_INET6, buf, &a6) != 1)
            return -1;
        out->v6 = 1;
        memcpy(out->b, &a6, 16);
        return 0;
    }
    /* inet_aton takes the numeric forms resolvers and URL parsers accept; it also accepts
     * trailing text after a blank, which a host never has. */
    if (strpbrk(buf, " \t\n\r\f\v"))
        return -1;
    struct in_addr a4;
    if (inet_aton(buf, &a4) == 0)
        return -1;
    memcpy(out->b, &a4, 4);
    return 0;
}

static int parse_prefix(const char *s, unsigned max, unsigned *out)
{
    if (!*s || strlen(s) > 3)
        return -1;
    unsigned v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int addr_net_parse(const char *s, addr_net *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return -1;
    char buf[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n + 1);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = 0;
    if (strchr(buf, ':')) {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, buf, &a6) != 1)
            return -1;
        out->ip.v6 = 1;
        memcpy(out->ip.b, &a6, 16);
        out->prefix = 128;
    } else {
        struct in_addr a4;
        if (inet_pton(AF_INET, buf, &a4) != 1) /* dotted quad only */
            return -1;
        memcpy(out->ip.b, &a4, 4);
        out->prefix = 32;
    }
    if (slash && parse_prefix(slash + 1, out->prefix, &out->prefix) != 0)
        return -1;
    /* No bits set beyond the prefix: "10.0.0.1/8" is a typo for a host or for 10.0.0.0/8. */
    unsigned len = out->ip.v6 ? 16 : 4;
    for (unsigned bit = out->prefix; bit < len * 8; bit++)
        if (out->ip.b[bit / 8] & (0x80 >> (bit % 8)))
            return -1;
    return 0;
}

int addr_guard_allow_net(addr_guard *g, const char *cidr)
{
    addr_net net;
    if (addr_net_parse(cidr, &net) != 0)
        return -1;
    if (g->nnets >= ADDR_GUARD_MAX_NETS)
        return -2;
    g->nets[g->nnets++] = net;
    return 0;
}

int addr_net_contains(const addr_net *net, const addr_ip *ip)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (net->ip.v6 == ip->v6)
        return prefix_eq(net->ip.b, ip->b, net->prefix);
    if (!net->ip.v6 && ip->v6 && memcmp(ip->b, mapped, 12) == 0)
        return prefix_eq(net->ip.b, ip->b + 12, net->prefix);
    return 0;
}

int addr_guard_allows(const addr_guard *g, const addr_ip *ip, addr_class *cls)
{
    addr_class c = addr_classify(ip);
    if (cls)
        *cls = c;
    if (c == ADDR_PUBLIC)
        return 1;
    for (size_t i = 0; i < g->nnets; i++)
        if (addr_net_contains(&g->nets[i], ip))
            return 1;
    return g->allow_private && c != ADDR_UNSPECIFIED && c != ADDR_MULTICAST && c != ADDR_BROADCAST;
}

void addr_format(const addr_ip *ip, char *out, size_t cap)
{
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(ip->v6 ? AF_INET6 : AF_INET, ip->b, buf, sizeof buf))
        buf[0] = 0;
    snprintf(out, cap, "%s", buf);
}
