// SPDX-License-Identifier: GPL-2.0
/*
 * iproute2 objects name their sections freely: tc selects one with
 * `sec NAME` and forces the program type from the command line
 * (CONVENTIONS.md §4.2), so "ingress" and "egress" here are both cls_bpf
 * programs although no other loader knows these names. Both count into one
 * PIN_GLOBAL_NS array, which is how an ingress and an egress filter loaded
 * by two separate tc invocations share state.
 */
#include <corpus/helpers.h>
#include <corpus/elf_map.h>
#include <corpus/net.h>

enum { DIR_INGRESS, DIR_EGRESS, DIR_MAX };

struct dir_stats {
	__u64 packets;
	__u64 bytes;
};

/* /sys/fs/bpf/tc/globals/dir_stats */
struct bpf_elf_map SEC("maps") dir_stats = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(struct dir_stats),
	.max_elem = DIR_MAX,
	.pinning = PIN_GLOBAL_NS,
};

/* Egress packets by IPv4 DSCP value, private to each load. */
struct bpf_elf_map SEC("maps") egress_dscp = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 64,
	.pinning = PIN_NONE,
};

static __corpus_inline void account(__u32 dir, __u32 len)
{
	struct dir_stats *st = bpf_map_lookup_elem(&dir_stats, &dir);

	if (!st)
		return;
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, len);
}

SEC("ingress")
int tc_ingress(struct __sk_buff *skb)
{
	account(DIR_INGRESS, skb->len);
	return TC_ACT_OK;
}

SEC("egress")
int tc_egress(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct corpus_ethhdr *eth = data;
	struct corpus_iphdr *iph = (void *)(eth + 1);
	__u32 dscp;
	__u64 *cnt;

	account(DIR_EGRESS, skb->len);
	if ((void *)(iph + 1) > data_end ||
	    eth->h_proto != corpus_htons(CORPUS_ETH_P_IP))
		return TC_ACT_OK;
	dscp = iph->tos >> 2;
	cnt = bpf_map_lookup_elem(&egress_dscp, &dscp);
	if (cnt)
		*cnt += 1;
	return TC_ACT_OK;
}

CORPUS_LICENSE("GPL");
