/*
 * The address guard of the URL fetcher: which server addresses pmatch may connect to.
 * A pure module (no network, no libcurl): it classifies an IPv4/IPv6 address (loopback,
 * private, link-local, CGNAT, multicast, ...), looks through the IPv6 forms that embed an
 * IPv4 address (mapped, compatible, NAT64, 6to4, Teredo), and decides against the options
 * (--allow-private, --allow-net CIDR). fetch.c applies it to the address of every socket
 * libcurl opens (CURLOPT_OPENSOCKETFUNCTION), so what is checked is what is connected to.
 */
#ifndef PMATCH_ADDR_GUARD_H
#define PMATCH_ADDR_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Why an address is not public. ADDR_PUBLIC: a globally routable unicast address. */
typedef enum addr_class {
    ADDR_PUBLIC = 0,
    ADDR_LOOPBACK,    /* 127/8, ::1 */
    ADDR_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48 */
    ADDR_LINK_LOCAL,  /* 169.254/16 (cloud metadata 169.254.169.254), fe80::/10 */
    ADDR_CGNAT,       /* 100.64/10 (RFC 6598) */
    ADDR_MULTICAST,   /* 224/4, ff00::/8 */
    ADDR_UNSPECIFIED, /* 0/8 ("this network": 0.0.0.0 reaches the local host), :: */
    ADDR_BROADCAST,   /* 255.255.255.255 */
    ADDR_RESERVED,    /* documentation, benchmarking, IETF, 240/4, IPv6 outside 2000::/3 ... */
} addr_class;

/* "public", "loopback", "private", "link_local", "cgnat", "multicast", "unspecified",
 * "broadcast", "reserved". */
const char *addr_class_name(addr_class c);

/* An address: 4 bytes (v6 == 0) or 16 bytes (v6 == 1), network order. */
typedef struct addr_ip {
    int v6;
    uint8_t b[16];
} addr_ip;

/* A network: an address and a prefix length (0..32 or 0..128). */
typedef struct addr_net {
    addr_ip ip;
    unsigned prefix;
} addr_net;

#define ADDR_GUARD_MAX_NETS 64

typedef struct addr_guard {
    int allow_private; /* --allow-private: every class but unspecified, multicast, broadcast */
    size_t nnets;
    addr_net nets[ADDR_GUARD_MAX_NETS]; /* --allow-net: allowed whatever their class */
} addr_guard;

/* The default guard: public addresses only. */
void addr_guard_init(addr_guard *g);

/* Parse "A.B.C.D/N", "IPV6/N" or a single address (a /32 or /128), strictly (dotted-quad
 * decimal IPv4, no zone id, no host bits set beyond the prefix). 0, or -1. */
int addr_net_parse(const char *s, addr_net *out);

/* Add an --allow-net network: 0, -1 when unparsable, -2 when the list is full. */
int addr_guard_allow_net(addr_guard *g, const char *cidr);

/* The address (and port) of an AF_INET/AF_INET6 socket address of len bytes; 0, or -1
 * (another family, or too short). */
int addr_from_sockaddr(const struct sockaddr *sa, size_t len, addr_ip *out, unsigned *port);

/*
 * Parse a host as a URL or libcurl gives it: an IPv6 literal with or without brackets
 * (a zone id "%eth0" is ignored), or an IPv4 address in any form inet_aton accepts
 * (2130706433, 0x7f.1, 017700000001, 127.1). 0, or -1 when it is not an IP literal.
 */
int addr_parse_literal(const char *host, addr_ip *out);

/* The class of an address, looking through IPv6 forms that embed an IPv4 address. */
addr_class addr_classify(const addr_ip *ip);

/* 1 when ip lies in net (an IPv4-mapped IPv6 address also matches IPv4 networks). */
int addr_net_contains(const addr_net *net, const addr_ip *ip);

/* 1 when the guard allows ip; *cls (may be NULL) receives its class either way. */
int addr_guard_allows(const addr_guard *g, const addr_ip *ip, addr_class *cls);

/* Text form ("127.0.0.1", "::ffff:127.0.0.1") into out (at least 46 bytes). */
void addr_format(const addr_ip *ip, char *out, size_t cap);

#endif
