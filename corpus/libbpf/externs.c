// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf 1.x extern symbols (CONVENTIONS.md §3.8): .kconfig variables
 * (LINUX_KERNEL_VERSION is synthesised by libbpf, CONFIG_* are read from the
 * kernel config, weak ones default to 0), a typed per-CPU .ksyms variable
 * and a kfunc. Externs are undefined symbols (st_shndx == 0); libbpf needs
 * their BTF (VAR / FUNC with extern linkage in DATASECs .kconfig / .ksyms),
 * so only the -g build of this object can be opened by libbpf.
 *
 * Written without vmlinux.h. struct task_struct gets a one-member CO-RE
 * definition: libbpf's kfunc prototype check treats a forward declaration as
 * incompatible with the kernel's struct, and reading ->pid through
 * preserve_access_index adds a CO-RE field relocation to .BTF.ext.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig __weak;
extern bool CONFIG_BPF_JIT_ALWAYS_ON __kconfig __weak;

/* Per-CPU kernel variable: typed ksym, resolved through vmlinux BTF. */
extern const int bpf_prog_active __ksym;

/* kfuncs: BPF_PSEUDO_KFUNC_CALL after libbpf resolves their BTF ids. */
struct task_struct {
	int pid;
} __attribute__((preserve_access_index));

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

__u64 ticks_seen;
__u32 kernel_version_seen;
__u64 nested_bpf_seen;
__u64 tasks_pinned;
int last_forker_pid;

/* CONFIG_HZ is weak: it reads as 0 when libbpf finds no kernel config. */
static __always_inline __u64 hz_or_default(void)
{
	return CONFIG_HZ ? CONFIG_HZ : 250;
}

SEC("tracepoint/syscalls/sys_enter_nanosleep")
int tp_nanosleep(void *ctx)
{
	kernel_version_seen = LINUX_KERNEL_VERSION;
	/* Approximate jiffies since boot, good enough for a heartbeat. */
	ticks_seen = bpf_ktime_get_ns() / (1000000000ULL / hz_or_default());
	return 0;
}

SEC("raw_tp/sys_enter")
int raw_tp_prog_active(struct bpf_raw_tracepoint_args *ctx)
{
	const int *active = bpf_this_cpu_ptr(&bpf_prog_active);

	/* > 1 means a BPF program was already running on this CPU. */
	if (*active > 1)
		__sync_fetch_and_add(&nested_bpf_seen, 1);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int fork_pin_task(__u64 *ctx)
{
	struct task_struct *task, *ref;

	if (CONFIG_BPF_JIT_ALWAYS_ON && LINUX_KERNEL_VERSION < 0x060100)
		return 0;
	task = bpf_get_current_task_btf();
	ref = bpf_task_acquire(task);
	if (!ref)
		return 0;
	__sync_fetch_and_add(&tasks_pinned, 1);
	last_forker_pid = ref->pid;
	bpf_task_release(ref);
	return 0;
}

SEC("tc")
int tc_version_gate(struct __sk_buff *skb)
{
	/* Only mark packets on kernels newer than 5.15. */
	if (LINUX_KERNEL_VERSION >= 0x050f00)
		skb->mark = 0x5f;
	return 0;
}

char _license[] SEC("license") = "GPL";
