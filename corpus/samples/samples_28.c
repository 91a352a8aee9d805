// SPDX-License-Identifier: GPL-2.0
/*
 * samples/bpf bpf_load.c object, v4.14..v5.10 era (CONVENTIONS.md §8): the
 * 28-byte map definition with inner_map_idx and numa_node, and the loader's
 * naming rules: "kprobe/<func>" attaches, "kprobe/<digits>" is a tail-call
 * target stored at that key of the LAST prog array in the maps section,
 * "tracepoint/<cat>/<name>" attaches to a tracepoint. Also built
 * big-endian (-target bpfeb).
 *
 * bpf_load.c loads each section as one program and supports neither
 * bpf-to-bpf calls nor global data, so everything is inlined and all state
 * lives in maps.
 */
#define CORPUS_SAMPLES_DEF_SIZE 28
#include <corpus/helpers.h>
#include <corpus/samples_map.h>

/*
 * Map order matters: bpf_load sorts maps by offset, inner_map_idx indexes
 * that order, and the template must already exist when the outer map is
 * created -- so the inner map comes first.
 */
struct bpf_map_def SEC("maps") inner_counts = { /* index 0 */
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 16,
};

/* Outer map: bpf_load creates it from the template but never fills it. */
struct bpf_map_def SEC("maps") outer_counts = { /* index 1 */
	.type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 4,
	.inner_map_idx = 0,
};

/* numa_node only counts because BPF_F_NUMA_NODE is set. */
struct bpf_map_def SEC("maps") pid_hits = { /* index 2 */
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 4096,
	.map_flags = BPF_F_NUMA_NODE,
	.numa_node = 0,
};

struct bpf_map_def SEC("maps") write_sizes = { /* index 3 */
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 32,
};

/* The last PROG_ARRAY: bpf_load stores the kprobe/N programs here. */
struct bpf_map_def SEC("maps") jmp_table = { /* index 4 */
	.type = BPF_MAP_TYPE_PROG_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 8,
};

static __corpus_inline void bump(void *map, __u32 key)
{
	__u64 *cnt = bpf_map_lookup_elem(map, &key);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
}

SEC("kprobe/do_nanosleep")
int trace_nanosleep(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32, slot = 0;
	__u64 one = 1, *hits;
	void *inner;

	hits = bpf_map_lookup_elem(&pid_hits, &pid);
	if (hits)
		__sync_fetch_and_add(hits, 1);
	else
		bpf_map_update_elem(&pid_hits, &pid, &one, BPF_NOEXIST);

	/* Slot 0 is filled by user space, if at all. */
	inner = bpf_map_lookup_elem(&outer_counts, &slot);
	if (inner)
		bump(inner, pid % 16);

	/* Odd pids go to kprobe/1, even ones to kprobe/2. */
	bpf_tail_call(ctx, &jmp_table, (pid & 1) ? 1 : 2);
	return 0;
}

SEC("kprobe/1")
int trace_nanosleep_odd(void *ctx)
{
	bump(&inner_counts, 1);
	return 0;
}

SEC("kprobe/2")
int trace_nanosleep_even(void *ctx)
{
	bump(&inner_counts, 2);
	return 0;
}

/* Layout of the sys_enter_write tracepoint record (see its format file). */
struct sys_enter_write_args {
	__u64 common; /* common_type, flags, preempt_count, pid */
	__s32 syscall_nr;
	__u32 pad;
	__u64 fd;
	__u64 buf;
	__u64 count;
};

SEC("tracepoint/syscalls/sys_enter_write")
int trace_write_size(struct sys_enter_write_args *args)
{
	__u64 count = args->count;
	__u32 bucket = 0;

	/* Unrolled log2 bucket, capped at 2^31. */
	if (count >= (1ULL << 16)) { count >>= 16; bucket += 16; }
	if (count >= (1ULL << 8)) { count >>= 8; bucket += 8; }
	if (count >= (1ULL << 4)) { count >>= 4; bucket += 4; }
	if (count >= (1ULL << 2)) { count >>= 2; bucket += 2; }
	if (count >= (1ULL << 1)) bucket += 1;
	bump(&write_sizes, bucket & 31);
	return 0;
}

CORPUS_LICENSE("GPL");
CORPUS_VERSION(KERNEL_VERSION(5, 10, 0));
