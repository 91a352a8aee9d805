// SPDX-License-Identifier: GPL-2.0
/*
 * gobpf object of the early 2017 era (CONVENTIONS.md §6.1): still one map
 * per "maps/<name>" section, but the definition is only 16 bytes {type,
 * key_size, value_size, max_entries} -- no flags, pinning or namespace. The
 * kprobes carry a concrete "version" (4.9.0), as kprobe programs had to on
 * kernels before 5.0.
 */
#define CORPUS_GOBPF_EARLY
#include <corpus/helpers.h>
#include <corpus/gobpf_map.h>

struct bpf_map_def execs CORPUS_GOBPF_MAP(execs) = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1024,
};

struct bpf_map_def latest CORPUS_GOBPF_MAP(latest) = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

/* Per-uid count of sleeps, and when the last one started. */
SEC("kprobe/do_nanosleep")
int kprobe__do_nanosleep(void *ctx)
{
	__u32 uid = (__u32)bpf_get_current_uid_gid(), zero = 0;
	__u64 one = 1, *cnt, *last;

	cnt = bpf_map_lookup_elem(&execs, &uid);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&execs, &uid, &one, BPF_NOEXIST);

	last = bpf_map_lookup_elem(&latest, &zero);
	if (last)
		*last = bpf_ktime_get_ns();
	return 0;
}

SEC("kretprobe/do_nanosleep")
int kretprobe__do_nanosleep(void *ctx)
{
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&latest, &zero);

	if (last)
		*last = 0; /* no sleep in progress */
	return 0;
}

char _license[] SEC("license") = "GPL";
__u32 _version SEC("version") = KERNEL_VERSION(4, 9, 0);
