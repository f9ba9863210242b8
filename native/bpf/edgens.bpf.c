// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* edgens XDP fast path: answers standard UDP DNS queries for the service addresses from precompiled answers
 * in BPF maps, rewriting the query in place and sending it back with XDP_TX. Anything it is not sure about
 * goes up the stack (XDP_PASS) with a reason counter: the socket path stays complete on its own. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "edgens_maps.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Measurement builds only (bench/xdp/testrun-ns.mjs compiles them; the shipped object has neither):
 * EDGENS_BENCH_REARM restores the query frame kept in the bench_frame map at entry, so BPF_PROG_TEST_RUN with
 * repeat > 1 answers a fresh query every run; EDGENS_BENCH_STOP=n returns XDP_PASS at checkpoint n. */
#ifdef EDGENS_BENCH_REARM
struct edgens_bench_frame {
	__u32 len;
	__u8 data[512];
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edgens_bench_frame);
} bench_frame SEC(".maps");
#endif
#ifdef EDGENS_BENCH_STOP
#define BENCH_STOP(n)                                  \
	do {                                           \
		if (EDGENS_BENCH_STOP == (n))          \
			return XDP_PASS;               \
	} while (0)
#else
#define BENCH_STOP(n) \
	do {          \
	} while (0)
#endif

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct dns_hdr {
	__be16 id;
	__be16 flags;
	__be16 qdcount;
	__be16 ancount;
	__be16 nscount;
	__be16 arcount;
};

#define DNS_F_QR 0x8000
#define DNS_F_OPCODE 0x7800
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_CD 0x0010
#define EDNS_F_DO 0x8000

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		*v += 1;
}

static __always_inline int pass(__u32 reason)
{
	count(reason);
	return XDP_PASS;
}

/* One's-complement sum helpers; all words are big-endian values held in host integers. */
static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline __u16 swap16(__u16 x)
{
	return (__u16)((x << 8) | (x >> 8));
}

static __always_inline __u64 sum_words(const __be16 *w, int n)
{
	__u64 s = 0;
#pragma unroll
	for (int i = 0; i < n; i++)
		s += bpf_ntohs(w[i]);
	return s;
}

/* ASCII lower-casing of 8 bytes at once: 0x20 is added to bytes 'A'..'Z' only (RFC 4343). */
static __always_inline __u64 lower8(__u64 w)
{
	__u64 heptets = w & 0x7f7f7f7f7f7f7f7fULL;
	__u64 ge_a = heptets + 0x3f3f3f3f3f3f3f3fULL; /* bit 7 set where the byte >= 'A' */
	__u64 gt_z = heptets + 0x2525252525252525ULL; /* bit 7 set where the byte > 'Z' */
	__u64 upper = ge_a & ~gt_z & ~w & 0x8080808080808080ULL;
	return w | (upper >> 2);
}

/* The query's EDNS options: walk them (they must fill the OPT RDATA exactly) and sum them for the checksum
 * check. NSID and ECS always go to the socket path; other options (cookies, padding...) only when the socket
 * path ignores them too (config IGNORE_OPTIONS). Returns 0 or the pass reason. */
static __always_inline int check_options(struct xdp_md *ctx, struct edgens_scratch *s, __u32 off, __u64 len,
					 int ignore, __u64 *sum)
{
	barrier_var(len);
	if (len == 0 || len > EDGENS_OPTIONS_MAX)
		return EDGENS_C_PASS_EDNS;
	if (!ignore)
		return EDGENS_C_PASS_EDNS;
	if (bpf_xdp_load_bytes(ctx, off, s->move, len) < 0)
		return EDGENS_C_PASS_ERROR;
	__u32 o = 0;
	for (int k = 0; k < EDGENS_MAX_OPTIONS; k++) {
		if (o >= len)
			break;
		if (o + 4 > len || o > EDGENS_OPTIONS_MAX)
			return EDGENS_C_PASS_EDNS;
		__u8 *h = &s->move[o];
		__u16 code = ((__u16)h[0] << 8) | h[1];
		__u32 olen = ((__u32)h[2] << 8) | h[3];
		if (code == EDGENS_OPT_NSID || code == EDGENS_OPT_ECS)
			return EDGENS_C_PASS_EDNS;
		o += 4 + olen;
	}
	if (o != len) /* overran the RDATA, or more options than we look at */
		return EDGENS_C_PASS_EDNS;
	__u64 *mw = (__u64 *)s->move;
	__u64 acc = 0;
	for (__u32 w = 0; w < EDGENS_OPTIONS_MAX / 8; w++) {
		if (w * 8 >= len)
			break;
		__u64 v = mw[w];
		__u32 rem = len - w * 8;
		if (rem < 8)
			v &= (1ULL << (rem * 8)) - 1;
		acc += (v & 0xffffffff) + (v >> 32);
	}
	*sum = bpf_ntohs(csum_fold(acc)); /* big-endian sum as if the options started at an even offset */
	return 0;
}

/* The qname walks leave qlen with a different range on every exit (one per label/byte); passing it through
 * map memory turns it into one unknown value that is then bounds-checked once, so the verifier sees one
 * state instead of hundreds for the rest of the program. */
static __always_inline __u32 launder(struct edgens_scratch *s, __u32 v)
{
	*(volatile __u32 *)&s->qlen = v;
	return *(volatile __u32 *)&s->qlen;
}

/* NXDOMAIN from the zone tables: one walk over the qname's labels from the root up (bpf_loop), hashing
 * every suffix on the way. A suffix that is a zone apex makes that zone current (the deepest wins, like the
 * socket path's findZone); below the apex each name must exist in the zone (ENTs do) until the first one
 * that does not: NXDOMAIN — unless a delegation point came first (a referral: pass) or its parent, the
 * closest encloser, owns a `*` child (RFC 4592: wildcard data, pass). The apex hit is verified against the
 * full name afterwards; a false "exists" from a hash collision can only make us pass or find the NXDOMAIN
 * one label deeper (no DNSSEC proofs) — the same answer unless a wildcard sits right below the true closest
 * encloser, which takes a crafted 64-bit collision on the name hash. */
#define WALK_ABOVE 0 /* no zone yet */
#define WALK_IN 1    /* inside a zone, every name so far exists */
#define WALK_NX 2    /* a name below the apex does not exist, no cut above it */
#define WALK_PASS 3  /* referral, wildcard, forbidden label, zone without NXDOMAIN answers: the sockets */

struct walk_ctx {
	__u64 hash;
	__u32 qlen;
	__u32 nlabels;
	__u32 zone_off; /* offset of the current zone's apex in the qname */
	__u16 zone;     /* current zone id, 0 = none */
	__u8 gen;
	__u8 state;
	__u8 zflags;
	__u8 below;     /* labels below the apex looked at */
	__u8 min_apex;  /* shortest apex of the tables: shorter suffixes are no zone */
	__u8 ce_wild;   /* the last existing name (the closest encloser so far) owns a `*` child */
	__u8 pad[4];
};

/* Whether the 1..64-octet label at p equals the zero-padded label f of the same length. */
static __always_inline int label_equal(const __u8 *p, const __u8 *f, __u32 llen)
{
	__u64 diff = 0;
#pragma unroll
	for (int k = 0; k < EDGENS_LABEL_BUF / 8; k++) {
		if (k * 8 >= llen)
			break;
		__u64 v = *(const __u64 *)(p + k * 8);
		__u32 rem = llen - k * 8;
		if (rem < 8)
			v &= (1ULL << (rem * 8)) - 1;
		diff |= v ^ *(const __u64 *)(f + k * 8);
	}
	return diff == 0;
}

static long walk_label(__u32 idx, void *data)
{
	struct walk_ctx *w = data;
	__u32 zero = 0;
	struct edgens_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (idx >= w->nlabels || idx >= EDGENS_MAX_LABELS)
		return 1; /* every label done */
	if (!s) {
		w->state = WALK_PASS;
		return 1;
	}
	__u32 li = (w->nlabels - 1 - idx) & (EDGENS_MAX_LABELS - 1);
	__u32 o = s->loff[li];
	const __u8 *lp = &s->qname[o & 0xff];
	__u32 llen = (__u32)lp[0] + 1;
	if (llen > EDGENS_LABEL_BUF || o >= w->qlen) {
		w->state = WALK_PASS;
		return 1;
	}
	__u64 h = w->hash;
#pragma unroll
	for (int k = 0; k < EDGENS_LABEL_BUF / 8; k++) {
		if (k * 8 >= llen)
			break;
		__u64 v = *(const __u64 *)(lp + k * 8);
		__u32 rem = llen - k * 8;
		if (rem < 8)
			v &= (1ULL << (rem * 8)) - 1;
		h = (h ^ v) * EDGENS_QHASH_PRIME;
	}
	w->hash = h;
	__u8 len = (__u8)(w->qlen - o);

	if ((w->state == WALK_ABOVE && len >= w->min_apex) || (w->zflags & EDGENS_ZONE_F_SUBZONES)) {
		struct edgens_name_key ak = {.hash = h, .zone = 0, .len = len, .gen = w->gen, .pad = 0};
		struct edgens_name *an = bpf_map_lookup_elem(&names, &ak);
		if (an && (an->flags & EDGENS_NAME_F_APEX)) {
			__u32 zi = (__u32)w->gen * EDGENS_MAX_ZONES + (an->zone & (EDGENS_MAX_ZONES - 1));
			struct edgens_zone *z = bpf_map_lookup_elem(&zones, &zi);
			if (!z) {
				w->state = WALK_PASS;
				return 1;
			}
			w->zone = an->zone;
			w->zone_off = o;
			w->zflags = z->flags;
			w->below = 0;
			w->ce_wild = an->flags & EDGENS_NAME_F_WILD;
			w->state = WALK_IN;
			if (!(z->flags & EDGENS_ZONE_F_NX)) {
				w->state = WALK_PASS;
				return (z->flags & EDGENS_ZONE_F_SUBZONES) ? 0 : 1;
			}
			return 0;
		}
	}
	if (w->state == WALK_ABOVE)
		return 0;
	if (w->state != WALK_IN)
		return (w->zflags & EDGENS_ZONE_F_SUBZONES) ? 0 : 1;

	if (w->below++ == 0) {
		/* The label right below the apex must not be one the SOA's names compress against. */
		__u32 zi = (__u32)w->gen * EDGENS_MAX_ZONES + (w->zone & (EDGENS_MAX_ZONES - 1));
		struct edgens_zone *z = bpf_map_lookup_elem(&zones, &zi);
		if (!z) {
			w->state = WALK_PASS;
			return 1;
		}
		if ((z->forbid_len[0] == llen && label_equal(lp, z->forbid[0], llen)) ||
		    (z->forbid_len[1] == llen && label_equal(lp, z->forbid[1], llen))) {
			w->state = WALK_PASS;
			return (w->zflags & EDGENS_ZONE_F_SUBZONES) ? 0 : 1;
		}
	}
	struct edgens_name_key nk = {.hash = h, .zone = w->zone, .len = len, .gen = w->gen, .pad = 0};
	struct edgens_name *n = bpf_map_lookup_elem(&names, &nk);
	if (!n)
		w->state = w->ce_wild ? WALK_PASS : WALK_NX; /* wildcard expansion: the sockets answer */
	else if (n->flags & EDGENS_NAME_F_CUT)
		w->state = WALK_PASS;
	else {
		w->ce_wild = n->flags & EDGENS_NAME_F_WILD;
		return 0;
	}
	return (w->zflags & EDGENS_ZONE_F_SUBZONES) ? 0 : 1;
}

/* Copy n (<= EDGENS_BODY_MAX) octets of a map value into the packet at dst with plain stores, no helper call:
 * 8-octet words, then one last word ending exactly at dst + n that rewrites some of the same octets, so nothing
 * past dst + n is touched. Returns -1 if the packet is shorter than that (the caller drops). */
static __always_inline int copy_to_packet(__u8 *dst, const __u8 *src, __u64 n, void *data_end)
{
	barrier_var(n);
	if (n > EDGENS_BODY_MAX)
		return -1;
	if (n < 8) {
		for (int k = 0; k < 8; k++) {
			if (k >= n)
				break;
			if ((void *)(dst + k + 1) > data_end)
				return -1;
			dst[k] = src[k];
		}
		return 0;
	}
	__u64 words = n / 8;
	for (__u32 k = 0; k < EDGENS_BODY_MAX / 8; k++) {
		if (k >= words)
			break;
		if ((void *)(dst + k * 8 + 8) > data_end)
			return -1;
		*(__u64 *)(dst + k * 8) = *(const __u64 *)(src + k * 8);
	}
	__u64 last = n - 8;
	barrier_var(last);
	if (last > EDGENS_BODY_MAX - 8)
		return -1;
	if ((void *)(dst + last + 8) > data_end)
		return -1;
	*(__u64 *)(dst + last) = *(const __u64 *)(src + last);
	return 0;
}

SEC("xdp")
int edgens_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0;

#ifdef EDGENS_BENCH_REARM
	struct edgens_bench_frame *bf = bpf_map_lookup_elem(&bench_frame, &zero);
	if (bf) {
		__u64 blen = bf->len;
		barrier_var(blen);
		if (blen < 14 || blen > 512)
			return XDP_ABORTED;
		int d = (int)blen - (int)(data_end - data);
		/* Always called (also with d == 0), so the restore costs the same whether the last run answered. */
		if (bpf_xdp_adjust_tail(ctx, d) < 0)
			return XDP_ABORTED;
		if (bpf_xdp_store_bytes(ctx, 0, bf->data, blen) < 0)
			return XDP_ABORTED;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
	}
#endif
	BENCH_STOP(0);
	count(EDGENS_C_SEEN);

	struct edgens_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || !(cfg->flags & EDGENS_CFG_F_ENABLED))
		return pass(EDGENS_C_PASS_DISABLED);
	__u16 cfg_port = cfg->port;
	__u32 cfg_udp_size = cfg->edns_udp_size;
	__u8 generation = cfg->generation;
	__u8 cfg_flags = cfg->flags;
	__u32 rrl_interval = cfg->rrl_interval;
	__u32 rrl_slip = cfg->rrl_slip;

	/* L2: Ethernet with at most one VLAN tag. */
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return pass(EDGENS_C_PASS_NOT_IP);
	__u16 proto = bpf_ntohs(eth->h_proto);
	__u32 l3 = sizeof(struct ethhdr);
	if (proto == EDGENS_ETH_P_8021Q || proto == EDGENS_ETH_P_8021AD) {
		struct vlan_hdr *vh = data + l3;
		if ((void *)(vh + 1) > data_end)
			return pass(EDGENS_C_PASS_NOT_IP);
		proto = bpf_ntohs(vh->proto);
		l3 += sizeof(struct vlan_hdr);
	}
	__u32 pkt_len = data_end - data;

	/* L3: IPv4 without options/fragments or IPv6 without extension headers; destination in the service set. */
	struct edgens_addr_key addr = {};
	struct edgens_rrl_key rkey = {};
	__u32 l4, udp_avail;
	__u32 da0, da1 = 0, da2 = 0, da3 = 0; /* destination address words, for the service slot */
	__u64 vsum_addrs; /* source + destination, for the pseudo-header */
	__u64 ip4_rest = 0; /* RFC 1624: ~check + ~tot_len + ~(ttl, protocol) of the query, for the reply's */
	int v6;
	if (proto == EDGENS_ETH_P_IP) {
		struct iphdr *ip4 = data + l3;
		if ((void *)(ip4 + 1) > data_end)
			return pass(EDGENS_C_PASS_MALFORMED);
		if (ip4->version != 4 || ip4->ihl != 5 || ip4->protocol != EDGENS_IPPROTO_UDP ||
		    (ip4->frag_off & bpf_htons(0x3fff)))
			return pass(EDGENS_C_PASS_NOT_UDP);
		if (csum_fold(sum_words((const __be16 *)ip4, 10)) != 0xffff) /* the stack would drop it */
			return pass(EDGENS_C_PASS_MALFORMED);
		__u32 tot = bpf_ntohs(ip4->tot_len);
		if (tot < sizeof(*ip4) + sizeof(struct udphdr) || l3 + tot > pkt_len)
			return pass(EDGENS_C_PASS_MALFORMED);
		ip4_rest = (__u16)~bpf_ntohs(ip4->check) + (__u16)~tot +
			   (__u16) ~(((__u16)ip4->ttl << 8) | ip4->protocol);
		addr.family = 4;
		__builtin_memcpy(addr.addr, &ip4->daddr, 4);
		da0 = ip4->daddr;
		rkey.family = 4;
		__builtin_memcpy(rkey.prefix, &ip4->saddr, 3);
		vsum_addrs = sum_words((const __be16 *)&ip4->saddr, 4);
		l4 = l3 + sizeof(*ip4);
		udp_avail = tot - sizeof(*ip4);
		v6 = 0;
	} else if (proto == EDGENS_ETH_P_IPV6) {
		struct ipv6hdr *ip6 = data + l3;
		if ((void *)(ip6 + 1) > data_end)
			return pass(EDGENS_C_PASS_MALFORMED);
		if (ip6->version != 6 || ip6->nexthdr != EDGENS_IPPROTO_UDP)
			return pass(EDGENS_C_PASS_NOT_UDP);
		__u32 plen = bpf_ntohs(ip6->payload_len);
		if (plen < sizeof(struct udphdr) || l3 + sizeof(*ip6) + plen > pkt_len)
			return pass(EDGENS_C_PASS_MALFORMED);
		addr.family = 6;
		__builtin_memcpy(addr.addr, &ip6->daddr, 16);
		da0 = ip6->daddr.in6_u.u6_addr32[0];
		da1 = ip6->daddr.in6_u.u6_addr32[1];
		da2 = ip6->daddr.in6_u.u6_addr32[2];
		da3 = ip6->daddr.in6_u.u6_addr32[3];
		rkey.family = 6;
		__builtin_memcpy(rkey.prefix, &ip6->saddr, 7);
		vsum_addrs = sum_words((const __be16 *)&ip6->saddr, 16);
		l4 = l3 + sizeof(*ip6);
		udp_avail = plen;
		v6 = 1;
	} else {
		return pass(EDGENS_C_PASS_NOT_IP);
	}

	/* L4: UDP to our port, lengths consistent. */
	struct udphdr *udp = data + l4;
	if ((void *)(udp + 1) > data_end)
		return pass(EDGENS_C_PASS_MALFORMED);
	if (udp->dest != bpf_htons(cfg_port))
		return pass(EDGENS_C_PASS_NOT_SERVICE);
	__u32 slot_idx = EDGENS_SERVICE_SLOT(da0 ^ da1 ^ da2 ^ da3);
	struct edgens_service_slot *slot = bpf_map_lookup_elem(&service_slots, &slot_idx);
	if (!slot)
		return pass(EDGENS_C_PASS_ERROR);
	const __u32 *sw = (const __u32 *)slot->addr.addr;
	if (slot->addr.family != addr.family || sw[0] != da0 || sw[1] != da1 || sw[2] != da2 || sw[3] != da3) {
		if (!(slot->flags & EDGENS_SLOT_F_MORE) || !bpf_map_lookup_elem(&service_addrs, &addr))
			return pass(EDGENS_C_PASS_NOT_SERVICE);
	}
	__u32 udp_len = bpf_ntohs(udp->len);
	if (udp_len != udp_avail || udp->source == 0)
		return pass(EDGENS_C_PASS_MALFORMED);
	__u32 dns_len = udp_len - sizeof(struct udphdr);
	if (dns_len < sizeof(struct dns_hdr) + 5)
		return pass(EDGENS_C_PASS_MALFORMED);
	BENCH_STOP(1);

	/* DNS header: a standard query with one question and nothing but an optional OPT. */
	__u32 dns_off = l4 + sizeof(struct udphdr);
	struct dns_hdr *dh = data + dns_off;
	if ((void *)(dh + 1) > data_end)
		return pass(EDGENS_C_PASS_MALFORMED);
	__u16 qflags = bpf_ntohs(dh->flags);
	if (qflags & (DNS_F_QR | DNS_F_OPCODE | DNS_F_TC))
		return pass(EDGENS_C_PASS_NOT_QUERY);
	__u16 arcount = bpf_ntohs(dh->arcount);
	if (dh->qdcount != bpf_htons(1) || dh->ancount || dh->nscount || arcount > 1)
		return pass(EDGENS_C_PASS_COUNTS);

	/* Question: copy it out, lower-case and hash the qname, sum the original bytes for the UDP checksum. */
	struct edgens_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return pass(EDGENS_C_PASS_ERROR);
	__u64 avail = dns_len - sizeof(struct dns_hdr); /* 64-bit: no zero-extension copy the verifier would lose */
	if (avail > EDGENS_QUESTION_COPY)
		avail = EDGENS_QUESTION_COPY;
	barrier_var(avail); /* keep clang from folding the bounds into a form the verifier cannot follow */
	if (avail < 5 || avail > EDGENS_QUESTION_COPY)
		return pass(EDGENS_C_PASS_MALFORMED);
	if (bpf_xdp_load_bytes(ctx, dns_off + sizeof(struct dns_hdr), s->raw, avail) < 0)
		return pass(EDGENS_C_PASS_ERROR);
	BENCH_STOP(2);

	/* Labels first: the qname length, rejecting compression pointers, long labels and long names. */
	__u32 pos = 0, qlen = 0, nlabels = 0;
	for (int k = 0; k < EDGENS_MAX_QNAME / 2 + 1; k++) {
		if (pos >= avail)
			return pass(EDGENS_C_PASS_MALFORMED);
		if (pos >= EDGENS_MAX_QNAME)
			return pass(EDGENS_C_PASS_QNAME);
		__u8 c = s->raw[pos];
		if (c == 0) {
			qlen = pos + 1;
			nlabels = k;
			break;
		}
		if (c > EDGENS_MAX_LABEL) /* also compression pointers and extended label types */
			return pass(EDGENS_C_PASS_QNAME);
		s->loff[k & (EDGENS_MAX_LABELS - 1)] = (__u8)pos;
		pos += c + 1;
	}
	s->nlabels = nlabels;
	qlen = launder(s, qlen);
	if (qlen == 0 || qlen > EDGENS_MAX_QNAME)
		return pass(EDGENS_C_PASS_QNAME);
	/* Then the name a word at a time: the bytes past the name masked off, summed for the UDP checksum (the
	 * question starts at an even UDP offset; host-order loads give a host-order sum, turned big-endian
	 * below), lower-cased, stored zero-padded for the name check, and hashed. */
	__u32 nwords = (qlen + 7) / 8;
	__u64 hash = EDGENS_QHASH_OFFSET;
	__u64 wsum = 0;
	__u64 *rw = (__u64 *)s->raw;
	__u64 *qw = (__u64 *)s->qname;
	for (__u32 k = 0; k < EDGENS_QNAME_BUF / 8; k++) {
		if (k >= nwords)
			break;
		__u64 w = rw[k];
		__u32 rem = qlen - k * 8;
		if (rem < 8)
			w &= (1ULL << (rem * 8)) - 1;
		wsum += (w & 0xffffffff) + (w >> 32);
		w = lower8(w);
		qw[k] = w;
		hash = (hash ^ w) * EDGENS_QHASH_PRIME;
	}
	qlen = launder(s, qlen);
	__u64 qsum = bpf_ntohs(csum_fold(wsum));
	if (qlen == 0 || qlen > EDGENS_MAX_QNAME)
		return pass(EDGENS_C_PASS_QNAME);
	if (qlen + 4 > avail)
		return pass(EDGENS_C_PASS_MALFORMED);
	__u8 *tail = &s->raw[qlen];
	__u16 qtype = ((__u16)tail[0] << 8) | tail[1];
	__u16 qclass = ((__u16)tail[2] << 8) | tail[3];
	/* qtype/qclass words sit at an odd offset when the qname length is odd. */
	qsum += (qlen & 1) ? swap16(csum_fold((__u64)qtype + qclass)) : ((__u64)qtype + qclass);
	if (qclass != EDGENS_DNS_CLASS_IN)
		return pass(EDGENS_C_PASS_QCLASS);
	BENCH_STOP(3);

	/* EDNS: at most one OPT of version 0 without options, then the message must end. */
	__u32 qend = sizeof(struct dns_hdr) + qlen + 4;
	int has_opt = 0;
	__u8 key_flags = 0;
	__u32 limit = EDGENS_PLAIN_UDP_MAX;
	__u8 opt[EDGENS_OPT_RR_LEN + 1] = {};
	__u64 opts_sum = 0; /* the query's EDNS options, for its checksum */
	__u64 qopt_sum = 0; /* the query's fixed OPT fields, for its checksum */
	if (arcount == 1) {
		if (qend + EDGENS_OPT_RR_LEN > dns_len)
			return pass(EDGENS_C_PASS_EDNS);
		/* Direct packet reads: a helper call costs ~35 ns here (SRSO "Safe RET" makes every return dear). */
		__u64 opt_off = dns_off + qend;
		barrier_var(opt_off);
		if (opt_off > EDGENS_MOVE_MAX)
			return pass(EDGENS_C_PASS_ERROR);
		const __u8 *op = data + opt_off;
		if ((void *)(op + EDGENS_OPT_RR_LEN) > data_end)
			return pass(EDGENS_C_PASS_EDNS);
		__builtin_memcpy(opt, op, EDGENS_OPT_RR_LEN);
		/* Summed from the packet, not from the byte-wise stack copy (no store-to-load forwarding stall). */
		qopt_sum = sum_words((const __be16 *)op, 5) + ((__u64)op[10] << 8);
		__u64 rdlen = ((__u32)opt[9] << 8) | opt[10];
		if (qend + EDGENS_OPT_RR_LEN + rdlen != dns_len) /* nothing may follow the OPT */
			return pass(EDGENS_C_PASS_EDNS);
		if (rdlen) {
			int reason = check_options(ctx, s, dns_off + qend + EDGENS_OPT_RR_LEN, rdlen,
						   cfg_flags & EDGENS_CFG_F_IGNORE_OPTIONS, &opts_sum);
			if (reason)
				return pass(reason);
			/* The options start right after the fixed OPT fields: odd UDP offset when qlen is even. */
			if (!(qlen & 1))
				opts_sum = swap16(csum_fold(opts_sum));
		}
		if (opt[0] != 0 || opt[1] != 0 || opt[2] != EDGENS_DNS_TYPE_OPT)
			return pass(EDGENS_C_PASS_EDNS);
		/* ext rcode 0, version 0. */
		if (opt[5] != 0 || opt[6] != 0)
			return pass(EDGENS_C_PASS_EDNS);
		__u32 client = ((__u32)opt[3] << 8) | opt[4];
		if (client > cfg_udp_size)
			client = cfg_udp_size;
		if (client > limit)
			limit = client;
		if (opt[7] & (EDNS_F_DO >> 8))
			key_flags |= EDGENS_KEY_F_DO;
		has_opt = 1;
	} else if (qend != dns_len) {
		return pass(EDGENS_C_PASS_MALFORMED);
	}

	BENCH_STOP(4);
	/* Lookup in the live generation; verify the full name so a hash collision can never answer. */
	struct edgens_answer_key key = {
		.hash = hash,
		.qtype = qtype,
		.qname_len = (__u8)qlen,
		.flags = key_flags,
		.pad = 0,
	};
	struct edgens_answer *ans;
	if (generation)
		ans = bpf_map_lookup_elem(&answers_1, &key);
	else
		ans = bpf_map_lookup_elem(&answers_0, &key);
	/* What we send after the question: an answer entry's body, or a zone's negative body whose compression
	 * pointers (ptrs) are written over it. */
	const __u8 *body;
	__u32 body_len;
	__u16 ancount, nscount, arcount_body, aflags, body_sum;
	__u16 ptrs[EDGENS_NEG_PTRS] = {};
	__u16 ptr_offs[EDGENS_NEG_PTRS] = {};
	__u32 nptr = 0;
	int nx = 0, is_nodata = 0;
	BENCH_STOP(5);
	if (ans) {
		if (ans->qname_len != qlen)
			return pass(EDGENS_C_PASS_COLLISION);
		__u64 *aw = (__u64 *)ans->qname;
		__u64 diff = 0;
		nwords = (qlen + 7) / 8;
		for (__u32 k = 0; k < EDGENS_QNAME_BUF / 8; k++) {
			if (k >= nwords)
				break;
			diff |= aw[k] ^ qw[k];
		}
		qlen = launder(s, qlen);
		if (qlen == 0 || qlen > EDGENS_MAX_QNAME)
			return pass(EDGENS_C_PASS_ERROR);
		if (diff)
			return pass(EDGENS_C_PASS_COLLISION);
		if (has_opt && !(ans->opt_flags & EDGENS_ANS_F_OPT))
			return pass(EDGENS_C_PASS_NO_OPT);
		body = ans->body;
		body_len = ans->body_len;
		ancount = ans->ancount;
		nscount = ans->nscount;
		arcount_body = ans->arcount;
		aflags = ans->flags;
		body_sum = ans->body_sum;
	} else {
		/* Zone transfers, meta and OPT qtypes are never NXDOMAIN or NODATA here. */
		if (!(cfg_flags & EDGENS_CFG_F_NXDOMAIN) || qtype == 0 || qtype == EDGENS_DNS_TYPE_OPT ||
		    (qtype >= 128 && qtype < 255)) /* meta types; 256+ are data types (CAA...) */
			return pass(EDGENS_C_PASS_MISS);
		/* Entry 0 of each generation summarizes it: NX flag when any zone answers, shortest apex. */
		__u32 z0 = generation ? EDGENS_MAX_ZONES : 0;
		struct edgens_zone *summary = bpf_map_lookup_elem(&zones, &z0);
		if (!summary || !(summary->flags & EDGENS_ZONE_F_NX))
			return pass(EDGENS_C_PASS_MISS);
		__u8 zgen = generation ? 1 : 0;
		__u32 zid, zoff = 0;
		/* NODATA: a name user space proved to exist in an NX zone with every one of its types in the answer
		 * map, so a miss means "no such type". Verified in full like an answer. */
		struct edgens_nodata_key ndk = {.hash = hash, .qname_len = (__u8)qlen, .gen = zgen, .pad = {}};
		struct edgens_nodata *nd = bpf_map_lookup_elem(&nodata, &ndk);
		if (nd) {
			/* Types the socket path treats specially: ANY, DS (parent side), DNSSEC records. */
			if (qtype == 255 || qtype == EDGENS_DNS_TYPE_DS || qtype == EDGENS_DNS_TYPE_RRSIG ||
			    qtype == EDGENS_DNS_TYPE_NSEC || qtype == EDGENS_DNS_TYPE_NSEC3)
				return pass(EDGENS_C_PASS_MISS);
			if (!(nd->flags & ((key_flags & EDGENS_KEY_F_DO) ? EDGENS_NODATA_F_DO1 : EDGENS_NODATA_F_DO0)))
				return pass(EDGENS_C_PASS_MISS);
			if (nd->qname_len != qlen)
				return pass(EDGENS_C_PASS_COLLISION);
			__u64 *nw = (__u64 *)nd->qname;
			__u64 ndiff = 0;
			nwords = (qlen + 7) / 8;
			for (__u32 k = 0; k < EDGENS_QNAME_BUF / 8; k++) {
				if (k >= nwords)
					break;
				ndiff |= nw[k] ^ qw[k];
			}
			qlen = launder(s, qlen);
			if (qlen == 0 || qlen > EDGENS_MAX_QNAME)
				return pass(EDGENS_C_PASS_ERROR);
			if (ndiff)
				return pass(EDGENS_C_PASS_COLLISION);
			zid = nd->zone;
			is_nodata = 1;
		} else {
			struct walk_ctx walk = {
				.min_apex = summary->apex_len,
				.hash = EDGENS_QHASH_OFFSET,
				.qlen = qlen,
				.nlabels = *(volatile __u32 *)&s->nlabels,
				.gen = zgen,
				.state = WALK_ABOVE,
			};
			if (walk.nlabels > EDGENS_MAX_LABELS || bpf_loop(walk.nlabels, walk_label, &walk, 0) < 0)
				return pass(EDGENS_C_PASS_ERROR);
			if (walk.state != WALK_NX)
				return pass(EDGENS_C_PASS_MISS);
			zid = walk.zone;
			zoff = walk.zone_off;
		}
		__u32 zi = (__u32)zgen * EDGENS_MAX_ZONES + (zid & (EDGENS_MAX_ZONES - 1));
		struct edgens_zone *z = bpf_map_lookup_elem(&zones, &zi);
		if (!z || !(z->flags & EDGENS_ZONE_F_NX))
			return pass(EDGENS_C_PASS_MISS);
		if ((key_flags & EDGENS_KEY_F_DO) && (z->flags & EDGENS_ZONE_F_SIGNED))
			return pass(EDGENS_C_PASS_MISS);
		if (!is_nodata) {
			/* The apex hit was a hash: compare the qname's suffix with the zone's apex. */
			__u32 alen = qlen - zoff;
			if (zoff >= qlen || alen != z->apex_len)
				return pass(EDGENS_C_PASS_COLLISION);
			zoff &= 0xff;
			const __u8 *qs = &s->qname[zoff];
			__u64 adiff = 0;
			__u32 awords = (alen + 7) / 8;
			for (__u32 k = 0; k < EDGENS_QNAME_BUF / 8; k++) {
				if (k >= awords)
					break;
				__u64 v = *(const __u64 *)(qs + k * 8);
				__u32 rem = alen - k * 8;
				if (rem < 8)
					v &= (1ULL << (rem * 8)) - 1;
				adiff |= v ^ *(const __u64 *)&z->apex[k * 8];
			}
			qlen = launder(s, qlen);
			if (qlen == 0 || qlen > EDGENS_MAX_QNAME)
				return pass(EDGENS_C_PASS_ERROR);
			if (adiff)
				return pass(EDGENS_C_PASS_COLLISION);
		}
		/* The negative body (apex SOA at the negative TTL) is the same for NXDOMAIN and NODATA: its pointers
		 * depend only on the qname length, the apex being a suffix of the qname either way. */
		body = z->body;
		body_len = z->body_len;
		if (body_len > EDGENS_BODY_MAX)
			return pass(EDGENS_C_PASS_ERROR);
		ancount = 0;
		nscount = 1;
		arcount_body = 0;
		aflags = is_nodata ? 0x8400 : 0x8400 | 3; /* QR, AA, NOERROR / NXDOMAIN */
		__u64 bs = z->body_sum;
		nptr = z->nptr;
		if (nptr > EDGENS_NEG_PTRS)
			return pass(EDGENS_C_PASS_ERROR);
#pragma unroll
		for (int i = 0; i < EDGENS_NEG_PTRS; i++) {
			if (i >= nptr)
				break;
			__u16 po = z->ptr_off[i];
			if ((__u32)po + 2 > body_len)
				return pass(EDGENS_C_PASS_ERROR);
			__u16 p = 0xc000 | ((z->ptr_base[i] + qlen) & 0x3fff);
			ptrs[i] = p;
			ptr_offs[i] = po;
			bs += (po & 1) ? swap16(p) : p;
		}
		body_sum = csum_fold(bs);
		nx = !is_nodata;
	}

	BENCH_STOP(6);
	/* Verify the query's UDP checksum as the stack would (optional on IPv4 only): never answer a packet the
	 * socket path would not have seen. The packet is unchanged so far, so the header pointers still hold. */
	if (udp->check) {
		__u64 vsum = (__u64)EDGENS_IPPROTO_UDP + udp_len + vsum_addrs;
		vsum += sum_words((const __be16 *)udp, 4) + sum_words((const __be16 *)dh, 6) + qsum;
		__u64 osum = qopt_sum;
		vsum += (qlen & 1) ? swap16(csum_fold(osum)) : osum;
		vsum += opts_sum;
		if (csum_fold(vsum) != 0xffff)
			return pass(EDGENS_C_PASS_MALFORMED);
	} else if (v6) {
		return pass(EDGENS_C_PASS_MALFORMED);
	}

	if (body_len > EDGENS_BODY_MAX)
		return pass(EDGENS_C_PASS_ERROR);
	__u32 resp_len = qend + body_len + (has_opt ? EDGENS_OPT_RR_LEN : 0);
	if (resp_len > limit)
		return pass(EDGENS_C_PASS_TOO_BIG);
	BENCH_STOP(7);
	/* Response rate limiting (RRL), for answers we would give: one bucket per source prefix. */
	int slipped = 0;
	if (rrl_interval) {
		__u64 now = bpf_ktime_get_ns();
		struct edgens_rrl *r = bpf_map_lookup_elem(&rrl, &rkey);
		if (!r) {
			struct edgens_rrl fresh = {.tat = now + rrl_interval, .over = 0, .pad = 0};
			bpf_map_update_elem(&rrl, &rkey, &fresh, BPF_ANY);
		} else {
			__u64 tat = r->tat;
			if (tat < now)
				tat = now;
			if (tat + rrl_interval - now <= EDGENS_RRL_WINDOW_NS) {
				r->tat = tat + rrl_interval;
			} else {
				__u32 over = ++r->over;
				if (!rrl_slip || over % rrl_slip != 0) {
					count(EDGENS_C_RRL_DROPPED);
					return XDP_DROP;
				}
				/* Slip: the question and TC=1, no records, so a real client retries over TCP. */
				slipped = 1;
				body_len = 0;
				ancount = 0;
				nscount = 0;
				arcount_body = 0;
				nptr = 0;
				nx = 0;
				is_nodata = 0;
				body_sum = 0;
				aflags |= DNS_F_TC;
				resp_len = qend + (has_opt ? EDGENS_OPT_RR_LEN : 0);
			}
		}
	}
	__u16 rarcount = arcount_body + (has_opt ? 1 : 0);
	__u16 rflags = aflags | (qflags & (DNS_F_RD | DNS_F_CD));

	/* Resize: drop everything after the question (OPT, Ethernet padding), make room for body and OPT. */
	int delta = (int)(dns_off + resp_len) - (int)pkt_len;
	if (delta < 0 && bpf_xdp_adjust_tail(ctx, delta) < 0)
		return pass(EDGENS_C_PASS_ERROR);
	if (delta > 0 && bpf_xdp_adjust_tail(ctx, delta) < 0) {
		/* No tailroom (veth hands XDP buffers sized to the packet): grow at the front, where XDP keeps
		 * headroom, and move headers and question up; the old tail is overwritten. */
		__u64 keep = dns_off + qend;
		barrier_var(keep);
		if (keep == 0 || keep > EDGENS_MOVE_MAX)
			return pass(EDGENS_C_PASS_ERROR);
		if (bpf_xdp_load_bytes(ctx, 0, s->move, keep) < 0)
			return pass(EDGENS_C_PASS_ERROR);
		if (bpf_xdp_adjust_head(ctx, -delta) < 0)
			return pass(EDGENS_C_PASS_NO_ROOM);
		if (bpf_xdp_store_bytes(ctx, 0, s->move, keep) < 0)
			goto drop;
	}

	BENCH_STOP(8);
	/* From here on the packet is changed: failures drop it. Plain stores, no helper calls. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	__u64 body_off = dns_off + qend;
	barrier_var(body_off);
	if (body_off > EDGENS_MOVE_MAX)
		goto drop;
	__u8 *bdst = data + body_off;
	if (body_len > 0 && copy_to_packet(bdst, body, body_len, data_end) < 0)
		goto drop;
#pragma unroll
	for (int i = 0; i < EDGENS_NEG_PTRS; i++) {
		if (i >= nptr)
			break;
		__u32 po = ptr_offs[i] & (EDGENS_BODY_MAX - 1);
		__u8 *pd = bdst + po;
		if ((void *)(pd + 2) > data_end)
			goto drop;
		pd[0] = (__u8)(ptrs[i] >> 8);
		pd[1] = (__u8)ptrs[i];
	}
	__u64 opt_sum = 0;
	if (has_opt) {
		/* Ours: root, OPT, our UDP size, ext rcode 0, version 0, DO echoed, no options. */
		__u8 ropt[EDGENS_OPT_RR_LEN + 1] = {0, 0, EDGENS_DNS_TYPE_OPT, (__u8)(cfg_udp_size >> 8),
						    (__u8)cfg_udp_size, 0, 0, (key_flags & EDGENS_KEY_F_DO) ? 0x80 : 0,
						    0, 0, 0, 0};
		__u64 ropt_off = body_len;
		barrier_var(ropt_off);
		if (ropt_off > EDGENS_BODY_MAX)
			goto drop;
		__u8 *rd = bdst + ropt_off;
		if ((void *)(rd + EDGENS_OPT_RR_LEN) > data_end)
			goto drop;
		__builtin_memcpy(rd, ropt, EDGENS_OPT_RR_LEN);
		/* Its 16-bit words: 0, 41 << 8 | size >> 8, (size & 0xff) << 8, DO (0x80) in the low octet, 0, 0. */
		opt_sum = ((__u64)EDGENS_DNS_TYPE_OPT << 8) + (cfg_udp_size >> 8) + ((cfg_udp_size & 0xff) << 8) +
			  ((key_flags & EDGENS_KEY_F_DO) ? 0x80 : 0);
		if ((qlen + body_len) & 1)
			opt_sum = swap16(csum_fold(opt_sum));
	}

	BENCH_STOP(9);
	/* Headers: every checksum from values held since the parse (the address and port sums do not change
	 * when swapped; IPv4 by RFC 1624 from the verified old checksum), so no written byte is read back (a
	 * load spanning narrower stores cannot be forwarded from the store buffer). */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (l3 > 18 || l4 > 18 + sizeof(struct ipv6hdr))
		goto drop;
	__u8 *mac = data;
	if ((void *)(mac + 2 * ETH_ALEN) > data_end)
		goto drop;
	__u32 md0 = *(__u32 *)mac, ms0 = *(__u32 *)(mac + 6);
	__u16 md1 = *(__u16 *)(mac + 4), ms1 = *(__u16 *)(mac + 10);
	*(__u32 *)mac = ms0;
	*(__u16 *)(mac + 4) = ms1;
	*(__u32 *)(mac + 6) = md0;
	*(__u16 *)(mac + 10) = md1;

	__u32 new_udp_len = sizeof(struct udphdr) + resp_len;
	if (v6) {
		struct ipv6hdr *ip6 = data + l3;
		if ((void *)(ip6 + 1) > data_end)
			goto drop;
		__u64 *a6 = (__u64 *)&ip6->saddr;
		__u64 s0 = a6[0], s1 = a6[1];
		a6[0] = a6[2];
		a6[1] = a6[3];
		a6[2] = s0;
		a6[3] = s1;
		ip6->payload_len = bpf_htons(new_udp_len);
		ip6->hop_limit = EDGENS_REPLY_TTL;
	} else {
		struct iphdr *ip4 = data + l3;
		if ((void *)(ip4 + 1) > data_end)
			goto drop;
		__be32 a = ip4->saddr;
		ip4->saddr = ip4->daddr;
		ip4->daddr = a;
		__u16 tot = sizeof(struct iphdr) + new_udp_len;
		__u16 ttlp = (EDGENS_REPLY_TTL << 8) | EDGENS_IPPROTO_UDP;
		__u64 hs = ip4_rest + tot + ttlp;
		ip4->tot_len = bpf_htons(tot);
		ip4->ttl = EDGENS_REPLY_TTL;
		ip4->check = bpf_htons(~csum_fold(hs) & 0xffff);
	}

	udp = data + l4;
	if ((void *)(udp + 1) > data_end)
		goto drop;
	__be16 sport = udp->source, dport = udp->dest;
	udp->source = dport;
	udp->dest = sport;
	udp->len = bpf_htons(new_udp_len);

	dh = data + dns_off;
	if ((void *)(dh + 1) > data_end)
		goto drop;
	dh->flags = bpf_htons(rflags);
	dh->ancount = bpf_htons(ancount);
	dh->nscount = bpf_htons(nscount);
	dh->arcount = bpf_htons(rarcount);
	/* Pseudo-header (addresses, protocol, length), ports, length, DNS header (QDCOUNT 1), question, body, OPT. */
	__u64 sum = vsum_addrs + EDGENS_IPPROTO_UDP + new_udp_len + bpf_ntohs(sport) + bpf_ntohs(dport) + new_udp_len;
	sum += (__u64)bpf_ntohs(dh->id) + rflags + 1 + ancount + nscount + rarcount;
	sum += qsum;
	sum += (qlen & 1) ? swap16(body_sum) : body_sum;
	sum += opt_sum;
	__u16 check = ~csum_fold(sum) & 0xffff;
	udp->check = bpf_htons(check ? check : 0xffff);

	BENCH_STOP(10);
	count(EDGENS_C_ANSWERED);
	if (nx)
		count(EDGENS_C_ANSWERED_NXDOMAIN);
	if (is_nodata)
		count(EDGENS_C_ANSWERED_NODATA);
	if (slipped)
		count(EDGENS_C_RRL_SLIPPED);
	return XDP_TX;

drop:
	count(EDGENS_C_DROPPED);
	return XDP_DROP;
}
