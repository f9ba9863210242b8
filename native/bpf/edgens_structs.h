/* The only header shared between the XDP program and user space. Every struct has a fixed layout with
 * explicit padding; src/fastpath/layout.ts mirrors it and test/fastpath/layout.test.ts checks offsets. */
#ifndef EDGENS_STRUCTS_H
#define EDGENS_STRUCTS_H

#include <linux/types.h>

#define EDGENS_QNAME_BUF 256 /* wire qname (<= 255) zero-padded */
#ifndef EDGENS_BODY_MAX
#define EDGENS_BODY_MAX 1024 /* answer/authority/additional bytes after the question */
#endif

/* edgens_answer_key.flags */
#define EDGENS_KEY_F_DO 0x01 /* query had EDNS with DO=1 */

/* edgens_answer.opt_flags */
#define EDGENS_ANS_F_OPT 0x01 /* append our OPT when the query had one (else such queries are passed) */

/* edgens_config.flags */
#define EDGENS_CFG_F_ENABLED 0x01 /* answer at all (off: every packet is passed) */
#define EDGENS_CFG_F_IGNORE_OPTIONS 0x02 /* answer queries whose EDNS options the socket path ignores too */
#define EDGENS_CFG_F_NXDOMAIN 0x04 /* answer NXDOMAIN from the zone tables (names and zones maps) */

/* Negative answers: zones per generation (id 0 unused), compression pointers and forbidden labels per zone. */
#define EDGENS_MAX_ZONES 256
#define EDGENS_NEG_PTRS 4
#define EDGENS_FORBID 2
#define EDGENS_LABEL_BUF 64

/* edgens_name.flags */
#define EDGENS_NAME_F_APEX 0x01 /* the name is the apex of zone `zone` (key.zone is 0) */
#define EDGENS_NAME_F_CUT 0x02  /* a delegation point of key.zone: names below get referrals */
#define EDGENS_NAME_F_WILD 0x04 /* owns a `*` child: a missing name right below gets wildcard data (RFC 4592) */

/* edgens_zone.flags */
#define EDGENS_ZONE_F_NX 0x01       /* answer NXDOMAIN for names proven not to exist (no DNAME) */
#define EDGENS_ZONE_F_SIGNED 0x02   /* DNSSEC-signed: DO=1 queries need denial proofs, pass them */
#define EDGENS_ZONE_F_SUBZONES 0x04 /* another zone (served or unavailable) lies below: keep looking for apexes */

/* Key of the answer maps: hash of the lower-cased wire qname, its length, qtype and DO. */
struct edgens_answer_key {
	__u64 hash;      /* word hash of the lower-cased wire qname (edgens_consts.h) */
	__u16 qtype;     /* host order */
	__u8 qname_len;  /* wire length incl. the root label (1..255) */
	__u8 flags;      /* EDGENS_KEY_F_* */
	__u32 pad;       /* zero */
};

/* A precompiled answer. The question is echoed from the query; the body follows it, with names compressed
 * against offset 12 (the qname in the question). */
struct edgens_answer {
	__u16 flags;      /* header flags word to send (QR, AA, rcode...); RD and CD are copied from the query */
	__u16 ancount;
	__u16 nscount;
	__u16 arcount;    /* additional records in body, not counting the OPT we append */
	__u16 body_len;   /* bytes used in body */
	__u16 body_sum;   /* folded 16-bit one's-complement sum of body as if it started at an even offset */
	__u8 qname_len;   /* must equal the key's qname_len */
	__u8 opt_flags;   /* EDGENS_ANS_F_* */
	__u8 pad[6];      /* zero */
	__u8 qname[EDGENS_QNAME_BUF]; /* lower-cased wire qname, zero-padded: verified against the query */
	__u8 body[EDGENS_BODY_MAX];
};

/* Runtime configuration, entry 0 of the config array. */
struct edgens_config {
	__u16 port;          /* UDP port we answer on (host order) */
	__u16 edns_udp_size; /* our EDNS UDP payload size (sent in OPT, caps response size) */
	__u8 generation;     /* which answer map is live: 0 -> answers_0, 1 -> answers_1 */
	__u8 flags;          /* EDGENS_CFG_F_* */
	__u8 rrl_slip;       /* RRL: every slip-th over-limit response is sent truncated (TC=1, empty); 0 = drop all */
	__u8 pad;            /* zero */
	__u32 rrl_interval;  /* RRL: ns per response and source prefix (1e9 / responses per second); 0 = off */
	__u32 pad2;          /* zero */
};

/* Response rate limiting: one token bucket (GCRA) per source prefix, /24 for IPv4 and /56 for IPv6. */
struct edgens_rrl_key {
	__u8 family;    /* 4 or 6 */
	__u8 pad[7];    /* zero */
	__u8 prefix[8]; /* IPv4: 3 octets, IPv6: 7 octets, rest zero */
};

struct edgens_rrl {
	__u64 tat;  /* theoretical arrival time (ns, bpf_ktime_get_ns): a response fits while tat + interval - now <= 1 s */
	__u32 over; /* responses over the limit so far (slip counter) */
	__u32 pad;
};

/* Key of the service address set. IPv4 addresses use addr[0..3] with the rest zero. */
struct edgens_addr_key {
	__u8 family; /* 4 or 6 */
	__u8 pad[3]; /* zero */
	__u8 addr[16];
};

/* Service addresses also sit in an array (its lookups are inlined, a hash lookup is a call): slot
 * EDGENS_SERVICE_SLOT(w) where w is the address's first 32-bit host-order word (IPv4) or the XOR of its four
 * (IPv6). An address whose slot is taken stays in the hash only, and the slot is flagged MORE. */
#define EDGENS_SERVICE_SLOTS 256
#define EDGENS_SERVICE_SLOT(w) (((__u32)((__u32)(w) * 0x9E3779B1u)) >> 24)
#define EDGENS_SLOT_F_MORE 0x01 /* other service addresses hash here: look in service_addrs */

struct edgens_service_slot {
	struct edgens_addr_key addr; /* family 0: empty */
	__u8 flags;                  /* EDGENS_SLOT_F_* */
	__u8 pad[3];                 /* zero */
};

/* Key of the names map: a name of a zone (or a zone apex) by its suffix hash (labels right to left). */
struct edgens_name_key {
	__u64 hash; /* suffix hash of the lower-cased wire name (edgens_consts.h) */
	__u16 zone; /* zone id the name exists in; 0 for apex entries */
	__u8 len;   /* wire length incl. the root label (1..255) */
	__u8 gen;   /* answer generation 0/1 (config.generation) */
	__u32 pad;  /* zero */
};

struct edgens_name {
	__u16 zone; /* apex entries: the zone's id */
	__u8 flags; /* EDGENS_NAME_F_* */
	__u8 pad;   /* zero */
};

/* edgens_nodata.flags: for which DO bit every type of the name has an answer entry (a miss is "no such type"). */
#define EDGENS_NODATA_F_DO0 0x01
#define EDGENS_NODATA_F_DO1 0x02

/* Key of the nodata map: an existing name of an NX zone, by the answer maps' qname hash. */
struct edgens_nodata_key {
	__u64 hash;     /* word hash of the lower-cased wire qname, as in edgens_answer_key */
	__u8 qname_len; /* wire length incl. the root label (1..255) */
	__u8 gen;       /* answer generation 0/1 (config.generation) */
	__u8 pad[6];    /* zero */
};

/* A name answered NODATA (the zone's negative body, rcode NOERROR) for types it does not have. User space
 * lists only names that are no cut, no CNAME owner, in no deeper zone, and whose label right below the apex
 * is not a forbidden one; the program verifies the full name (hash collisions never answer). */
struct edgens_nodata {
	__u16 zone;      /* zone id (zones map) */
	__u8 flags;      /* EDGENS_NODATA_F_* */
	__u8 qname_len;  /* must equal the key's */
	__u8 pad[4];     /* zero */
	__u8 qname[EDGENS_QNAME_BUF]; /* lower-cased wire qname, zero-padded */
};

/* One zone of the negative-answer tables, index gen * EDGENS_MAX_ZONES + id of the zones array. Entry 0 of a
 * generation is its summary: flags EDGENS_ZONE_F_NX when any zone answers NXDOMAIN, apex_len = the shortest
 * apex (shorter suffixes of a qname are not looked up). The body is
 * the authority section of an NXDOMAIN (the apex SOA with the negative TTL) as the socket path writes it for
 * a qname of length n: each compression pointer i is 0xc000 | (ptr_base[i] + n), written over the zeros at
 * ptr_off[i]. Valid unless the qname's label right below the apex equals a forbidden label (the first label
 * below the apex of the SOA MNAME/RNAME), which would change the compression. */
struct edgens_zone {
	__u8 flags;     /* EDGENS_ZONE_F_* */
	__u8 apex_len;  /* wire length of the apex */
	__u8 nptr;      /* pointers in body (<= EDGENS_NEG_PTRS) */
	__u8 pad0;
	__u16 body_len; /* bytes used in body */
	__u16 body_sum; /* folded one's-complement sum of body (pointer slots zero) as if at an even offset */
	__u16 ptr_off[EDGENS_NEG_PTRS];
	__u16 ptr_base[EDGENS_NEG_PTRS];
	__u8 forbid_len[EDGENS_FORBID]; /* wire label length incl. its length octet; 0 = unused */
	__u8 pad1[6];
	__u8 forbid[EDGENS_FORBID][EDGENS_LABEL_BUF]; /* lower-cased, zero-padded */
	__u8 apex[EDGENS_QNAME_BUF];                  /* lower-cased wire apex, zero-padded: verified per answer */
	__u8 body[EDGENS_BODY_MAX];
};

/* Per-CPU counters, indexes of the counters array. Names mirrored in src/fastpath/counters.ts. */
enum edgens_counter {
	EDGENS_C_SEEN = 0,        /* packets the program saw */
	EDGENS_C_ANSWERED,        /* answered with XDP_TX */
	EDGENS_C_DROPPED,         /* rewrite failed half-way: dropped */
	EDGENS_C_PASS_DISABLED,   /* fast path switched off in config */
	EDGENS_C_PASS_NOT_IP,     /* not IPv4/IPv6 (after at most one VLAN tag) */
	EDGENS_C_PASS_NOT_UDP,    /* not UDP, IPv4 options/fragments, IPv6 extension headers */
	EDGENS_C_PASS_NOT_SERVICE,/* destination address/port is not a service address/port */
	EDGENS_C_PASS_MALFORMED,  /* truncated or inconsistent lengths */
	EDGENS_C_PASS_NOT_QUERY,  /* QR=1, opcode != 0, TC=1 */
	EDGENS_C_PASS_COUNTS,     /* QDCOUNT != 1, AN/NS != 0, AR > 1 */
	EDGENS_C_PASS_QNAME,      /* compression pointer, label > 63, name > 255 */
	EDGENS_C_PASS_QCLASS,     /* class is not IN */
	EDGENS_C_PASS_EDNS,       /* additional record not OPT, version != 0, NSID/ECS or other options, trailing bytes */
	EDGENS_C_PASS_MISS,       /* no answer for (qname, qtype, DO) */
	EDGENS_C_PASS_COLLISION,  /* key hit but the stored qname differs */
	EDGENS_C_PASS_TOO_BIG,    /* answer larger than the requester's buffer */
	EDGENS_C_PASS_NO_OPT,     /* query had OPT but the answer may not be sent with one */
	EDGENS_C_PASS_NO_ROOM,    /* the frame has no tailroom for the answer (driver/veth buffer too small) */
	EDGENS_C_PASS_ERROR,      /* a helper failed before the packet was changed */
	EDGENS_C_ANSWERED_NXDOMAIN, /* of answered: NXDOMAIN from the zone tables */
	EDGENS_C_RRL_DROPPED,     /* over the rate limit: dropped */
	EDGENS_C_RRL_SLIPPED,     /* over the rate limit: sent truncated (slip), counted in answered too */
	EDGENS_C_ANSWERED_NODATA, /* of answered: NODATA from the zone tables */
	EDGENS_C_MAX
};

#endif
