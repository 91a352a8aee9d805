// SPDX-License-Identifier: GPL-2.0
/*
 * Legacy and BTF map definitions side by side (CONVENTIONS.md §2.1, §11
 * step 1 "A and C can coexist"): libbpf 0.0.4 .. 0.8 and cilium/ebpf open
 * this, libbpf 1.x rejects it because of the "maps" section alone. Both
 * programs use maps of both kinds, so .relxdp and .relsocket point into
 * "maps" and ".maps" alike.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <corpus/bpf_map_def.h>
#include <corpus/net.h>

/* Legacy: 20-byte definitions in "maps". */
struct bpf_map_def SEC("maps") legacy_proto_cnt = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 256,
};

struct bpf_map_def SEC("maps") legacy_len_max = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 1,
};

/* BTF-defined, in ".maps". */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __be32);
	__type(value, __u64);
	__uint(max_entries, 4096);
} btf_src_bytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} btf_verdicts SEC(".maps");

static __always_inline void bump(void *map, __u32 key, __u64 by)
{
	__u64 *cnt = bpf_map_lookup_elem(map, &key);

	if (cnt)
		__sync_fetch_and_add(cnt, by);
}

SEC("xdp")
int xdp_mixed(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct corpus_ethhdr *eth = data;
	struct corpus_iphdr *iph = (void *)(eth + 1);
	__u64 len = data_end - data, *bytes;
	__be32 saddr;

	if ((void *)(iph + 1) > data_end ||
	    eth->h_proto != corpus_htons(CORPUS_ETH_P_IP)) {
		bump(&btf_verdicts, 0, 1);
		return XDP_PASS;
	}
	bump(&legacy_proto_cnt, iph->protocol, 1);

	saddr = iph->saddr;
	bytes = bpf_map_lookup_elem(&btf_src_bytes, &saddr);
	if (bytes)
		__sync_fetch_and_add(bytes, len);
	else
		bpf_map_update_elem(&btf_src_bytes, &saddr, &len, BPF_ANY);
	bump(&btf_verdicts, 1, 1);
	return XDP_PASS;
}

SEC("socket")
int socket_mixed(struct __sk_buff *skb)
{
	__u32 zero = 0, *max;

	max = bpf_map_lookup_elem(&legacy_len_max, &zero);
	if (max && skb->len > *max)
		*max = skb->len; /* racy, but only a high-water mark */
	bump(&btf_verdicts, 0, 1);
	return skb->len;
}

char _license[] SEC("license") = "GPL";
