// SPDX-License-Identifier: GPL-2.0
/*
 * gobpf (github.com/iovisor/gobpf/elf) object, 2017+ layout
 * (CONVENTIONS.md §6): every map in its own section "maps/<name>" holding
 * exactly one 280-byte definition {type, key_size, value_size, max_entries,
 * map_flags, pinning, namespace[256]}; the map name is the section suffix,
 * and "maps/events" is deliberately defined by a symbol named perf_map.
 * Pinning covers PIN_NONE, PIN_GLOBAL_NS in two different namespaces
 * ("tc" -> /sys/fs/bpf/tc/globals/shared, "myapp") and PIN_CUSTOM_NS
 * (path supplied by the Go caller).
 *
 * Programs are whole sections found by prefix: kprobe/, kretprobe/,
 * sched_cls/, xdp/, socket/, cgroup/skb, tracepoint/. gobpf supports no
 * .text calls and no global data, and every relocation must point into a
 * "maps/" section. The version 0xFFFFFFFE asks gobpf to substitute the
 * running kernel's version.
 */
#include <corpus/helpers.h>
#include <corpus/gobpf_map.h>
#include <corpus/net.h>

/* Calls to nanosleep per process. */
struct bpf_map_def counts CORPUS_GOBPF_MAP(counts) = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1024,
	.pinning = PIN_NONE,
};

/* Thread id -> nanosleep entry time, kprobe to kretprobe. */
struct bpf_map_def start CORPUS_GOBPF_MAP(start) = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 10240,
	.pinning = PIN_NONE,
};

/* Packet counters shared with tc programs: /sys/fs/bpf/tc/globals/shared. */
enum { SHARED_TC, SHARED_XDP, SHARED_GETPID, SHARED_MAX };

struct bpf_map_def shared CORPUS_GOBPF_MAP(shared) = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = SHARED_MAX,
	.pinning = PIN_GLOBAL_NS,
	.namespace = "tc",
};

/* Bytes per socket cookie; pinned wherever the Go code says. */
struct bpf_map_def custom CORPUS_GOBPF_MAP(custom) = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u64),
	.value_size = sizeof(__u64),
	.max_entries = 4096,
	.map_flags = BPF_F_NO_PREALLOC,
	.pinning = PIN_CUSTOM_NS,
};

/* cgroup egress packets: /sys/fs/bpf/myapp/globals/ns_other. */
struct bpf_map_def ns_other CORPUS_GOBPF_MAP(ns_other) = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
	.pinning = PIN_GLOBAL_NS,
	.namespace = "myapp",
};

/*
 * Map "events" (from the section name), symbol perf_map. gobpf fills a
 * PERF_EVENT_ARRAY with per-CPU perf buffers on its own.
 */
struct bpf_map_def perf_map CORPUS_GOBPF_MAP(events) = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	.key_size = sizeof(int),
	.value_size = sizeof(__u32),
	.max_entries = 128,
	.pinning = PIN_NONE,
};

struct sleep_event {
	__u32 pid;
	__u32 tid;
	__u64 duration_ns;
	char comm[16];
};

static __corpus_inline void bump(void *map, __u32 key)
{
	__u64 *cnt = bpf_map_lookup_elem(map, &key);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
}

SEC("kprobe/do_nanosleep")
int kprobe__do_nanosleep(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	__u64 now = bpf_ktime_get_ns(), one = 1, *cnt;

	cnt = bpf_map_lookup_elem(&counts, &pid);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
	bpf_map_update_elem(&start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("kretprobe/do_nanosleep")
int kretprobe__do_nanosleep(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct sleep_event ev = {};
	__u64 *ts;

	ts = bpf_map_lookup_elem(&start, &tid);
	if (!ts)
		return 0;
	ev.pid = pid_tgid >> 32;
	ev.tid = tid;
	ev.duration_ns = bpf_ktime_get_ns() - *ts;
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	bpf_map_delete_elem(&start, &tid);
	bpf_perf_event_output(ctx, &perf_map, BPF_F_CURRENT_CPU, &ev,
			      sizeof(ev));
	return 0;
}

SEC("sched_cls/ingress_counter")
int ingress_counter(struct __sk_buff *skb)
{
	bump(&shared, SHARED_TC);
	return TC_ACT_OK;
}

SEC("xdp/prog1")
int xdp_prog1(struct xdp_md *ctx)
{
	bump(&shared, SHARED_XDP);
	return XDP_PASS;
}

SEC("socket/dummy")
int socket_dummy(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	__u64 len = skb->len, *bytes;

	bytes = bpf_map_lookup_elem(&custom, &cookie);
	if (bytes)
		__sync_fetch_and_add(bytes, len);
	else
		bpf_map_update_elem(&custom, &cookie, &len, BPF_NOEXIST);
	return 0; /* observe only */
}

SEC("cgroup/skb")
int cgroup_skb_count(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u64 *cnt = bpf_map_lookup_elem(&ns_other, &zero);

	if (cnt)
		*cnt += 1;
	return 1; /* allow */
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int tracepoint_getpid(void *ctx)
{
	bump(&shared, SHARED_GETPID);
	return 0;
}

char _license[] SEC("license") = "GPL";
__u32 _version SEC("version") = CORPUS_GOBPF_CURRENT_KERNEL;
