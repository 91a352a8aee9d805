// SPDX-License-Identifier: GPL-2.0
/*
 * BPF CO-RE in networking programs (socket filter, XDP, cgroup_skb): the
 * context structs and packet headers are local preserve_access_index
 * definitions whose layouts differ from the kernel's, so context offsets are
 * relocated (__sk_buff's protocol is at 16 in the kernel, 4 here). Written
 * without vmlinux.h for a kernel-independent golden IR (see core_trace.c).
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define __core __attribute__((preserve_access_index))

struct __sk_buff {
	__u32 len;
	__u32 protocol;
	__u32 mark;
	__u32 ifindex;
} __core;

struct xdp_md {
	__u32 data;
	__u32 data_end;
} __core;

struct ethhdr {
	unsigned char h_dest[6];
	unsigned char h_source[6];
	__be16 h_proto;
} __core;

__u64 socket_bytes;
__u64 xdp_protos[4];
__u64 cgroup_marks;

SEC("socket")
int socket_core(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&socket_bytes, skb->len);
	return skb->protocol == 0 ? 0 : skb->len;
}

SEC("xdp")
int xdp_core(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return 2; /* XDP_PASS */
	xdp_protos[eth->h_proto & 3]++;
	return 2;
}

SEC("cgroup_skb/ingress")
int cgroup_skb_core(struct __sk_buff *skb)
{
	if (bpf_core_field_exists(skb->mark))
		__sync_fetch_and_add(&cgroup_marks, skb->mark + skb->ifindex);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
