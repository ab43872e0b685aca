/* Unit tests of the fetcher's address guard (cli/addr_guard.c): classes, embedded IPv4
 * forms, obfuscated literals, CIDR parsing and the allow decisions, exactly. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr_guard.h"
#include "check.h"

/* The class of a literal (any form addr_parse_literal takes), by name; "bad" if unparsable. */
static const char *class_of(const char *lit)
{
    addr_ip ip;
    if (addr_parse_literal(lit, &ip) != 0)
        return "bad";
    return addr_class_name(addr_classify(&ip));
}

static void expect_class(const char *lit, const char *want, int line)
{
    const char *got = class_of(lit);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "line %d: %s is %s, expected %s\n", line, lit, got, want);
        check_failures++;
    }
}
#define CLASS(lit, want) expect_class(lit, want, __LINE__)

static int allows(const addr_guard *g, const char *lit)
{
    addr_ip ip;
    if (addr_parse_literal(lit, &ip) != 0)
        return -1;
    return addr_guard_allows(g, &ip, NULL);
}

static void expect_literal(const char *lit, const char *text, int line)
{
    addr_ip ip;
    char out[64] = "bad";
    if (addr_parse_literal(lit, &ip) == 0)
        addr_format(&ip, out, sizeof out);
    if (strcmp(out, text) != 0) {
        fprintf(stderr, "line %d: literal %s reads as %s, expected %s\n", line, lit, out, text);
        check_failures++;
    }
}
#define LITERAL(lit, text) expect_literal(lit, text, __LINE__)

int main(void)
{
    /* IPv4 classes. */
    CLASS("8.8.8.8", "public");
    CLASS("1.1.1.1", "public");
    CLASS("127.0.0.1", "loopback");
    CLASS("127.255.255.254", "loopback");
    CLASS("10.1.2.3", "private");
    CLASS("172.16.0.1", "private");
    CLASS("172.31.255.255", "private");
    CLASS("172.32.0.1", "public");
    CLASS("172.15.255.255", "public");
    CLASS("192.168.1.1", "private");
    CLASS("169.254.169.254", "link_local"); /* cloud metadata */
    CLASS("100.64.0.1", "cgnat");
    CLASS("100.127.255.255", "cgnat");
    CLASS("100.128.0.1", "public");
    CLASS("224.0.0.1", "multicast");
    CLASS("239.255.255.250", "multicast");
    CLASS("0.0.0.0", "unspecified");
    CLASS("0.1.2.3", "unspecified");
    CLASS("255.255.255.255", "broadcast");
    CLASS("240.0.0.1", "reserved");
    CLASS("192.0.2.1", "reserved");
    CLASS("198.51.100.7", "reserved");
    CLASS("203.0.113.9", "reserved");
    CLASS("198.18.0.1", "reserved");
    CLASS("192.0.0.8", "reserved");
    CLASS("192.88.99.1", "reserved");

    /* IPv6 classes. */
    CLASS("::1", "loopback");
    CLASS("[::1]", "loopback");
    CLASS("::", "unspecified");
    CLASS("fe80::1%eth0", "link_local");
    CLASS("[fe80::1]", "link_local");
    CLASS("fc00::1", "private");
    CLASS("fd12:3456::1", "private");
    CLASS("fec0::1", "private");
    CLASS("ff02::1", "multicast");
    CLASS("2001:db8::1", "reserved");
    CLASS("100::1", "reserved");
    CLASS("4000::1", "reserved");
    CLASS("2606:4700::1111", "public");
    CLASS("2a00:1450:4001::1", "public");

    /* IPv6 forms that embed an IPv4 address: the IPv4 one decides. */
    CLASS("::ffff:127.0.0.1", "loopback");
    CLASS("[::ffff:127.0.0.1]", "loopback");
    CLASS("::ffff:7f00:1", "loopback");
    CLASS("::ffff:169.254.169.254", "link_local");
    CLASS("::ffff:8.8.8.8", "public");
    CLASS("::ffff:0:10.0.0.1", "private"); /* IPv4-translated */
    CLASS("::127.0.0.1", "loopback");      /* IPv4-compatible */
    CLASS("::8.8.8.8", "reserved");        /* IPv4-compatible, deprecated */
    CLASS("64:ff9b::127.0.0.1", "loopback");
    CLASS("64:ff9b::a9fe:a9fe", "link_local");
    CLASS("64:ff9b::8.8.8.8", "public");
    CLASS("64:ff9b:1::1", "private");
    CLASS("2002:7f00:1::1", "loopback"); /* 6to4 of 127.0.0.1 */
    CLASS("2002:c0a8:101::1", "private");
    CLASS("2002:808:808::1", "public");
    CLASS("2001:0:7f00:1::1", "loopback");         /* Teredo, server 127.0.0.1 */
    CLASS("2001:0:808:808::f5ff:fffe", "private"); /* Teredo, client ~f5ff:fffe = 10.0.0.1 */
    CLASS("2001:0:808:808::f7f7:f7f7", "public");

    /* Obfuscated IPv4 literals read as the resolver would. */
    LITERAL("2130706433", "127.0.0.1");
    LITERAL("0x7f.1", "127.0.0.1");
    LITERAL("0x7f000001", "127.0.0.1");
    LITERAL("017700000001", "127.0.0.1");
    LITERAL("0177.0.0.1", "127.0.0.1");
    LITERAL("127.1", "127.0.0.1");
    LITERAL("[::ffff:127.0.0.1]", "::ffff:127.0.0.1");
    LITERAL("169.254.43518", "169.254.169.254");
    LITERAL("example.test", "bad");
    LITERAL("127.0.0.1 x", "bad");
    LITERAL("[::1", "bad");
    LITERAL("", "bad");
    LITERAL("1.2.3.4.5", "bad");
    CLASS("2130706433", "loopback");
    CLASS("0x7f.1", "loopback");

    /* Socket addresses. */
    struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(8080)};
    inet_pton(AF_INET, "127.0.0.2", &in4.sin_addr);
    addr_ip ip;
    unsigned port = 0;
    CHECK_EQ_INT(addr_from_sockaddr((struct sockaddr *)&in4, sizeof in4, &ip, &port), 0);
    CHECK_EQ_INT(port, 8080);
    CHECK_EQ_INT(ip.v6, 0);
    CHECK_EQ_INT(addr_classify(&ip), ADDR_LOOPBACK);
    CHECK_EQ_INT(addr_from_sockaddr((struct sockaddr *)&in4, sizeof in4 - 1, &ip, &port), -1);
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
    inet_pton(AF_INET6, "::ffff:10.0.0.1", &in6.sin6_addr);
    CHECK_EQ_INT(addr_from_sockaddr((struct sockaddr *)&in6, sizeof in6, &ip, &port), 0);
    CHECK_EQ_INT(port, 443);
    CHECK_EQ_INT(addr_classify(&ip), ADDR_PRIVATE);
    struct sockaddr un = {.sa_family = AF_UNIX};
    CHECK_EQ_INT(addr_from_sockaddr(&un, sizeof un, &ip, &port), -1);

    /* CIDR parsing: strict. */
    addr_net net;
    CHECK_EQ_INT(addr_net_parse("127.0.0.0/8", &net), 0);
    CHECK_EQ_INT(net.prefix, 8);
    CHECK_EQ_INT(addr_net_parse("127.0.0.2", &net), 0);
    CHECK_EQ_INT(net.prefix, 32);
    CHECK_EQ_INT(addr_net_parse("::1", &net), 0);
    CHECK_EQ_INT(net.prefix, 128);
    CHECK_EQ_INT(addr_net_parse("fd00::/8", &net), 0);
    CHECK_EQ_INT(addr_net_parse("0.0.0.0/0", &net), 0);
    CHECK_EQ_INT(addr_net_parse("10.0.0.1/8", &net), -1); /* host bits set */
    CHECK_EQ_INT(addr_net_parse("127.0.0.0/33", &net), -1);
    CHECK_EQ_INT(addr_net_parse("::/129", &net), -1);
    CHECK_EQ_INT(addr_net_parse("127.0.0.0/", &net), -1);
    CHECK_EQ_INT(addr_net_parse("127.0.0.0/+8", &net), -1);
    CHECK_EQ_INT(addr_net_parse("127.0.0.0/0008", &net), -1);
    CHECK_EQ_INT(addr_net_parse("0x7f.1/32", &net), -1); /* dotted quad only here */
    CHECK_EQ_INT(addr_net_parse("2130706433", &net), -1);
    CHECK_EQ_INT(addr_net_parse("", &net), -1);
    CHECK_EQ_INT(addr_net_parse("localhost", &net), -1);
    CHECK_EQ_INT(addr_net_parse(NULL, &net), -1);

    /* Decisions: the default guard allows public addresses only. */
    addr_guard g;
    addr_guard_init(&g);
    CHECK_EQ_INT(allows(&g, "8.8.8.8"), 1);
    CHECK_EQ_INT(allows(&g, "2606:4700::1111"), 1);
    static const char *const refused[] = {"127.0.0.1",
                                          "2130706433",
                                          "0x7f.1",
                                          "::ffff:127.0.0.1",
                                          "::1",
                                          "10.0.0.1",
                                          "169.254.169.254",
                                          "100.64.0.1",
                                          "fd00::1",
                                          "fe80::1",
                                          "0.0.0.0",
                                          "::",
                                          "224.0.0.1",
                                          "255.255.255.255",
                                          "64:ff9b::127.0.0.1",
                                          "2002:7f00:1::1"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (allows(&g, refused[i]) != 0) {
            fprintf(stderr, "default guard allows %s\n", refused[i]);
            check_failures++;
        }

    /* --allow-net: exactly the networks listed (IPv4 nets also cover the mapped form). */
    CHECK_EQ_INT(addr_guard_allow_net(&g, "127.0.0.2/32"), 0);
    CHECK_EQ_INT(allows(&g, "127.0.0.2"), 1);
    CHECK_EQ_INT(allows(&g, "::ffff:127.0.0.2"), 1);
    CHECK_EQ_INT(allows(&g, "127.0.0.1"), 0);
    CHECK_EQ_INT(allows(&g, "::1"), 0);
    CHECK_EQ_INT(allows(&g, "10.0.0.1"), 0);
    CHECK_EQ_INT(addr_guard_allow_net(&g, "fd00::/8"), 0);
    CHECK_EQ_INT(allows(&g, "fd12::1"), 1);
    CHECK_EQ_INT(allows(&g, "fe80::1"), 0);
    CHECK_EQ_INT(addr_guard_allow_net(&g, "nonsense"), -1);
    addr_guard full;
    addr_guard_init(&full);
    for (int i = 0; i < ADDR_GUARD_MAX_NETS; i++)
        CHECK_EQ_INT(addr_guard_allow_net(&full, "10.0.0.0/8"), 0);
    CHECK_EQ_INT(addr_guard_allow_net(&full, "10.0.0.0/8"), -2);

    /* --allow-private: every class but unspecified, multicast and broadcast. */
    addr_guard p;
    addr_guard_init(&p);
    p.allow_private = 1;
    CHECK_EQ_INT(allows(&p, "127.0.0.1"), 1);
    CHECK_EQ_INT(allows(&p, "::1"), 1);
    CHECK_EQ_INT(allows(&p, "10.0.0.1"), 1);
    CHECK_EQ_INT(allows(&p, "169.254.169.254"), 1);
    CHECK_EQ_INT(allows(&p, "100.64.0.1"), 1);
    CHECK_EQ_INT(allows(&p, "198.18.0.1"), 1);
    CHECK_EQ_INT(allows(&p, "0.0.0.0"), 0);
    CHECK_EQ_INT(allows(&p, "::"), 0);
    CHECK_EQ_INT(allows(&p, "224.0.0.1"), 0);
    CHECK_EQ_INT(allows(&p, "255.255.255.255"), 0);
    /* ... unless a network lists them explicitly. */
    CHECK_EQ_INT(addr_guard_allow_net(&p, "0.0.0.0/32"), 0);
    CHECK_EQ_INT(allows(&p, "0.0.0.0"), 1);

    return check_report("test_addr_guard");
}
