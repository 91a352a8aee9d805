/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf BPF loader conventions (CONVENTIONS.md §5), as the removed
 * tools/perf/include/bpf/bpf.h era used them: maps in section "maps" as a
 * 28-byte struct bpf_map, each also annotated for BTF; the section name of a
 * program is a perf-probe definition or a "group:event" tracepoint; and the
 * license macro also emits a "version" section.
 */
#ifndef CORPUS_PERF_H
#define CORPUS_PERF_H

#include <corpus/helpers.h>

/* perf's clang driver passed these in; keep plausible defaults. */
#ifndef LINUX_VERSION_CODE
#define LINUX_VERSION_CODE KERNEL_VERSION(5, 15, 0)
#endif
#ifndef __NR_CPUS__
#define __NR_CPUS__ 128
#endif

struct bpf_map {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
	unsigned int inner_map_idx; /* never interpreted by perf: keep 0 */
	unsigned int numa_node;     /* never interpreted by perf: keep 0 */
};

_Static_assert(sizeof(struct bpf_map) == 28, "perf struct bpf_map");

/* A map definition plus its ____btf_map_<name> key/value annotation. */
#define CORPUS_PERF_MAP(name, _type, type_key, type_val, _max_entries)         \
	struct bpf_map SEC("maps") name = {                                    \
		.type = (_type),                                               \
		.key_size = sizeof(type_key),                                  \
		.value_size = sizeof(type_val),                                \
		.max_entries = (_max_entries),                                 \
	};                                                                     \
	CORPUS_ANNOTATE_KV_PAIR(name, type_key, type_val)

/* perf's license(NAME) emitted both sections. */
#define CORPUS_PERF_LICENSE(str)                                               \
	CORPUS_LICENSE(str);                                                   \
	CORPUS_VERSION(LINUX_VERSION_CODE)

#endif /* CORPUS_PERF_H */
