// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* edgens-xdpgen: a DNS query generator faster than the servers it measures (bench/xdp/README.md).
 *
 * Sends with BPF_PROG_RUN in live-frames mode (kernel >= 5.18): the kernel runs the xdpgen program on
 * page-pool frames (ingress: lo) that it rewrites into queries and redirects out of the client veth — no
 * socket, no copy to user space, no skb. The same program, attached to the client veth, counts the replies
 * (xdpgen.bpf.c). One sender on one CPU, a fixed duration, an optional rate; prints one JSON line.
 * Run it inside the client's network namespace (ifindexes are per namespace). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "xdpgen.h"

static volatile sig_atomic_t stop;
static int attached_ifindex;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("edgens-xdpgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (attached_ifindex)
		bpf_xdp_detach(attached_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now_s();
	if (d <= 0)
		return;
	struct timespec ts = {.tv_sec = (time_t)d, .tv_nsec = (long)((d - (time_t)d) * 1e9)};
	nanosleep(&ts, NULL);
}

/* --- query templates ------------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	uint16_t code;
} qtypes[] = {{"A", 1},      {"NS", 2},    {"CNAME", 5},   {"SOA", 6},     {"PTR", 12},  {"MX", 15},
	      {"TXT", 16},   {"AAAA", 28}, {"SRV", 33},    {"NAPTR", 35},  {"DS", 43},   {"RRSIG", 46},
	      {"NSEC", 47},  {"DNSKEY", 48}, {"NSEC3", 50}, {"SVCB", 64},  {"HTTPS", 65}, {"CAA", 257},
	      {"ANY", 255}};

static int parse_qtype(const char *s)
{
	for (size_t i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++)
		if (!strcasecmp(s, qtypes[i].name))
			return qtypes[i].code;
	if (!strncasecmp(s, "TYPE", 4) && isdigit((unsigned char)s[4])) {
		long v = strtol(s + 4, NULL, 10);
		if (v > 0 && v < 65536)
			return (int)v;
	}
	return -1;
}

/* Presentation name → uncompressed wire name; returns its length or -1. No escapes: query files are plain. */
static int name_to_wire(const char *name, uint8_t *out, size_t cap)
{
	size_t o = 0, n = strlen(name);
	if (n == 1 && name[0] == '.') {
		out[0] = 0;
		return 1;
	}
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || o + 1 + l + 1 > cap)
			return -1;
		out[o++] = (uint8_t)l;
		memcpy(out + o, p, l);
		o += l;
		if (!dot)
			break;
		p = dot + 1;
	}
	out[o++] = 0;
	return o > 255 ? -1 : (int)o;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

struct endpoints {
	uint8_t src_mac[6], dst_mac[6];
	struct in_addr src_ip, dst_ip;
	uint16_t port;
};

/* One query line → one Ethernet/IPv4/UDP/DNS frame with source port and ID 0 (the sender fills them in). */
static int build_frame(const struct endpoints *ep, const uint8_t *qname, int qlen, uint16_t qtype, int edns,
		       int dnssec_ok, struct xdpgen_template *t)
{
	uint8_t *f = t->data;
	size_t dns_len = 12 + qlen + 4 + (edns ? 11 : 0);
	size_t udp_len = 8 + dns_len, ip_len = 20 + udp_len, len = 14 + ip_len;
	if (len > XDPGEN_FRAME_MAX)
		return -1;
	memset(t, 0, sizeof(*t));
	memcpy(f, ep->dst_mac, 6);
	memcpy(f + 6, ep->src_mac, 6);
	f[12] = 0x08; /* IPv4 */
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	ip[2] = ip_len >> 8;
	ip[3] = ip_len & 0xff;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &ep->src_ip, 4);
	memcpy(ip + 16, &ep->dst_ip, 4);
	uint16_t ipc = ~fold(sum16(ip, 20, 0));
	ip[10] = ipc >> 8;
	ip[11] = ipc & 0xff;
	uint8_t *udp = ip + 20;
	udp[2] = ep->port >> 8;
	udp[3] = ep->port & 0xff;
	udp[4] = udp_len >> 8;
	udp[5] = udp_len & 0xff;
	uint8_t *dns = udp + 8;
	dns[5] = 1; /* QDCOUNT */
	dns[11] = edns ? 1 : 0;
	memcpy(dns + 12, qname, qlen);
	uint8_t *q = dns + 12 + qlen;
	q[0] = qtype >> 8;
	q[1] = qtype & 0xff;
	q[3] = 1; /* IN */
	if (edns) {
		uint8_t *o = q + 4;
		o[2] = 41;       /* OPT, owner "." in o[0] */
		o[3] = 1232 >> 8; /* UDP payload size */
		o[4] = 1232 & 0xff;
		o[7] = dnssec_ok ? 0x80 : 0;
	}
	uint32_t s = sum16(ip + 12, 8, 0) + 17 + udp_len; /* pseudo-header */
	s = sum16(udp, udp_len, s);
	t->udp_sum = fold(s);
	t->len = (uint16_t)len;
	return 0;
}

/* Query file: "qname qtype [flags]" per line, kxdpgun's format (flags: E = EDNS, D = EDNS with DO; the words
 * edns/do also work). Blank lines and # comments are skipped. */
static struct xdpgen_template *load_queries(const char *path, const struct endpoints *ep, uint32_t *count)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		die("cannot open query file %s: %s", path, strerror(errno));
	size_t cap = 1024, n = 0, lineno = 0;
	struct xdpgen_template *t = calloc(cap, sizeof(*t));
	char line[1024];
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		char *name = strtok(line, " \t\r\n"), *type = strtok(NULL, " \t\r\n"), *flags = strtok(NULL, " \t\r\n");
		if (!name || name[0] == '#')
			continue;
		if (!type)
			die("%s:%zu: expected 'qname qtype [flags]'", path, lineno);
		int qtype = parse_qtype(type);
		if (qtype < 0)
			die("%s:%zu: unknown qtype '%s'", path, lineno, type);
		int edns = 0, dnssec_ok = 0;
		if (flags) {
			if (!strcasecmp(flags, "do"))
				edns = dnssec_ok = 1;
			else if (!strcasecmp(flags, "edns"))
				edns = 1;
			else
				for (char *c = flags; *c; c++) {
					if (*c == 'E' || *c == 'e')
						edns = 1;
					else if (*c == 'D' || *c == 'd')
						edns = dnssec_ok = 1;
					else
						die("%s:%zu: unknown flag '%c' (E = EDNS, D = EDNS+DO)", path, lineno, *c);
				}
		}
		uint8_t wire[256];
		int qlen = name_to_wire(name, wire, sizeof(wire));
		if (qlen < 0)
			die("%s:%zu: bad name '%s'", path, lineno, name);
		if (n == XDPGEN_TEMPLATES_MAX)
			die("%s: more than %d queries", path, XDPGEN_TEMPLATES_MAX);
		if (n == cap) {
			cap *= 2;
			t = realloc(t, cap * sizeof(*t));
			if (!t)
				die("out of memory");
		}
		if (build_frame(ep, wire, qlen, (uint16_t)qtype, edns, dnssec_ok, &t[n]))
			die("%s:%zu: query does not fit in %d bytes", path, lineno, XDPGEN_FRAME_MAX);
		n++;
	}
	fclose(fp);
	if (!n)
		die("%s: no queries", path);
	*count = (uint32_t)n;
	return t;
}

/* --- kernel side ------------------------------------------------------------------------------------------ */

static uint64_t read_u64_file(const char *fmt, const char *arg)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), fmt, arg);
	FILE *fp = fopen(path, "r");
	unsigned long long v = 0;
	if (!fp || fscanf(fp, "%llu", &v) != 1)
		die("cannot read %s", path);
	fclose(fp);
	return v;
}

static void read_counters(int fd, uint64_t out[XDPGEN_SLOTS])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = calloc(ncpu, sizeof(uint64_t));
	for (uint32_t k = 0; k < XDPGEN_SLOTS; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, v))
			die("reading counters: %s", strerror(errno));
		for (int c = 0; c < ncpu; c++)
			out[k] += v[c];
	}
	free(v);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s -i IFACE -s CLIENT_IP -d SERVER_IP -m SERVER_MAC -f QUERY_FILE [options]\n"
		"  -p PORT      server UDP port (53)\n"
		"  -t SECONDS   send for this long (1-600, default 5)\n"
		"  -Q QPS       target rate, in bursts of min(QPS/100, 128) frames (default 0: as fast as possible)\n"
		"  -c CPU       pin the sender to this CPU (default 0)\n"
		"  -b BATCH     frames per BPF_PROG_RUN batch (1-256, default 64)\n"
		"  -w MS        wait for late replies after sending (default 300)\n"
		"  -P PORT -n N UDP source ports PORT..PORT+N-1 (default 10000, 50000)\n"
		"  -o FILE      BPF object (default xdpgen.bpf.o beside this program)\n"
		"Runs inside the client's network namespace; attaches its counter to IFACE (native XDP) for the run.\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *qfile = NULL, *obj_path = NULL, *cip = NULL, *sip = NULL, *smac = NULL;
	int seconds = 5, cpu = 0, batch = 64, wait_ms = 300, port = 53, sport_base = 10000, sport_count = 50000;
	double rate = 0;
	int opt;
	while ((opt = getopt(argc, argv, "i:s:d:m:f:p:t:Q:c:b:w:P:n:o:h")) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 's': cip = optarg; break;
		case 'd': sip = optarg; break;
		case 'm': smac = optarg; break;
		case 'f': qfile = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 't': seconds = atoi(optarg); break;
		case 'Q': rate = atof(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 'w': wait_ms = atoi(optarg); break;
		case 'P': sport_base = atoi(optarg); break;
		case 'n': sport_count = atoi(optarg); break;
		case 'o': obj_path = optarg; break;
		default: usage(argv[0]);
		}
	}
	if (!ifname || !qfile || !cip || !sip || !smac)
		usage(argv[0]);
	/* Bounded: every run ends after at most 600 s of sending plus the wait. */
	if (seconds < 1 || seconds > 600 || batch < 1 || batch > 256 || wait_ms < 0 || wait_ms > 10000 ||
	    port < 1 || port > 65535 || sport_base < 1 || sport_count < 1 || sport_base + sport_count > 65536 ||
	    rate < 0)
		die("option out of range (-t 1-600, -b 1-256, -w 0-10000, ports 1-65535)");

	struct endpoints ep = {.port = (uint16_t)port};
	if (inet_pton(AF_INET, cip, &ep.src_ip) != 1 || inet_pton(AF_INET, sip, &ep.dst_ip) != 1)
		die("-s/-d must be IPv4 addresses");
	if (sscanf(smac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &ep.dst_mac[0], &ep.dst_mac[1], &ep.dst_mac[2],
		   &ep.dst_mac[3], &ep.dst_mac[4], &ep.dst_mac[5]) != 6)
		die("-m must be a MAC address aa:bb:cc:dd:ee:ff");
	int ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		die("no interface %s in this network namespace", ifname);
	int sock = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (sock < 0 || ioctl(sock, SIOCGIFHWADDR, &ifr))
		die("cannot read the MAC address of %s: %s", ifname, strerror(errno));
	memcpy(ep.src_mac, ifr.ifr_hwaddr.sa_data, 6);
	close(sock);

	uint32_t ntemplates;
	struct xdpgen_template *tpl = load_queries(qfile, &ep, &ntemplates);

	char defobj[PATH_MAX];
	if (!obj_path) {
		char self[PATH_MAX];
		ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (l < 0)
			die("cannot find myself: %s", strerror(errno));
		self[l] = 0;
		snprintf(defobj, sizeof(defobj), "%s/xdpgen.bpf.o", dirname(self));
		obj_path = defobj;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	struct bpf_object *obj = bpf_object__open_file(obj_path, NULL);
	if (!obj)
		die("cannot open %s: %s", obj_path, strerror(errno));
	struct bpf_map *tmap = bpf_object__find_map_by_name(obj, "templates");
	if (!tmap || bpf_map__set_max_entries(tmap, ntemplates))
		die("%s has no templates map", obj_path);
	if (bpf_object__load(obj))
		die("cannot load %s (needs root; see the verifier log above): %s", obj_path, strerror(errno));
	int prog_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "xdpgen"));
	int tmap_fd = bpf_map__fd(tmap);
	int cfg_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "config"));
	int cnt_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "counters"));
	if (prog_fd < 0 || cfg_fd < 0 || cnt_fd < 0)
		die("%s lacks the xdpgen program or its maps", obj_path);
	for (uint32_t k = 0; k < ntemplates; k++)
		if (bpf_map_update_elem(tmap_fd, &k, &tpl[k], BPF_ANY))
			die("filling templates: %s", strerror(errno));
	int lo_ifindex = (int)if_nametoindex("lo");
	if (!lo_ifindex)
		die("no lo in this network namespace");
	struct xdpgen_config cfg = {.ntemplates = ntemplates,
				    .ifindex = (uint32_t)ifindex,
				    .sport_base = (uint16_t)sport_base,
				    .sport_count = (uint16_t)sport_count,
				    .client_ip = ep.src_ip.s_addr,
				    .server_ip = ep.dst_ip.s_addr,
				    .server_port = htons((uint16_t)port)};
	uint32_t zero = 0;
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY))
		die("writing config: %s", strerror(errno));

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	int err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, &aopts);
	if (err)
		die("cannot attach the reply counter to %s in native mode (another XDP program there?): %s", ifname,
		    strerror(-err));
	attached_ifindex = ifindex;

	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("cannot pin to CPU %d: %s", cpu, strerror(errno));

	/* The initial frame contents do not matter (the program rewrites every frame); its length must be valid.
	 * Ingress lo: anything but the client veth makes the program send rather than count. */
	struct xdp_md ctx_in = {.data_end = tpl[0].len, .ingress_ifindex = (uint32_t)lo_ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, ropts, .data_in = tpl[0].data, .data_size_in = tpl[0].len, .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = (uint32_t)batch);
	uint64_t drop0 = read_u64_file("/sys/class/net/%s/statistics/tx_dropped", ifname);
	/* Unpaced: 8192 frames per call (a few ms) so the clock is checked often. Paced: bursts of 10 ms' worth, at
	 * most 128 frames (half the server end's 256-frame veth ring), like a NIC coalescing interrupts: one
	 * frame per wake-up would measure context switches rather than the server's work. */
	uint64_t chunk = 8192;
	if (rate > 0) {
		chunk = (uint64_t)(rate / 100);
		chunk = chunk < 1 ? 1 : chunk > 128 ? 128 : chunk;
	}
	uint64_t runs = 0;
	double start = now_s(), end = start + seconds, t;
	while (!stop && (t = now_s()) < end) {
		ropts.repeat = (uint32_t)chunk;
		err = bpf_prog_test_run_opts(prog_fd, &ropts);
		if (err && errno != EINTR)
			die("BPF_PROG_RUN (live frames, kernel >= 5.18) failed: %s", strerror(errno));
		runs += chunk;
		if (rate > 0)
			sleep_until(start + runs / rate);
	}
	double sent_s = now_s() - start;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru); /* the sender's own CPU: the frames are built and sent in its syscalls */
	double cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	usleep((useconds_t)wait_ms * 1000);
	uint64_t c[XDPGEN_SLOTS];
	read_counters(cnt_fd, c);
	uint64_t drop1 = read_u64_file("/sys/class/net/%s/statistics/tx_dropped", ifname);
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	attached_ifindex = 0;

	static const char *rc_names[16] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					   "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
					   "RCODE12", "RCODE13", "RCODE14", "RCODE15"};
	uint64_t sent = c[XDPGEN_SENT], answered = c[XDPGEN_RESP] + c[XDPGEN_ECHO];
	printf("{\"tool\":\"edgens-xdpgen\",\"iface\":\"%s\",\"cpu\":%d,\"templates\":%u,\"target_qps\":%.0f,"
	       "\"duration_s\":%.3f,\"sent\":%llu,\"send_errors\":%llu,\"tx_dropped\":%llu,\"replies\":%llu,"
	       "\"echoes\":%llu,\"tc\":%llu,\"other\":%llu,\"lost\":%lld,\"sent_pps\":%.0f,\"reply_pps\":%.0f,"
	       "\"answered_pps\":%.0f,\"sender_cpu_s\":%.3f,\"rcodes\":{",
	       ifname, cpu, ntemplates, rate, sent_s, (unsigned long long)sent,
	       (unsigned long long)c[XDPGEN_SEND_ERR], (unsigned long long)(drop1 - drop0),
	       (unsigned long long)c[XDPGEN_RESP], (unsigned long long)c[XDPGEN_ECHO],
	       (unsigned long long)c[XDPGEN_RESP_TC], (unsigned long long)c[XDPGEN_OTHER],
	       (long long)(sent - answered), sent / sent_s, c[XDPGEN_RESP] / sent_s, answered / sent_s, cpu_s);
	int first = 1;
	for (int r = 0; r < 16; r++)
		if (c[XDPGEN_RCODE0 + r]) {
			printf("%s\"%s\":%llu", first ? "" : ",", rc_names[r], (unsigned long long)c[XDPGEN_RCODE0 + r]);
			first = 0;
		}
	printf("}}\n");
	bpf_object__close(obj);
	free(tpl);
	return 0;
}
