// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE the way most modern objects are written: against a vmlinux.h
 * generated from the build machine's kernel (bpftool btf dump file
 * /sys/kernel/btf/vmlinux format c, done by the build, never committed).
 * Its BTF carries the build kernel's full struct layouts, so this object has
 * no golden IR; the kernel tests load it with libbpf and with our loader.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

__u64 vm_out[8];

SEC("tp_btf/sched_process_exec")
int vmlinux_exec(__u64 *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();

	vm_out[0] = task->pid;
	vm_out[1] = BPF_CORE_READ(task, real_parent, tgid);
	vm_out[2] = bpf_core_type_id_kernel(struct task_struct);
	vm_out[3] = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int vmlinux_openat(struct trace_event_raw_sys_enter *ctx)
{
	vm_out[4] = ctx->args[2];
	return 0;
}

SEC("xdp")
int vmlinux_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	vm_out[5] = eth->h_proto;
	return XDP_PASS;
}

SEC("cgroup_skb/egress")
int vmlinux_cgroup_skb(struct __sk_buff *skb)
{
	vm_out[6] = skb->len;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
