/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iproute2 (tc/ip) legacy loader conventions (CONVENTIONS.md §4), written
 * from the documented layout: struct bpf_elf_map is nine u32 fields, 36
 * bytes, in section "maps"; maps are counted by GLOBAL NOTYPE/OBJECT symbols.
 */
#ifndef CORPUS_ELF_MAP_H
#define CORPUS_ELF_MAP_H

#include <linux/types.h>

/* Section names the tc/ip front ends select by default. */
#define ELF_SECTION_LICENSE "license"
#define ELF_SECTION_MAPS "maps"
#define ELF_SECTION_PROG "prog"
#define ELF_SECTION_CLASSIFIER "classifier"
#define ELF_SECTION_ACTION "action"

#define ELF_MAX_MAPS 64
#define ELF_MAX_LICENSE_LEN 128

/* Pinning: 0..2 are fixed, anything larger is a custom id looked up in the
 * bpf_pinning database (e.g. "5 tc/cls1"). */
#define PIN_NONE 0
#define PIN_OBJECT_NS 1
#define PIN_GLOBAL_NS 2

/* inner_idx value meaning "template only, do not insert into outer maps". */
#define CORPUS_INNER_IDX_NONE 0xFFFFFFFFu

struct bpf_elf_map {
	__u32 type;       /* map type */
	__u32 size_key;   /* key size */
	__u32 size_value; /* value size (4 for map-in-map outers) */
	__u32 max_elem;   /* max entries */
	__u32 flags;      /* map_flags */
	__u32 id;         /* free-form: tail-call sections, inner templates */
	__u32 pinning;    /* PIN_* or custom id */
	__u32 inner_id;   /* outer maps: id of the inner template map */
	__u32 inner_idx;  /* inner maps: slot in outers with inner_id == id */
};

_Static_assert(sizeof(struct bpf_elf_map) == 36, "iproute2 bpf_elf_map");

/*
 * Tail-call program sections are named "<prog array id>/<key>"; the loader
 * parses the name with "%i/%i", so both numbers may be decimal or 0x-hex.
 */
/* Two levels so that macro arguments (e.g. a map id constant) expand first. */
#define __corpus_str(x) #x
#define __corpus_stringify(x) __corpus_str(x)
#define __section_tail(id, key)                                                \
	__attribute__((section(__corpus_stringify(id) "/"                      \
						  __corpus_stringify(key)),    \
		       used))

#endif /* CORPUS_ELF_MAP_H */
