// SPDX-License-Identifier: GPL-2.0
/*
 * XDP program for `ip link set dev X xdp obj xdp_prog.o`, which loads the
 * default section "prog" (ELF_SECTION_PROG) as BPF_PROG_TYPE_XDP; iproute2
 * uses the same default for lwt programs. Maps are pinned under
 * /sys/fs/bpf/xdp/globals, which is a symlink to tc's directory, so tc and
 * ip programs can share them (CONVENTIONS.md §4.3).
 *
 * Policy: drop IPv4 fragments (a common cheap hardening rule), pass the
 * rest, and count both verdicts.
 */
#include <corpus/helpers.h>
#include <corpus/elf_map.h>
#include <corpus/net.h>

#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

struct bpf_elf_map SEC("maps") xdp_verdict_cnt = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = XDP_REDIRECT + 1,
	.pinning = PIN_GLOBAL_NS,
};

static __corpus_inline int verdict(__u32 action)
{
	__u64 *cnt = bpf_map_lookup_elem(&xdp_verdict_cnt, &action);

	if (cnt)
		*cnt += 1;
	return action;
}

SEC(ELF_SECTION_PROG)
int xdp_drop_fragments(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct corpus_ethhdr *eth = data;
	struct corpus_iphdr *iph = (void *)(eth + 1);

	if ((void *)(iph + 1) > data_end)
		return verdict(XDP_PASS);
	if (eth->h_proto != corpus_htons(CORPUS_ETH_P_IP))
		return verdict(XDP_PASS);
	if (iph->frag_off & corpus_htons(IP_MF | IP_OFFSET))
		return verdict(XDP_DROP);
	return verdict(XDP_PASS);
}

CORPUS_LICENSE("GPL");
