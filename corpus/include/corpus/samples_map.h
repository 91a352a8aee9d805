/* SPDX-License-Identifier: GPL-2.0 */
/*
 * samples/bpf bpf_load.c map definitions (CONVENTIONS.md §8.1). The loader
 * divides the "maps" section size by the number of symbols in it, so the
 * struct grew over kernel releases without a version field:
 *
 *   16 bytes (~v4.1-4.5):   type, key_size, value_size, max_entries
 *   20 bytes (~v4.6-4.11):  + map_flags
 *   24 bytes (~v4.12-4.13): + inner_map_idx
 *   28 bytes (v4.14-5.10):  + numa_node
 *
 * Define CORPUS_SAMPLES_DEF_SIZE to 16, 20, 24 or 28 (default) before
 * including.
 */
#ifndef CORPUS_SAMPLES_MAP_H
#define CORPUS_SAMPLES_MAP_H

#include <linux/types.h>

#ifndef CORPUS_SAMPLES_DEF_SIZE
#define CORPUS_SAMPLES_DEF_SIZE 28
#endif

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
#if CORPUS_SAMPLES_DEF_SIZE >= 20
	unsigned int map_flags;
#endif
#if CORPUS_SAMPLES_DEF_SIZE >= 24
	unsigned int inner_map_idx; /* offset-order index of the template */
#endif
#if CORPUS_SAMPLES_DEF_SIZE >= 28
	unsigned int numa_node; /* used only with BPF_F_NUMA_NODE */
#endif
};

_Static_assert(sizeof(struct bpf_map_def) == CORPUS_SAMPLES_DEF_SIZE,
	       "samples bpf_map_def size");

#endif /* CORPUS_SAMPLES_MAP_H */
