// SPDX-License-Identifier: GPL-2.0
/*
 * samples/bpf bpf_load.c object of the earliest era (~v4.1-4.5,
 * CONVENTIONS.md §8.1): the 16-byte map definition (no map_flags), a
 * "socketN" section (any name starting with "socket" is a socket filter)
 * using LD_ABS packet loads as the early socket samples did, an "xdp*"
 * section, and a "version" section.
 */
#define CORPUS_SAMPLES_DEF_SIZE 16
#include <corpus/helpers.h>
#include <corpus/samples_map.h>
#include <corpus/net.h>

/* Bytes seen per IP protocol number. */
struct bpf_map_def SEC("maps") proto_bytes = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 256,
};

/* Dropped UDP "discard" (port 9) packets, per CPU. */
struct bpf_map_def SEC("maps") discard_drops = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

SEC("socket0")
int count_proto_bytes(struct __sk_buff *skb)
{
	/* LD_ABS reads relative to the MAC header on a packet socket. */
	__u32 off = CORPUS_ETH_HLEN +
		    __builtin_offsetof(struct corpus_iphdr, protocol);
	__u32 proto = load_byte(skb, off);
	__u64 *bytes;

	/* Only count frames sent by others, as the early samples did. */
	if (skb->pkt_type != 0 /* PACKET_HOST */)
		return 0;
	bytes = bpf_map_lookup_elem(&proto_bytes, &proto);
	if (bytes)
		__sync_fetch_and_add(bytes, skb->len);
	return 0; /* the socket only counts; it receives nothing */
}

SEC("xdp_drop")
int xdp_drop_discard(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct corpus_ethhdr *eth = data;
	struct corpus_iphdr *iph = (void *)(eth + 1);
	struct corpus_ports *ports = (void *)(iph + 1);
	__u32 key = 0;
	__u64 *cnt;

	/* Options-free IPv4/UDP only; everything else passes untouched. */
	if ((void *)(ports + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != corpus_htons(CORPUS_ETH_P_IP) ||
	    iph->ver_ihl != 0x45 || iph->protocol != CORPUS_IPPROTO_UDP)
		return XDP_PASS;
	if (ports->dest != corpus_htons(9))
		return XDP_PASS;

	cnt = bpf_map_lookup_elem(&discard_drops, &key);
	if (cnt)
		*cnt += 1;
	return XDP_DROP;
}

CORPUS_LICENSE("GPL");
CORPUS_VERSION(KERNEL_VERSION(4, 4, 0));
