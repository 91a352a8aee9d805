// SPDX-License-Identifier: GPL-2.0
/*
 * A "maps" section with a custom 32-byte definition: the 20-byte
 * bpf_map_def followed by three u32 of a private extension (CONVENTIONS.md
 * §11 step 2, "other (17-35)"). One map sets the extension fields, the
 * other leaves them zero. How loaders react to the non-zero tail:
 *
 * - libbpf 0.x: "has unrecognized, non-zero options" -> -EINVAL unless
 *   relaxed_maps, which silently drops the tail;
 * - iproute2: accepts strides 16..35 and zero-extends to 36 bytes, so the
 *   tail is READ AS id (offset 20), pinning (24) and inner_id (28): the
 *   tagged map below would be given id 0xC0FFEE and custom pinning id 7;
 * - cilium: the tail ends up in MapSpec.Extra and must be drained;
 * - bpf_load.c: stride 32 > 28 with a non-zero tail -> -EFBIG.
 */
#include <corpus/helpers.h>
#include <corpus/net.h>

struct vendor_map_def {
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
	/* private extension, meaningless to every known loader */
	__u32 vendor_tag;
	__u32 vendor_policy;
	__u32 vendor_reserved;
};

_Static_assert(sizeof(struct vendor_map_def) == 32, "32-byte custom def");

struct vendor_map_def SEC("maps") tagged_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 4,
	.vendor_tag = 0xC0FFEE,
	.vendor_policy = 7,
};

struct vendor_map_def SEC("maps") plain_counts = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

SEC("socket")
int socket_tagged(struct __sk_buff *skb)
{
	__u32 key = skb->pkt_type & 3;
	__u64 *cnt = bpf_map_lookup_elem(&tagged_counts, &key);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return skb->len;
}

SEC("xdp")
int xdp_plain(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *cnt = bpf_map_lookup_elem(&plain_counts, &key);

	if (cnt)
		*cnt += 1;
	return XDP_PASS;
}

CORPUS_LICENSE("GPL");
