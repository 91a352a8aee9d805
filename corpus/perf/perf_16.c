// SPDX-License-Identifier: GPL-2.0
/*
 * perf test-script style object (like tools/perf/tests/bpf-script-example.c,
 * CONVENTIONS.md §5.1): the 16-byte map definition {type, key_size,
 * value_size, max_entries} in "maps", a probe-definition section, and
 * license + version. The program filters samples: it keeps every other
 * hit by flipping a flag in an array map (return 1 = record the sample).
 */
#include <corpus/helpers.h>

#ifndef LINUX_VERSION_CODE
#define LINUX_VERSION_CODE KERNEL_VERSION(5, 15, 0)
#endif

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
};

_Static_assert(sizeof(struct bpf_map_def) == 16, "perf test-script def");

struct bpf_map_def SEC("maps") flip_table = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(int),
	.value_size = sizeof(int),
	.max_entries = 1,
};

SEC("func=do_nanosleep")
int bpf_func__do_nanosleep(void *ctx)
{
	int key = 0, new_flag, *flag;

	flag = bpf_map_lookup_elem(&flip_table, &key);
	if (!flag)
		return 0;
	/* Flip the flag; record only when it was previously set. */
	new_flag = !*flag;
	bpf_map_update_elem(&flip_table, &key, &new_flag, BPF_ANY);
	return new_flag == 0;
}

CORPUS_LICENSE("GPL");
CORPUS_VERSION(LINUX_VERSION_CODE);
