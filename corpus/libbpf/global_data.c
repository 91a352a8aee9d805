// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf 1.x global data and calls (CONVENTIONS.md §3.7, §3.8): .data,
 * .rodata, .bss, the custom sections .data.counters and .rodata.config,
 * string literals in .rodata.str1.1, a static and a global (non-static)
 * subprogram in .text reached by bpf-to-bpf calls, a bpf_loop() callback
 * (ld_imm64 of a .text function, BPF_PSEUDO_FUNC) and two programs sharing
 * the "tc" section.
 *
 * Every global here is referenced from code, so each data section gets
 * relocations: against the variable symbol (globals) or against the section
 * symbol with the offset in the instruction (statics, string literals).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <corpus/net.h>

/* .rodata: set by the loader (skeleton) before load, then frozen. */
const volatile __u32 sample_every = 1;
const volatile __u16 watched_port = 22;

/* .rodata.config: a second read-only map, named after the section. */
const volatile __u8 drop_telnet SEC(".rodata.config") = 1;
const volatile __u32 max_loop_iters SEC(".rodata.config") = 16;

/* .data: initialised, writable. */
__u64 generation = 1;
static __u64 last_seen_ns = 1; /* static: relocated via the section symbol */

/* .bss: zero-initialised. */
__u64 packets_total;
__u64 watched_hits;
__u64 syscalls_by_cpu[8];

/* .data.counters: writable, separate map so user space can mmap it alone. */
__u64 tcp_packets SEC(".data.counters");
__u64 udp_packets SEC(".data.counters");
__u64 other_packets SEC(".data.counters");

struct loop_ctx {
	__u64 sum;
	__u32 seed;
};

/* bpf_loop() callback: referenced by address, so it lands in .text. */
static long mix_step(__u32 index, void *data)
{
	struct loop_ctx *lc = data;

	lc->seed = lc->seed * 1103515245 + 12345 + index;
	lc->sum += lc->seed >> 16;
	return 0; /* continue */
}

/*
 * Static subprogram called only from within .text: a pc-relative call that
 * needs no relocation at all.
 */
static __noinline __u64 *proto_counter(__u8 proto)
{
	switch (proto) {
	case CORPUS_IPPROTO_TCP:
		return &tcp_packets;
	case CORPUS_IPPROTO_UDP:
		return &udp_packets;
	default:
		return &other_packets;
	}
}

/*
 * Global subprogram: verified once on its own by the kernel (BTF linkage
 * global), called through its own FUNC symbol.
 */
__noinline int account_packet(__u32 len, __u8 proto)
{
	__u64 *cnt = proto_counter(proto);

	__sync_fetch_and_add(cnt, 1);
	__sync_fetch_and_add(&packets_total, 1);
	if (len == 0)
		return 0;
	return (packets_total % sample_every) == 0;
}

/*
 * Static subprogram taking the context and stack pointers; called from the
 * "tc" section, so the call is relocated against the .text section symbol
 * with the target offset encoded in the call's imm.
 */
static __noinline int parse_ipv4(struct __sk_buff *skb, __u8 *proto,
				 __u16 *dport)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct corpus_ethhdr *eth = data;
	struct corpus_iphdr *iph = (void *)(eth + 1);
	struct corpus_ports *ports;

	if ((void *)(iph + 1) > data_end)
		return -1;
	if (eth->h_proto != corpus_htons(CORPUS_ETH_P_IP))
		return -1;
	*proto = iph->protocol;
	*dport = 0;
	if (CORPUS_IP_HLEN(iph) != sizeof(*iph))
		return 0; /* options present: skip the port lookup */
	ports = (void *)(iph + 1);
	if ((void *)(ports + 1) <= data_end)
		*dport = corpus_ntohs(ports->dest);
	return 0;
}

SEC("tc")
int tc_ingress_account(struct __sk_buff *skb)
{
	__u16 dport = 0;
	__u8 proto = 0;

	if (parse_ipv4(skb, &proto, &dport) < 0)
		return TC_ACT_OK;
	account_packet(skb->len, proto);
	if (dport == watched_port) {
		__sync_fetch_and_add(&watched_hits, 1);
		/* The literal goes to .rodata.str1.1 (mergeable strings). */
		bpf_trace_printk("watched port %d hit\n",
				 sizeof("watched port %d hit\n"), dport);
	}
	if (drop_telnet && proto == CORPUS_IPPROTO_TCP && dport == 23)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc")
int tc_egress_account(struct __sk_buff *skb)
{
	__u64 now;
	__u16 dport = 0;
	__u8 proto = 0;

	if (parse_ipv4(skb, &proto, &dport) < 0)
		return TC_ACT_OK;
	account_packet(skb->len, proto);
	now = bpf_ktime_get_ns();
	/* A new "generation" starts after a second without egress traffic. */
	if (now - last_seen_ns > 1000000000ULL)
		__sync_fetch_and_add(&generation, 1);
	last_seen_ns = now;
	return TC_ACT_OK;
}

SEC("socket")
int sock_sample(struct __sk_buff *skb)
{
	struct loop_ctx lc = { .seed = skb->len };
	__u32 iters = max_loop_iters;

	if (iters > 64)
		iters = 64;
	bpf_loop(iters, mix_step, &lc, 0);
	if (!account_packet(skb->len, 0))
		return 0;
	/* Keep the packet with a pseudo-random probability of ~1/2. */
	return (lc.sum & 1) ? skb->len : 0;
}

SEC("raw_tp/sys_enter")
int count_syscalls(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();

	if (cpu < sizeof(syscalls_by_cpu) / sizeof(syscalls_by_cpu[0]))
		__sync_fetch_and_add(&syscalls_by_cpu[cpu], 1);
	__sync_fetch_and_add(&generation, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
