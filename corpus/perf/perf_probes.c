// SPDX-License-Identifier: GPL-2.0
/*
 * perf BPF loader object (`perf record -e perf_probes.o`, perf <= 6.5;
 * CONVENTIONS.md §5). The section name of each program is perf's
 * configuration string:
 *
 *   "EVENT=PROBE"                    kprobe created through perf-probe
 *   "EVENT=FUNC%return"              kretprobe
 *   "exec=PATH;EVENT=FUNC"           uprobe in PATH
 *   "module=MOD;EVENT=FUNC"          kprobe in a module
 *   "EVENT=FUNC arg1 arg2"           kprobe whose arguments perf fetches in
 *                                    a generated prologue: the program is
 *                                    called as (ctx, err, arg1, arg2)
 *   "group:event"                    tracepoint
 *   "!group:event"                   tracepoint loaded but not attached
 *                                    (a tail-call target)
 *
 * Maps are the 28-byte struct bpf_map in "maps"; one of them also carries
 * the ____btf_map_<name> annotation. __bpf_stdout__ is the map perf binds to
 * a bpf-output event automatically. The license macro also emits "version".
 */
#include <corpus/perf.h>

/* Bound by perf to the bpf-output event "__bpf_stdout__". */
struct bpf_map SEC("maps") __bpf_stdout__ = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	.key_size = sizeof(int),
	.value_size = sizeof(__u32),
	.max_entries = __NR_CPUS__,
};

/* pid -> nanosleep calls, with key/value BTF through the annotation. */
CORPUS_PERF_MAP(nanosleep_hits, BPF_MAP_TYPE_HASH, __u32, __u64, 1024);

/* Per-syscall handlers, filled by perf trace from user space. */
struct bpf_map SEC("maps") syscalls_sys_enter = {
	.type = BPF_MAP_TYPE_PROG_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 512,
};

struct bpf_map SEC("maps") syscall_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 512,
};

struct probe_hit {
	__u32 pid;
	__u32 kind;
	__u64 ts_ns;
};

enum { HIT_SLEEP, HIT_SLEEP_RET, HIT_READLINE, HIT_EXT4_SYNC };

static __corpus_inline void emit_hit(void *ctx, __u32 kind)
{
	struct probe_hit hit = {
		.pid = bpf_get_current_pid_tgid() >> 32,
		.kind = kind,
		.ts_ns = bpf_ktime_get_ns(),
	};

	bpf_perf_event_output(ctx, &__bpf_stdout__, BPF_F_CURRENT_CPU, &hit,
			      sizeof(hit));
}

SEC("func=do_nanosleep")
int func(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *cnt;

	cnt = bpf_map_lookup_elem(&nanosleep_hits, &pid);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&nanosleep_hits, &pid, &one, BPF_NOEXIST);
	emit_hit(ctx, HIT_SLEEP);
	return 1; /* 1: let perf record the sample */
}

SEC("func_ret=do_nanosleep%return")
int func_ret(void *ctx)
{
	emit_hit(ctx, HIT_SLEEP_RET);
	return 1;
}

SEC("exec=/usr/bin/bash;readline_probe=readline")
int readline_probe(void *ctx)
{
	emit_hit(ctx, HIT_READLINE);
	return 1;
}

SEC("module=ext4;ext4_probe=ext4_sync_file")
int ext4_probe(void *ctx)
{
	emit_hit(ctx, HIT_EXT4_SYNC);
	return 1;
}

struct open_event {
	__u32 pid;
	__s32 dfd;
	char filename[64];
};

/*
 * perf's prologue puts the fetch result in R2 and the probe arguments
 * (dfd, filename) in R3/R4. Without that prologue the verifier rejects the
 * program (R2..R4 read before being written): loading it needs either
 * perf or a loader that emulates the prologue.
 */
SEC("args_probe=do_sys_openat2 dfd filename")
int args_probe(void *ctx, int err, long dfd, const char *filename)
{
	struct open_event ev = {};

	if (err)
		return 0; /* argument fetch failed: skip the sample */
	ev.pid = bpf_get_current_pid_tgid() >> 32;
	ev.dfd = (__s32)dfd;
	bpf_probe_read_user_str(ev.filename, sizeof(ev.filename), filename);
	bpf_perf_event_output(ctx, &__bpf_stdout__, BPF_F_CURRENT_CPU, &ev,
			      sizeof(ev));
	return 1;
}

/* Layout of raw_syscalls:sys_enter (see its format file). */
struct raw_syscalls_enter_args {
	__u64 common;
	long id;
	unsigned long args[6];
};

SEC("raw_syscalls:sys_enter")
int sys_enter(struct raw_syscalls_enter_args *args)
{
	__u32 id = (__u32)args->id;
	__u64 *cnt;

	if (id >= 512)
		return 0;
	cnt = bpf_map_lookup_elem(&syscall_counts, &id);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	/* Hand over to a per-syscall augmenter, if perf trace installed one. */
	bpf_tail_call(args, &syscalls_sys_enter, id);
	return 0;
}

/* Tail-called from sys_enter with the raw_syscalls context. */
SEC("!syscalls:sys_enter_openat")
int sys_enter_openat(struct raw_syscalls_enter_args *args)
{
	struct open_event ev = {};

	ev.pid = bpf_get_current_pid_tgid() >> 32;
	ev.dfd = (__s32)args->args[0];
	bpf_probe_read_user_str(ev.filename, sizeof(ev.filename),
				(const void *)args->args[1]);
	bpf_perf_event_output(args, &__bpf_stdout__, BPF_F_CURRENT_CPU, &ev,
			      sizeof(ev));
	return 0;
}

CORPUS_PERF_LICENSE("GPL");
