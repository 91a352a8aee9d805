// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf 0.x style object (CONVENTIONS.md §2): maps as an array of the
 * 20-byte struct bpf_map_def in section "maps" (one GLOBAL OBJECT symbol
 * each), and section names that libbpf <= 0.8 accepted only through sloppy
 * prefix matching ("xdp_prog" -> xdp, "classifier_ingress" -> classifier,
 * "socket_size_hist" -> socket) next to a real "kprobe/<func>" pair. Two maps
 * carry the BPF_ANNOTATE_KV_PAIR idiom (.maps.<name> + ____btf_map_<name>),
 * which gives them key/value BTF in the -g build. No "version" section:
 * libbpf 0.x fell back to the running kernel's version.
 *
 * libbpf 1.x refuses this object ("legacy map definitions in 'maps' section
 * are not supported"), and 1.x would not recognise the sloppy names either.
 */
#include <corpus/helpers.h>
#include <corpus/bpf_map_def.h>
#include <corpus/net.h>

/* Per-action XDP counters, in the style of the xdp-tutorial. */
struct datarec {
	__u64 rx_packets;
	__u64 rx_bytes;
};

struct bpf_map_def SEC("maps") xdp_stats_map = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct datarec),
	.max_entries = XDP_REDIRECT + 1,
};
CORPUS_ANNOTATE_KV_PAIR(xdp_stats_map, __u32, struct datarec);

/* Destination-port counters filled by the tc classifier. */
struct bpf_map_def SEC("maps") dport_counts = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u16),
	.value_size = sizeof(__u64),
	.max_entries = 1024,
	.map_flags = BPF_F_NO_PREALLOC,
};

/* Thread id -> nanosleep entry timestamp, kprobe to kretprobe. */
struct bpf_map_def SEC("maps") sleep_start = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 10240,
};
CORPUS_ANNOTATE_KV_PAIR(sleep_start, __u32, __u64);

/* log2 histograms: slots 0..31 packet sizes, 32..63 sleep durations (us). */
#define HIST_SLOTS 64
#define HIST_SLEEP_BASE 32

struct bpf_map_def SEC("maps") histograms = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = HIST_SLOTS,
};

/* Branch-free floor(log2(v)) for v > 0; keeps the verifier loop-free. */
static __corpus_inline __u32 log2_u32(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __corpus_inline void hist_add(__u32 slot)
{
	__u64 *cnt;

	if (slot >= HIST_SLOTS)
		return;
	cnt = bpf_map_lookup_elem(&histograms, &slot);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
}

SEC("xdp_prog")
int xdp_stats_func(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 action = XDP_PASS;
	struct datarec *rec;

	rec = bpf_map_lookup_elem(&xdp_stats_map, &action);
	if (!rec)
		return XDP_ABORTED;
	rec->rx_packets++;
	rec->rx_bytes += data_end - data;
	return action;
}

SEC("classifier_ingress")
int cls_count_dports(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct corpus_ethhdr *eth = data;
	struct corpus_iphdr *iph = (void *)(eth + 1);
	struct corpus_ports *ports;
	__u64 one = 1, *cnt;
	__u16 dport;

	if ((void *)(iph + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != corpus_htons(CORPUS_ETH_P_IP))
		return TC_ACT_OK;
	if (iph->protocol != CORPUS_IPPROTO_TCP &&
	    iph->protocol != CORPUS_IPPROTO_UDP)
		return TC_ACT_OK;
	if (CORPUS_IP_HLEN(iph) != sizeof(*iph))
		return TC_ACT_OK;
	ports = (void *)(iph + 1);
	if ((void *)(ports + 1) > data_end)
		return TC_ACT_OK;

	dport = corpus_ntohs(ports->dest);
	cnt = bpf_map_lookup_elem(&dport_counts, &dport);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&dport_counts, &dport, &one, BPF_NOEXIST);
	return TC_ACT_OK;
}

SEC("kprobe/do_nanosleep")
int kprobe_nanosleep_enter(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&sleep_start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("kretprobe/do_nanosleep")
int kretprobe_nanosleep_exit(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *start, delta_us;

	start = bpf_map_lookup_elem(&sleep_start, &tid);
	if (!start)
		return 0;
	delta_us = (bpf_ktime_get_ns() - *start) / 1000;
	bpf_map_delete_elem(&sleep_start, &tid);
	if (delta_us > 0xFFFFFFFF)
		delta_us = 0xFFFFFFFF;
	hist_add(HIST_SLEEP_BASE + log2_u32((__u32)delta_us | 1));
	return 0;
}

SEC("socket_size_hist")
int socket_hist_func(struct __sk_buff *skb)
{
	hist_add(log2_u32(skb->len | 1));
	return skb->len; /* accept the whole packet */
}

CORPUS_LICENSE("GPL");
