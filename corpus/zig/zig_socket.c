// SPDX-License-Identifier: GPL-2.0
/*
 * The zig-bpf-intro example (Zig + mattnite/bpf, Dec 2020) re-created in C
 * (CONVENTIONS.md §9), because what matters to a reader is the ELF the Zig
 * compiler produced:
 *
 *   export var events linksection("maps") = PerfEventArray.init(256, 0);
 *   export fn bpf_prog(ctx: *SkBuff) linksection("socket1") c_int { ... }
 *
 * - "maps" holds 20-byte MapDefs {type, key_size, value_size, max_entries,
 *   map_flags}, exported (GLOBAL) symbols;
 * - map_flags is non-zero here on purpose: the Zig loader never passed it to
 *   the kernel, so a faithful conversion must drop it. BPF_F_PRESERVE_ELEMS
 *   is a flag the kernel accepts for a perf event array but which changes
 *   behaviour, so keeping it would be observable;
 * - one program, section "socket1", which the loader always loaded as a
 *   socket filter with a hard-coded "GPL" license and kern_version 0;
 * - no "license" and no "version" section at all: the GPL-only
 *   bpf_perf_event_output() is only allowed because the loader supplied
 *   "GPL" itself. Relocations were matched by map (symbol) name.
 */
#include <corpus/helpers.h>

/* bpf.MapDef from mattnite/bpf: an extern struct of five u32. */
struct MapDef {
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
};

_Static_assert(sizeof(struct MapDef) == 20, "Zig MapDef");

/* PerfEventArray.init(256, flags): key and value are both u32. */
struct MapDef events SEC("maps") = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 256,
	.map_flags = BPF_F_PRESERVE_ELEMS,
};

/* What the host side reads from the perf buffer for every packet. */
struct packet_sample {
	__u32 len;
	__u32 ifindex;
	__u16 protocol;
	__u16 pkt_type;
};

SEC("socket1")
int bpf_prog(struct __sk_buff *skb)
{
	struct packet_sample sample = {
		.len = skb->len,
		.ifindex = skb->ifindex,
		.protocol = (__u16)skb->protocol,
		.pkt_type = (__u16)skb->pkt_type,
	};

	bpf_perf_event_output(skb, &events, BPF_F_CURRENT_CPU, &sample,
			      sizeof(sample));
	return 0; /* keep nothing: the socket only observes */
}
