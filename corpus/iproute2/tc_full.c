// SPDX-License-Identifier: GPL-2.0
/*
 * iproute2 legacy tc loader object (CONVENTIONS.md §4) using everything the
 * 36-byte struct bpf_elf_map can express:
 *
 * - pinning PIN_GLOBAL_NS (/sys/fs/bpf/tc/globals/<name>), PIN_OBJECT_NS
 *   (/sys/fs/bpf/tc/<sha1 of this .o>/<name>), PIN_NONE and a custom id 5
 *   (subpath from /etc/iproute2/bpf_pinning, e.g. "5 tc/cls1");
 * - a PROG_ARRAY with id 42 filled from the sections "42/0", "42/1" and
 *   "0x2a/2" (tc parses "%i/%i", so hex works too), loaded with the type of
 *   the main program;
 * - map-in-map: two ARRAYs with id 7, one inserted at slot 1 of the outer
 *   map (inner_idx 1), one template-only (inner_idx 0xFFFFFFFF), and an
 *   ARRAY_OF_MAPS with inner_id 7;
 * - a static noinline helper in .text called from "classifier" and
 *   "action". It references a map, so there is a .rel.text: the legacy
 *   loader refuses a non-empty .text without one (§4.6);
 * - BPF_ANNOTATE_KV_PAIR for two maps.
 *
 * No global data anywhere: the legacy loader aborts on any relocation that
 * is not against "maps" or .text. Also built big-endian (-target bpfeb).
 */
#include <corpus/helpers.h>
#include <corpus/elf_map.h>
#include <corpus/net.h>

#define JMP_MAP_ID 42
#define INNER_MAP_ID 7
#define PIN_CUSTOM_CLS1 5 /* "5 tc/cls1" in bpf_pinning */

enum { ACC_PACKETS, ACC_BYTES, ACC_MAX };
enum { TAIL_TCP, TAIL_UDP, TAIL_ICMP, TAIL_MAX };

/* Shared by every tc program on the host that pins the same name. */
struct bpf_elf_map SEC("maps") acc_map = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = ACC_MAX,
	.pinning = PIN_GLOBAL_NS,
};
CORPUS_ANNOTATE_KV_PAIR(acc_map, __u32, __u64);

/* Shared between ingress and egress attachments of this very object. */
struct bpf_elf_map SEC("maps") obj_flows = {
	.type = BPF_MAP_TYPE_HASH,
	.size_key = sizeof(__be32),
	.size_value = sizeof(__u64),
	.max_elem = 1024,
	.flags = BPF_F_NO_PREALLOC,
	.pinning = PIN_OBJECT_NS,
};
CORPUS_ANNOTATE_KV_PAIR(obj_flows, __be32, __u64);

/* Private per-CPU scratch counters, touched only from the .text helper. */
struct bpf_elf_map SEC("maps") priv_scratch = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 4,
	.pinning = PIN_NONE,
};

/* Runtime switch written by an operator through the custom pin path. */
struct bpf_elf_map SEC("maps") custom_cfg = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 1,
	.pinning = PIN_CUSTOM_CLS1,
};

struct bpf_elf_map SEC("maps") proto_hits = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = TAIL_MAX,
};

/*
 * Tail-call table. Deliberately not pinned: tc fills it from the "42/N"
 * sections on every load using the type of the selected program, so a
 * pinned array first owned by the classifier would reject the SCHED_ACT
 * copies made when "action" is loaded from this same object.
 */
struct bpf_elf_map SEC("maps") jmp_tc = {
	.type = BPF_MAP_TYPE_PROG_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = TAIL_MAX,
	.id = JMP_MAP_ID,
	.pinning = PIN_NONE,
};

/* Inserted into every outer map with inner_id 7, at slot 1. */
struct bpf_elf_map SEC("maps") inner_ports = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 8,
	.id = INNER_MAP_ID,
	.inner_idx = 1,
};

/* Same id, same shape, but only a template: never inserted. */
struct bpf_elf_map SEC("maps") inner_template = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 8,
	.id = INNER_MAP_ID,
	.inner_idx = CORPUS_INNER_IDX_NONE,
};

/* size_value is forced to 4 by the loader for outer maps anyway. */
struct bpf_elf_map SEC("maps") outer_ports = {
	.type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 4,
	.inner_id = INNER_MAP_ID,
};

static __corpus_inline void bump(void *map, __u32 key, __u64 by)
{
	__u64 *cnt = bpf_map_lookup_elem(map, &key);

	if (cnt)
		__sync_fetch_and_add(cnt, by);
}

/*
 * Lives in .text and is appended to each program that calls it; the call
 * is relocated against the .text section symbol, the only call encoding
 * the legacy loader resolves correctly.
 */
static __corpus_noinline int account_scratch(__u32 slot, __u32 len)
{
	__u64 *cnt;

	if (slot >= 4)
		return 0;
	cnt = bpf_map_lookup_elem(&priv_scratch, &slot);
	if (!cnt)
		return 0;
	*cnt += len;
	return 1;
}

static __corpus_inline struct corpus_iphdr *ipv4_header(void *data,
							void *data_end)
{
	struct corpus_ethhdr *eth = data;
	struct corpus_iphdr *iph = (void *)(eth + 1);

	if ((void *)(iph + 1) > data_end)
		return 0;
	if (eth->h_proto != corpus_htons(CORPUS_ETH_P_IP))
		return 0;
	return iph;
}

SEC(ELF_SECTION_CLASSIFIER)
int cls_main(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct corpus_iphdr *iph;
	__u32 zero = 0, slot = 1, *cfg;
	__u64 one = 1, *flow;
	__be32 saddr;
	void *inner;
	__u8 proto;

	bump(&acc_map, ACC_PACKETS, 1);
	bump(&acc_map, ACC_BYTES, skb->len);
	account_scratch(0, skb->len);

	iph = ipv4_header(data, data_end);
	if (!iph)
		return TC_ACT_OK;
	saddr = iph->saddr;
	proto = iph->protocol;

	/* Per-source tracking only when switched on through custom_cfg. */
	cfg = bpf_map_lookup_elem(&custom_cfg, &zero);
	if (cfg && *cfg) {
		flow = bpf_map_lookup_elem(&obj_flows, &saddr);
		if (flow)
			__sync_fetch_and_add(flow, 1);
		else
			bpf_map_update_elem(&obj_flows, &saddr, &one,
					    BPF_NOEXIST);
	}

	inner = bpf_map_lookup_elem(&outer_ports, &slot);
	if (inner)
		bump(inner, proto & 7, 1);

	if (proto == CORPUS_IPPROTO_TCP)
		bpf_tail_call(skb, &jmp_tc, TAIL_TCP);
	else if (proto == CORPUS_IPPROTO_UDP)
		bpf_tail_call(skb, &jmp_tc, TAIL_UDP);
	else if (proto == CORPUS_IPPROTO_ICMP)
		bpf_tail_call(skb, &jmp_tc, TAIL_ICMP);
	return TC_ACT_OK;
}

__section_tail(JMP_MAP_ID, 0)
int cls_tail_tcp(struct __sk_buff *skb)
{
	bump(&proto_hits, TAIL_TCP, 1);
	return TC_ACT_OK;
}

__section_tail(JMP_MAP_ID, 1)
int cls_tail_udp(struct __sk_buff *skb)
{
	bump(&proto_hits, TAIL_UDP, 1);
	return TC_ACT_OK;
}

/* Same map id spelled in hex: "0x2a/2". */
__section_tail(0x2a, 2)
int cls_tail_icmp(struct __sk_buff *skb)
{
	bump(&proto_hits, TAIL_ICMP, 1);
	/* Drop oversized ICMP (ping-of-death style) packets. */
	return skb->len > 1500 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC(ELF_SECTION_ACTION)
int act_main(struct __sk_buff *skb)
{
	account_scratch(1, skb->len);
	return TC_ACT_OK;
}

CORPUS_LICENSE("GPL");
