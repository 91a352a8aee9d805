// SPDX-License-Identifier: GPL-2.0
/*
 * samples/bpf bpf_load.c object of the ~v4.12-4.13 era (CONVENTIONS.md
 * §8.1): the 24-byte map definition (map_flags + inner_map_idx, no
 * numa_node), with the socket-map style programs the loader knew by prefix:
 * "sockops", "sk_skb/stream_parser", "sk_skb/stream_verdict" (bpf_load only
 * loads these; user space attaches them), plus an "xdp*" section and a
 * "version" section.
 */
#define CORPUS_SAMPLES_DEF_SIZE 24
#include <corpus/helpers.h>
#include <corpus/samples_map.h>
#include <corpus/net.h>

/* Established sockets, redirected to by the stream verdict program. */
struct bpf_map_def SEC("maps") sock_map = {
	.type = BPF_MAP_TYPE_SOCKMAP,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 20,
};

/* How often each sockops callback fired (op is < 32 on every kernel). */
struct bpf_map_def SEC("maps") sockops_ops = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 32,
};

/* Packets passed by the XDP program, per CPU. */
struct bpf_map_def SEC("maps") xdp_passed = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
	.map_flags = 0,
	.inner_map_idx = 0,
};

SEC("sockops")
int count_sockops(struct bpf_sock_ops *skops)
{
	__u32 op = skops->op;
	__u64 *cnt;

	if (op >= 32)
		return 1;
	cnt = bpf_map_lookup_elem(&sockops_ops, &op);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return 1;
}

/* The whole skb is one message. */
SEC("sk_skb/stream_parser")
int parse_whole_skb(struct __sk_buff *skb)
{
	return skb->len;
}

/* Redirect every message to the socket at key = local port % 20. */
SEC("sk_skb/stream_verdict")
int verdict_by_port(struct __sk_buff *skb)
{
	__u32 key = skb->local_port % 20;

	return bpf_sk_redirect_map(skb, &sock_map, key, 0);
}

SEC("xdp_pass")
int xdp_pass_count(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *cnt = bpf_map_lookup_elem(&xdp_passed, &key);

	if (cnt)
		*cnt += 1;
	return XDP_PASS;
}

CORPUS_LICENSE("GPL");
CORPUS_VERSION(KERNEL_VERSION(4, 13, 0));
