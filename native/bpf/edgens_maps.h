/* Every map of the edgens XDP program, one line each on what it holds. */
#ifndef EDGENS_MAPS_H
#define EDGENS_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "edgens_consts.h"
#include "edgens_structs.h"

/* Runtime config (port, EDNS size, live generation, enabled); entry 0. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edgens_config);
} config SEC(".maps");

/* Destination addresses we answer for; value unused (1). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGENS_MAX_SERVICE_ADDRS);
	__type(key, struct edgens_addr_key);
	__type(value, __u8);
} service_addrs SEC(".maps");

/* The same addresses by slot (edgens_structs.h): the common case without a hash lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EDGENS_SERVICE_SLOTS);
	__type(key, __u32);
	__type(value, struct edgens_service_slot);
} service_slots SEC(".maps");

/* Answers, generation 0. NO_PREALLOC: freed elements go through RCU, so a reader never sees a reused value. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGENS_MAX_ANSWERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edgens_answer_key);
	__type(value, struct edgens_answer);
} answers_0 SEC(".maps");

/* Answers, generation 1 (user space fills the idle generation, then flips config.generation). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDGENS_MAX_ANSWERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edgens_answer_key);
	__type(value, struct edgens_answer);
} answers_1 SEC(".maps");

/* Names of the NXDOMAIN zones (existing names, cuts) and every zone apex, both generations (key.gen). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * EDGENS_MAX_NAMES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edgens_name_key);
	__type(value, struct edgens_name);
} names SEC(".maps");

/* Names answered NODATA for the types they lack, both generations (key.gen). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * EDGENS_MAX_NAMES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edgens_nodata_key);
	__type(value, struct edgens_nodata);
} nodata SEC(".maps");

/* Zones by gen * EDGENS_MAX_ZONES + id: flags, apex, negative-answer body. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * EDGENS_MAX_ZONES);
	__type(key, __u32);
	__type(value, struct edgens_zone);
} zones SEC(".maps");

/* Response rate limiting state per source prefix (config.rrl_interval != 0). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EDGENS_RRL_ENTRIES);
	__type(key, struct edgens_rrl_key);
	__type(value, struct edgens_rrl);
} rrl SEC(".maps");

/* Per-CPU counters indexed by enum edgens_counter; user space sums over CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EDGENS_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per-CPU scratch: the question copied out of the packet and its lower-cased qname (too big for the stack). */
struct edgens_scratch {
	__u8 raw[EDGENS_QUESTION_COPY];
	__u8 qname[EDGENS_QNAME_BUF];
	__u8 move[EDGENS_MOVE_BUF]; /* EDNS options while parsed; headers + question while they move up */
	__u32 qlen; /* round trip through here drops per-path bounds so the verifier merges states */
	__u32 nlabels; /* labels of the qname (root excluded) */
	__u8 loff[EDGENS_MAX_LABELS]; /* offset of each label in qname */
	__u8 slack[64]; /* 8-byte reads of a label near the end of qname stay inside the value */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edgens_scratch);
} scratch SEC(".maps");

#endif
