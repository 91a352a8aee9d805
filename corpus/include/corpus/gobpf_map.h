/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gobpf ELF loader conventions (CONVENTIONS.md §6): one map per section
 * named "maps/<name>" (the map name is the section suffix, not the symbol),
 * and the section must be exactly sizeof(the def) bytes.
 *
 * Define CORPUS_GOBPF_EARLY before including to get the pre-mid-2017 16-byte
 * layout instead of the 280-byte one.
 */
#ifndef CORPUS_GOBPF_MAP_H
#define CORPUS_GOBPF_MAP_H

#include <linux/types.h>

#ifndef CORPUS_GOBPF_EARLY

#define BUF_SIZE_MAP_NS 256

enum bpf_pin_type {
	PIN_NONE = 0,
	PIN_OBJECT_NS, /* declared but never implemented by gobpf */
	PIN_GLOBAL_NS, /* /sys/fs/bpf/<namespace>/globals/<map name> */
	PIN_CUSTOM_NS, /* /sys/fs/bpf/<path supplied by the Go caller> */
};

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
	unsigned int pinning;
	char namespace[BUF_SIZE_MAP_NS];
};

_Static_assert(sizeof(struct bpf_map_def) == 280, "gobpf bpf_map_def");

#else /* CORPUS_GOBPF_EARLY */

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
};

_Static_assert(sizeof(struct bpf_map_def) == 16, "early gobpf bpf_map_def");

#endif /* CORPUS_GOBPF_EARLY */

/* gobpf's own spelling: the section name carries the map name. */
#define CORPUS_GOBPF_MAP(name) __attribute__((section("maps/" #name), used))

/* gobpf substitutes the running kernel's version for this magic value. */
#define CORPUS_GOBPF_CURRENT_KERNEL 0xFFFFFFFEu

#endif /* CORPUS_GOBPF_MAP_H */
