// SPDX-License-Identifier: GPL-2.0
/*
 * BPF CO-RE in tracing programs (tracepoint, raw_tp, tp_btf), written
 * without vmlinux.h: each kernel type is a small local definition marked
 * preserve_access_index, which is what vmlinux.h does for every type. The
 * local layouts deliberately differ from the kernel's, so every access is
 * really relocated; the object's BTF (and its golden IR) stays the same
 * whatever kernel builds it.
 *
 * Covered: field offsets through pointers and the context, nested reads,
 * bitfields (probed and direct), a ___flavor struct for a renamed field, a
 * field no kernel has (guarded by bpf_core_field_exists, so its read is
 * poisoned and dead), field sizes, enum value existence and value (one
 * enumerator missing, guarded), type existence and size, and a kernel BTF
 * type id; and .kconfig externs next to them. TYPE_MATCHES is not here:
 * clang 14 cannot emit it.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define __core __attribute__((preserve_access_index))

struct task_struct {
	int pid;
	int tgid;
	unsigned int __state;
	char comm[16];
	unsigned int sched_reset_on_fork : 1;
	unsigned int sched_contributes_to_load : 1;
	unsigned int in_execve : 1;
	struct task_struct *real_parent;
} __core;

/* Kernels before 5.14 called __state `long state`: a flavour of the same
 * struct that matches those kernels only. */
struct task_struct___pre514 {
	long state;
} __core;

/* A field no kernel has. */
struct task_struct___future {
	__u64 no_such_field;
} __core;

struct trace_entry {
	unsigned short type;
} __core;

struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
} __core;

/* A flexible array: indexed past its (zero) length. */
struct bpf_raw_tracepoint_args {
	__u64 args[0];
} __core;

enum bpf_map_type___core {
	BPF_MAP_TYPE_HASH___core = 1,
	BPF_MAP_TYPE_RINGBUF___core = 99,
	BPF_MAP_TYPE_NO_SUCH___core = 1000,
};

struct no_such_type___core {
	int x;
};

/* .kconfig externs, declared out of libbpf's layout order on purpose: the
 * kernel test compares the instructions, which hold the offsets. */
extern _Bool LINUX_HAS_BPF_COOKIE __kconfig;
extern int CONFIG_HZ __kconfig __weak;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern unsigned long CONFIG_BPFCOMPAT_NO_SUCH_OPTION __kconfig __weak;

__u64 trace_out[8];
__u64 kconfig_out[5];
__u64 raw_out[8];
__u64 btf_out[8];

SEC("tracepoint/syscalls/sys_enter_nanosleep")
int tp_core_fields(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	trace_out[0] = ctx->id;
	trace_out[1] = BPF_CORE_READ(task, pid);
	trace_out[2] = BPF_CORE_READ(task, real_parent, tgid);
	if (bpf_core_field_exists(((struct task_struct___pre514 *)task)->state))
		trace_out[3] =
			BPF_CORE_READ((struct task_struct___pre514 *)task, state);
	else
		trace_out[3] = BPF_CORE_READ(task, __state);
	if (bpf_core_field_exists(
		    ((struct task_struct___future *)task)->no_such_field))
		trace_out[4] = BPF_CORE_READ(
			(struct task_struct___future *)task, no_such_field);
	trace_out[5] = bpf_core_field_size(task->comm);
	trace_out[6] = BPF_CORE_READ_BITFIELD_PROBED(task, in_execve);
	trace_out[7] = bpf_core_field_offset(task->comm);
	kconfig_out[0] = LINUX_HAS_BPF_COOKIE;
	kconfig_out[1] = CONFIG_HZ;
	kconfig_out[2] = LINUX_KERNEL_VERSION;
	kconfig_out[3] = CONFIG_BPF_SYSCALL;
	kconfig_out[4] = CONFIG_BPFCOMPAT_NO_SUCH_OPTION;
	return 0;
}

SEC("raw_tp/sys_enter")
int raw_tp_core_enums(struct bpf_raw_tracepoint_args *ctx)
{
	raw_out[0] = ctx->args[1];
	raw_out[1] = bpf_core_enum_value_exists(enum bpf_map_type___core,
						BPF_MAP_TYPE_RINGBUF___core);
	raw_out[2] = bpf_core_enum_value(enum bpf_map_type___core,
					 BPF_MAP_TYPE_RINGBUF___core);
	if (bpf_core_enum_value_exists(enum bpf_map_type___core,
				       BPF_MAP_TYPE_NO_SUCH___core))
		raw_out[3] = bpf_core_enum_value(enum bpf_map_type___core,
						 BPF_MAP_TYPE_NO_SUCH___core);
	raw_out[4] = bpf_core_type_exists(struct task_struct);
	raw_out[5] = bpf_core_type_exists(struct no_such_type___core);
	raw_out[6] = bpf_core_type_size(struct task_struct);
	raw_out[7] = bpf_core_type_size(struct no_such_type___core);
	return 0;
}

SEC("tp_btf/sched_switch")
int tp_btf_core_direct(__u64 *ctx)
{
	/* sched_switch(bool preempt, struct task_struct *prev, ...) */
	struct task_struct *prev = (struct task_struct *)ctx[1];

	btf_out[0] = prev->pid;
	btf_out[1] = BPF_CORE_READ_BITFIELD(prev, sched_reset_on_fork);
	btf_out[2] = BPF_CORE_READ_BITFIELD(prev, sched_contributes_to_load);
	btf_out[3] = bpf_core_type_id_kernel(struct task_struct);
	btf_out[4] = __builtin_preserve_field_info(prev->pid, BPF_FIELD_SIGNED);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
