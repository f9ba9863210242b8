/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/* The only header shared by xdpgen.bpf.c and xdpgen.c: map layouts and limits. */
#ifndef XDPGEN_H
#define XDPGEN_H

#ifndef XDPGEN_FRAME_MAX
#define XDPGEN_FRAME_MAX 384 /* Ethernet + IPv4 + UDP + DNS header + 255-byte qname + OPT, rounded up */
#endif
#define XDPGEN_FRAME_MIN 54  /* Ethernet + IPv4 + UDP + DNS header */
#define XDPGEN_TEMPLATES_MAX 65536

/* One pre-built query frame. udp_sum: the folded one's-complement sum of the UDP pseudo-header, header and
 * payload with the source port and the DNS ID taken as 0, so the sender only adds the two values it varies. */
struct xdpgen_template {
	__u16 len;
	__u16 udp_sum;
	__u8 data[XDPGEN_FRAME_MAX];
};

/* Sender settings (array map, one entry), written once before the run. */
struct xdpgen_config {
	__u32 ntemplates;
	__u16 sport_base;  /* UDP source ports cycle through sport_base .. sport_base + sport_count - 1 */
	__u16 sport_count;
	__u32 ifindex; /* the client veth: counting on receive, sending (redirect) otherwise */
	/* What the reply counter matches (network byte order). */
	__u32 client_ip;
	__u32 server_ip;
	__u16 server_port;
	__u16 pad;
};

/* Reply counter slots (per-CPU array of __u64). */
enum xdpgen_slot {
	XDPGEN_RCODE0 = 0,   /* DNS responses from server_ip:server_port to client_ip, by RCODE (0..15) */
	XDPGEN_RESP = 16,    /* all of those */
	XDPGEN_RESP_TC = 17, /* ... with TC set */
	XDPGEN_ECHO = 18,    /* our own queries sent back unchanged but for MACs (the bounce program) */
	XDPGEN_OTHER = 19,   /* anything else: passed up the stack (ARP, stray traffic) */
	XDPGEN_SENT = 20,    /* frames the sender built and redirected to the client veth */
	XDPGEN_SEND_ERR = 21, /* frames the sender could not build (bad template): XDP_DROP */
	XDPGEN_SLOTS = 22,
};

#endif
