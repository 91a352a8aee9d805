/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal BPF-side declarations for the legacy-convention corpus objects
 * (libbpf 0.x, iproute2, gobpf, perf, samples/bpf, Zig emulation).
 *
 * Written for bpfcompat from the kernel UAPI (helper ids in enum bpf_func_id
 * of <linux/bpf.h>); it deliberately does not use libbpf's bpf_helpers.h,
 * whose 1.x version dropped struct bpf_map_def and whose SEC()/__uint()
 * macros belong to a later era than these objects. Do not include this
 * header together with <bpf/bpf_helpers.h>: the helper names would clash.
 */
#ifndef CORPUS_HELPERS_H
#define CORPUS_HELPERS_H

#ifdef __BPF_HELPERS__
#error "corpus/helpers.h and <bpf/bpf_helpers.h> declare the same helpers"
#endif

#include <linux/types.h>
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

/*
 * Legacy loaders load one section as one program and (except iproute2 and
 * libbpf) cannot link a .text subprogram, so helpers are forced inline.
 */
#define __corpus_inline inline __attribute__((always_inline))
#define __corpus_noinline __attribute__((noinline))

#ifndef KERNEL_VERSION
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))
#endif

/*
 * "license" and "version" sections. Every legacy loader reads them by
 * section name; the symbol names only follow the historical spelling.
 */
#define CORPUS_LICENSE(str) char _license[] SEC("license") = str
#define CORPUS_VERSION(code) __u32 _version SEC("version") = (code)

/*
 * The BPF_ANNOTATE_KV_PAIR idiom: a zero-initialised global of a struct
 * named ____btf_map_<name> whose members are exactly `key` and `value`,
 * placed in section .maps.<name>. libbpf 0.x and iproute2 look the struct
 * up in BTF to give a legacy map its key/value types; the section itself is
 * never loaded.
 */
#define CORPUS_ANNOTATE_KV_PAIR(name, type_key, type_val)                      \
	struct ____btf_map_##name {                                            \
		type_key key;                                                  \
		type_val value;                                                \
	};                                                                     \
	struct ____btf_map_##name                                              \
		__attribute__((section(".maps." #name), used))                 \
		____btf_map_##name = {}

/* Helpers: a call through a constant pointer compiles to `call <id>`. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) =
	(void *)BPF_FUNC_map_lookup_elem;
static long (*bpf_map_update_elem)(void *map, const void *key,
				   const void *value, __u64 flags) =
	(void *)BPF_FUNC_map_update_elem;
static long (*bpf_map_delete_elem)(void *map, const void *key) =
	(void *)BPF_FUNC_map_delete_elem;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size,
				     const void *unsafe_ptr) =
	(void *)BPF_FUNC_probe_read_kernel;
static long (*bpf_probe_read_user_str)(void *dst, __u32 size,
				       const void *unsafe_ptr) =
	(void *)BPF_FUNC_probe_read_user_str;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)BPF_FUNC_ktime_get_ns;
static __u32 (*bpf_get_prandom_u32)(void) = (void *)BPF_FUNC_get_prandom_u32;
static __u32 (*bpf_get_smp_processor_id)(void) =
	(void *)BPF_FUNC_get_smp_processor_id;
static __u64 (*bpf_get_current_pid_tgid)(void) =
	(void *)BPF_FUNC_get_current_pid_tgid;
static __u64 (*bpf_get_current_uid_gid)(void) =
	(void *)BPF_FUNC_get_current_uid_gid;
static long (*bpf_get_current_comm)(void *buf, __u32 size_of_buf) =
	(void *)BPF_FUNC_get_current_comm;
static long (*bpf_tail_call)(void *ctx, void *prog_array_map, __u32 index) =
	(void *)BPF_FUNC_tail_call;
static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags,
				     void *data, __u64 size) =
	(void *)BPF_FUNC_perf_event_output;
static long (*bpf_skb_load_bytes)(const void *skb, __u32 offset, void *to,
				  __u32 len) = (void *)BPF_FUNC_skb_load_bytes;
static long (*bpf_sk_redirect_map)(struct __sk_buff *skb, void *map,
				   __u32 key, __u64 flags) =
	(void *)BPF_FUNC_sk_redirect_map;
static __u64 (*bpf_get_socket_cookie)(void *ctx) =
	(void *)BPF_FUNC_get_socket_cookie;

/*
 * LD_ABS loads (socket filters of the samples era), bound by asm label to
 * the LLVM BPF intrinsics. They read in network byte order and are only
 * valid for programs whose context is a struct __sk_buff.
 */
unsigned long long load_byte(void *skb, unsigned long long off)
	asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off)
	asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off)
	asm("llvm.bpf.load.word");

#endif /* CORPUS_HELPERS_H */
