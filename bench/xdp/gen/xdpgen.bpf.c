// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* edgens-xdpgen's XDP program, attached to the client veth, with two roles told apart by the ingress device:
 * - frames received on the client veth (the server's replies): count them (by RCODE; echoed queries from the
 *   bounce program separately) and drop them — one map update per frame, no socket. Being attached is also
 *   what lets veth deliver the server's XDP_TX frames to this end (LAB-NOTES).
 * - frames run by BPF_PROG_RUN in live-frames mode with another ingress device (lo): turn each one into the
 *   next query of the template table (new DNS ID and UDP source port, checksum patched) and redirect it out of
 *   the client veth to the server.
 * One program for both because BPF_PROG_RUN installs an XDP program in the kernel's XDP dispatcher for the
 * duration of each call, which waits for an RCU grace period (milliseconds) per call unless the program is
 * already installed there — as it is while attached. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdpgen.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPGEN_TEMPLATES_MAX);
	__type(key, __u32);
	__type(value, struct xdpgen_template);
} templates SEC(".maps"); /* the query frames, cycled through in order */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpgen_config);
} config SEC(".maps"); /* sender and matcher settings */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seq SEC(".maps"); /* the sender's frame sequence number (one sender thread per CPU) */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPGEN_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps"); /* enum xdpgen_slot */

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);
	if (v)
		*v += 1;
}

static __always_inline __u16 fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline int send_query(struct xdp_md *ctx, struct xdpgen_config *cfg)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&seq, &zero);
	if (!n || !cfg->ntemplates || !cfg->sport_count)
		goto bad;
	__u64 s = (*n)++;
	__u32 idx = (__u32)(s % cfg->ntemplates);
	struct xdpgen_template *t = bpf_map_lookup_elem(&templates, &idx);
	if (!t)
		goto bad;
	__u32 len = t->len;
	if (len < XDPGEN_FRAME_MIN || len > XDPGEN_FRAME_MAX)
		goto bad;
	/* Live frames keep their last length (and whatever the server wrote into them): resize, then overwrite. */
	int delta = (int)len - (int)(ctx->data_end - ctx->data);
	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		goto bad;
	if (bpf_xdp_store_bytes(ctx, 0, t->data, len))
		goto bad;

	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + XDPGEN_FRAME_MIN > data_end)
		goto bad;
	struct udphdr *udp = data + sizeof(struct ethhdr) + sizeof(struct iphdr);
	__be16 *dns_id = (void *)(udp + 1);
	__u16 sport = cfg->sport_base + (__u16)(s % cfg->sport_count);
	__u16 id = (__u16)(s * 0x9e37); /* spread IDs: consecutive queries differ in many bits */
	udp->source = bpf_htons(sport);
	*dns_id = bpf_htons(id);
	__u16 check = ~fold((__u32)t->udp_sum + sport + id) & 0xffff;
	udp->check = bpf_htons(check ? check : 0xffff);
	count(XDPGEN_SENT);
	return bpf_redirect(cfg->ifindex, 0);
bad:
	count(XDPGEN_SEND_ERR);
	return XDP_DROP;
}

static __always_inline int count_reply(struct xdp_md *ctx, struct xdpgen_config *cfg)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u8 *dns = (void *)(udp + 1);
	if ((void *)(dns + 4) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP)
		goto other;
	__u8 qr = dns[2] & 0x80;
	if (qr && ip->saddr == cfg->server_ip && ip->daddr == cfg->client_ip &&
	    udp->source == cfg->server_port) {
		count(XDPGEN_RCODE0 + (dns[3] & 0x0f));
		count(XDPGEN_RESP);
		if (dns[2] & 0x02)
			count(XDPGEN_RESP_TC);
		return XDP_DROP;
	}
	if (!qr && ip->saddr == cfg->client_ip && ip->daddr == cfg->server_ip && udp->dest == cfg->server_port) {
		count(XDPGEN_ECHO);
		return XDP_DROP;
	}
other:
	count(XDPGEN_OTHER);
	return XDP_PASS;
}

SEC("xdp")
int xdpgen(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct xdpgen_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return XDP_PASS;
	if (ctx->ingress_ifindex == cfg->ifindex)
		return count_reply(ctx, cfg);
	return send_query(ctx, cfg);
}
