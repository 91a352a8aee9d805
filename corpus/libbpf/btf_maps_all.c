// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf 1.x BTF-defined maps, using every member name libbpf's
 * parse_btf_map_def() accepts (CONVENTIONS.md §3.4): type, key, key_size,
 * value, value_size, max_entries, map_flags, numa_node, pinning, map_extra
 * and values -- the latter for an ARRAY_OF_MAPS with an inline inner
 * definition, a HASH_OF_MAPS with a named one, and a PROG_ARRAY whose slots
 * point at entry programs. Also built big-endian (-target bpfeb).
 *
 * The programs form a small flow accounting pipeline: tc counts IPv4 flows
 * and tail-calls a per-protocol handler, xdp drops sources found in a bloom
 * filter, a socket filter learns those sources.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <corpus/net.h>

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3]; /* explicit, so a zeroed key hashes deterministically */
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

struct flow_event {
	struct flow_key key;
	__u64 ts_ns;
	__u32 len;
	__u32 ifindex;
};

/* `key`/`value` given as types: libbpf derives the sizes and BTF ids. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* sparse: allocate on insert */
} flows SEC(".maps");

/* `key_size`/`value_size` given as plain byte counts, no BTF types. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NUMA_NODE);
	__uint(numa_node, 0); /* node 0 is online on every machine */
} ifindex_bytes SEC(".maps");

/* Pinned at <pin_root_path>/xdp_verdicts and reused by later loads. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, XDP_REDIRECT + 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdp_verdicts SEC(".maps");

/* A bloom filter has no key; map_extra carries the number of hashes. */
struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __be32);
	__uint(max_entries, 1024);
	__uint(map_extra, 3);
} blocked_saddrs SEC(".maps");

/* Per-port packet counters, one array per L4 protocol. */
struct port_counter_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
};

struct port_counter_map tcp_ports SEC(".maps");
struct port_counter_map udp_ports SEC(".maps");

/*
 * Outer array, inner template declared inline. Slot 1 is deliberately left
 * empty, so .rel.maps has relocations for slots 0 and 2 only. The inline
 * struct is a different C type from struct port_counter_map, hence the
 * casts; libbpf only checks that the inner maps are compatible.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 4);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__type(key, __u32);
		__type(value, __u64);
		__uint(max_entries, 1024);
	});
} ports_by_proto SEC(".maps") = {
	.values = {
		[0] = (void *)&tcp_ports,
		[2] = (void *)&udp_ports,
	},
};

/* Per-interface protocol histograms. */
struct proto_counter_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
};

struct proto_counter_map lo_protos SEC(".maps");

/* HASH_OF_MAPS: libbpf insists on a 4-byte key to place `values` slots. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(key_size, sizeof(__u32));
	__uint(max_entries, 64);
	__array(values, struct proto_counter_map);
} protos_by_ifindex SEC(".maps") = {
	.values = {
		[1] = &lo_protos, /* ifindex 1 is the loopback device */
	},
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024);
} flow_events SEC(".maps");

/* Tail-call targets must be entry programs, so declare them up front. */
SEC("tc") int handle_tcp(struct __sk_buff *skb);
SEC("tc") int handle_udp(struct __sk_buff *skb);

enum { TAIL_TCP = 0, TAIL_UDP = 1 };

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(max_entries, 2);
	__array(values, int(void *));
} tail_by_proto SEC(".maps") = {
	.values = {
		[TAIL_TCP] = (void *)&handle_tcp,
		[TAIL_UDP] = (void *)&handle_udp,
	},
};

/* Returns the IPv4 header if the packet is Ethernet + complete IPv4. */
static __always_inline struct corpus_iphdr *ipv4_header(void *data,
							void *data_end)
{
	struct corpus_ethhdr *eth = data;
	struct corpus_iphdr *iph = (void *)(eth + 1);

	if ((void *)(iph + 1) > data_end)
		return 0;
	if (eth->h_proto != corpus_htons(CORPUS_ETH_P_IP))
		return 0;
	return iph;
}

/* Reads the L4 ports behind a (validated) IPv4 header, if present. */
static __always_inline struct corpus_ports *l4_ports(struct corpus_iphdr *iph,
						     void *data_end)
{
	struct corpus_ports *ports;
	__u32 ihl = CORPUS_IP_HLEN(iph);

	if (ihl < sizeof(*iph))
		return 0;
	ports = (void *)iph + ihl;
	if ((void *)(ports + 1) > data_end)
		return 0;
	return ports;
}

static __always_inline void count_port(void *outer, __u32 slot, __u16 port)
{
	__u32 key = port % 1024;
	__u64 *cnt;
	void *inner;

	inner = bpf_map_lookup_elem(outer, &slot);
	if (!inner)
		return;
	cnt = bpf_map_lookup_elem(inner, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
}

SEC("tc")
int tc_flow_ingress(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct flow_key key = {};
	struct flow_stats *stats, init = {};
	struct corpus_ports *ports;
	struct corpus_iphdr *iph;
	struct flow_event *ev;
	__u32 ifindex = skb->ifindex;
	__u64 *bytes;

	iph = ipv4_header(data, data_end);
	if (!iph)
		return TC_ACT_OK;

	/* peek writes through its argument: pass a stack copy, not packet */
	key.saddr = iph->saddr;
	if (bpf_map_peek_elem(&blocked_saddrs, &key.saddr) == 0)
		return TC_ACT_SHOT;

	key.daddr = iph->daddr;
	key.proto = iph->protocol;
	ports = l4_ports(iph, data_end);
	if (ports) {
		key.sport = ports->source;
		key.dport = ports->dest;
	}

	stats = bpf_map_lookup_elem(&flows, &key);
	if (stats) {
		__sync_fetch_and_add(&stats->packets, 1);
		__sync_fetch_and_add(&stats->bytes, skb->len);
	} else {
		init.packets = 1;
		init.bytes = skb->len;
		bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST);

		/* Report new flows only; the ring buffer may be full. */
		ev = bpf_ringbuf_reserve(&flow_events, sizeof(*ev), 0);
		if (ev) {
			ev->key = key;
			ev->ts_ns = bpf_ktime_get_ns();
			ev->len = skb->len;
			ev->ifindex = ifindex;
			bpf_ringbuf_submit(ev, 0);
		}
	}

	bytes = bpf_map_lookup_elem(&ifindex_bytes, &ifindex);
	if (bytes) {
		__sync_fetch_and_add(bytes, skb->len);
	} else {
		__u64 len = skb->len;

		bpf_map_update_elem(&ifindex_bytes, &ifindex, &len, BPF_ANY);
	}

	if (key.proto == CORPUS_IPPROTO_TCP)
		bpf_tail_call(skb, &tail_by_proto, TAIL_TCP);
	else if (key.proto == CORPUS_IPPROTO_UDP)
		bpf_tail_call(skb, &tail_by_proto, TAIL_UDP);

	/* No handler installed, or not TCP/UDP. */
	return TC_ACT_OK;
}

SEC("tc")
int handle_tcp(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct corpus_ports *ports;
	struct corpus_iphdr *iph;

	iph = ipv4_header(data, data_end);
	if (!iph)
		return TC_ACT_OK;
	ports = l4_ports(iph, data_end);
	if (ports)
		count_port(&ports_by_proto, 0, corpus_ntohs(ports->dest));
	return TC_ACT_OK;
}

SEC("tc")
int handle_udp(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct corpus_ports *ports;
	struct corpus_iphdr *iph;

	iph = ipv4_header(data, data_end);
	if (!iph)
		return TC_ACT_OK;
	ports = l4_ports(iph, data_end);
	if (ports)
		count_port(&ports_by_proto, 2, corpus_ntohs(ports->dest));
	return TC_ACT_OK;
}

SEC("classifier")
int cls_proto_histogram(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	__u32 ifindex = skb->ifindex;
	struct corpus_iphdr *iph;
	__u32 proto;
	void *inner;
	__u64 *cnt;

	iph = ipv4_header(data, data_end);
	if (!iph)
		return TC_ACT_OK;

	inner = bpf_map_lookup_elem(&protos_by_ifindex, &ifindex);
	if (!inner)
		return TC_ACT_OK;
	proto = iph->protocol;
	cnt = bpf_map_lookup_elem(inner, &proto);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return TC_ACT_OK;
}

static __always_inline int xdp_count(__u32 verdict)
{
	__u64 *cnt = bpf_map_lookup_elem(&xdp_verdicts, &verdict);

	if (cnt)
		*cnt += 1; /* per-CPU slot: no atomic needed */
	return verdict;
}

SEC("xdp")
int xdp_block_sources(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct corpus_iphdr *iph;
	__be32 saddr;

	iph = ipv4_header(data, data_end);
	if (!iph)
		return xdp_count(XDP_PASS);
	saddr = iph->saddr;
	if (bpf_map_peek_elem(&blocked_saddrs, &saddr) == 0)
		return xdp_count(XDP_DROP);
	return xdp_count(XDP_PASS);
}

/*
 * On a raw AF_PACKET socket: remember the sources of ICMP traffic as
 * "blocked". Socket filters cannot read skb->data directly, hence
 * bpf_skb_load_bytes().
 */
SEC("socket")
int sock_learn_icmp_sources(struct __sk_buff *skb)
{
	struct corpus_iphdr iph;

	if (skb->protocol != corpus_htons(CORPUS_ETH_P_IP))
		return skb->len;
	if (bpf_skb_load_bytes(skb, CORPUS_ETH_HLEN, &iph, sizeof(iph)) < 0)
		return skb->len;
	if (iph.protocol == CORPUS_IPPROTO_ICMP)
		bpf_map_push_elem(&blocked_saddrs, &iph.saddr, BPF_ANY);
	return skb->len;
}

char _license[] SEC("license") = "GPL";
