// SPDX-License-Identifier: GPL-2.0
/*
 * iproute2-layout (36-byte struct bpf_elf_map) map definitions placed in a
 * section that is NOT named "maps": "classifier/maps". No loader in
 * CONVENTIONS.md recognises it (iproute2 and libbpf look for "maps" by exact
 * name, cilium by the "maps" prefix, gobpf by "maps/"), so the program's
 * ld_imm64 relocations point at GLOBAL OBJECTs in an unknown data section.
 * A reader has to decide from the relocations and symbol sizes that these
 * are map definitions. The section name also starts like a program section
 * name but has no SHF_EXECINSTR.
 */
#include <corpus/helpers.h>
#include <corpus/elf_map.h>
#include <corpus/net.h>

#define MAPS_SECTION "classifier/maps"

struct bpf_elf_map SEC(MAPS_SECTION) odd_counters = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 2,
	.pinning = PIN_GLOBAL_NS,
};

struct bpf_elf_map SEC(MAPS_SECTION) odd_ports = {
	.type = BPF_MAP_TYPE_HASH,
	.size_key = sizeof(__u16),
	.size_value = sizeof(__u64),
	.max_elem = 512,
};

SEC("classifier")
int cls_odd(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct corpus_ethhdr *eth = data;
	struct corpus_iphdr *iph = (void *)(eth + 1);
	struct corpus_ports *ports = (void *)(iph + 1);
	__u32 key = 0;
	__u64 one = 1, *cnt;
	__u16 dport;

	cnt = bpf_map_lookup_elem(&odd_counters, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);

	if ((void *)(ports + 1) > data_end ||
	    eth->h_proto != corpus_htons(CORPUS_ETH_P_IP) ||
	    iph->ver_ihl != 0x45)
		return TC_ACT_OK;
	if (iph->protocol != CORPUS_IPPROTO_TCP)
		return TC_ACT_OK;

	key = 1;
	cnt = bpf_map_lookup_elem(&odd_counters, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	dport = corpus_ntohs(ports->dest);
	cnt = bpf_map_lookup_elem(&odd_ports, &dport);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&odd_ports, &dport, &one, BPF_NOEXIST);
	return TC_ACT_OK;
}

CORPUS_LICENSE("GPL");
