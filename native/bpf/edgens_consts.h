/* edgens XDP fast path: limits and protocol constants (BPF side and user space share the limits through
 * edgens_structs.h; everything here may be overridden with -D at build time). */
#ifndef EDGENS_CONSTS_H
#define EDGENS_CONSTS_H

/* Answer map capacity per generation (user space may change it before load). */
#ifndef EDGENS_MAX_ANSWERS
#define EDGENS_MAX_ANSWERS 65536
#endif

/* Service addresses (IPv4 + IPv6) we answer for. */
#ifndef EDGENS_MAX_SERVICE_ADDRS
#define EDGENS_MAX_SERVICE_ADDRS 64
#endif

/* Bytes of the question we copy out of the packet: qname (<= 255) + qtype + qclass, rounded up. */
#define EDGENS_QUESTION_COPY 264

/* Largest header + question block we move when growing at the front: VLAN Ethernet + IPv6 + UDP + DNS
 * header + qname + qtype/qclass (18 + 40 + 8 + 12 + 255 + 4 = 337), rounded up. */
#define EDGENS_MOVE_MAX 344
#define EDGENS_MOVE_BUF 352 /* EDGENS_MOVE_MAX + slack for 8-byte reads at any index below it */

/* EDNS options we look through (cookies, padding...): at most this many, in at most this many octets. */
#define EDGENS_MAX_OPTIONS 8
#define EDGENS_OPTIONS_MAX EDGENS_MOVE_MAX
#define EDGENS_OPT_NSID 3   /* RFC 5001: the socket path answers it */
#define EDGENS_OPT_ECS 8    /* RFC 7871: reserved for answers by client subnet, always the socket path's */

/* RFC 1035 limits. */
#define EDGENS_MAX_LABEL 63
#define EDGENS_MAX_QNAME 255

/* Responses without EDNS must fit 512 octets (RFC 1035 §4.2.1). */
#define EDGENS_PLAIN_UDP_MAX 512

/* Size of the OPT pseudo-RR we append: root name, type, class, ttl, rdlen. */
#define EDGENS_OPT_RR_LEN 11

/* Hop limit / TTL of the packets we send. */
#define EDGENS_REPLY_TTL 64

#define EDGENS_ETH_P_IP 0x0800
#define EDGENS_ETH_P_IPV6 0x86DD
#define EDGENS_ETH_P_8021Q 0x8100
#define EDGENS_ETH_P_8021AD 0x88A8
#define EDGENS_IPPROTO_UDP 17

#define EDGENS_DNS_TYPE_OPT 41
#define EDGENS_DNS_TYPE_DS 43
#define EDGENS_DNS_TYPE_RRSIG 46
#define EDGENS_DNS_TYPE_NSEC 47
#define EDGENS_DNS_TYPE_NSEC3 50
#define EDGENS_DNS_CLASS_IN 1

/* Qname hash, FNV-style over 64-bit host-order words of the lower-cased wire qname, zero-padded to a
 * multiple of 8 (mirrored in src/fastpath/answer-codec.ts): h = (h ^ word) * prime. */
#define EDGENS_QHASH_OFFSET 0xcbf29ce484222325ULL
#define EDGENS_QHASH_PRIME 0x100000001b3ULL

/* Names of the zone tables (names map) are hashed by suffix: the same step over the words of each label
 * (its length octet first, zero-padded to a multiple of 8), labels taken from the root up, so one walk over
 * a qname's labels yields the hash of every suffix. */

/* Names per generation in the names map (existing names of NXDOMAIN zones + every zone apex). */
#ifndef EDGENS_MAX_NAMES
#define EDGENS_MAX_NAMES 65536
#endif

/* Source prefixes the rate limiter tracks (LRU: the least recently seen are forgotten first). */
#ifndef EDGENS_RRL_ENTRIES
#define EDGENS_RRL_ENTRIES 65536
#endif
#define EDGENS_RRL_WINDOW_NS 1000000000ULL /* a bucket holds one second of responses */

/* Labels of a qname (255 octets: at most 127 labels). */
#define EDGENS_MAX_LABELS 128

#endif
