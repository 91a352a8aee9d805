/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The libbpf 0.x legacy map definition (CONVENTIONS.md §2.1): an array of
 * these lives in section "maps", one GLOBAL OBJECT symbol per map. 20 bytes,
 * five u32 fields at offsets 0, 4, 8, 12, 16. libbpf 1.x refuses any section
 * named "maps" outright.
 */
#ifndef CORPUS_BPF_MAP_DEF_H
#define CORPUS_BPF_MAP_DEF_H

#include <linux/types.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

_Static_assert(sizeof(struct bpf_map_def) == 20, "libbpf 0.x bpf_map_def");

#endif /* CORPUS_BPF_MAP_DEF_H */
