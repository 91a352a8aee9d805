#!/usr/bin/env bash
# Generates the benchmark's synthetic objects into OUTDIR (never committed):
#   scale-N.o   N BTF-defined maps and N socket programs, one map each, for
#               N in 1 10 100 1000: how time and memory grow with size;
#   btf_heavy.o a program whose map value points at every struct of the
#               running kernel's BTF (vmlinux.h dumped by bpftool), so its
#               .BTF is as large as clang makes it.
# Usage: bench/generate.sh OUTDIR
set -euo pipefail
out=${1:?usage: generate.sh OUTDIR}
mkdir -p "$out"
clang=$(command -v clang-14 || command -v clang)
cflags=(-target bpf -O2 -g -I"/usr/include/$(gcc -dumpmachine)")

for n in 1 10 100 1000; do
  src="$out/scale-$n.c"
  {
    echo '#include <linux/bpf.h>'
    echo '#include <bpf/bpf_helpers.h>'
    for ((i = 0; i < n; i++)); do
      cat <<EOC
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} map_$i SEC(".maps");
SEC("socket")
int prog_$i(struct __sk_buff *skb) {
  __u32 key = 0;
  __u64 *value = bpf_map_lookup_elem(&map_$i, &key);
  if (value)
    __sync_fetch_and_add(value, skb->len);
  return 0;
}
EOC
    done
    echo 'char LICENSE[] SEC("license") = "GPL";'
  } >"$src"
  "$clang" "${cflags[@]}" -c "$src" -o "$out/scale-$n.o"
done

bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$out/vmlinux.h"
{
  echo '#include "vmlinux.h"'
  echo '#include <bpf/bpf_helpers.h>'
  echo 'struct all_types {'
  grep -oP '^struct \K[a-zA-Z0-9_]+(?= \{)' "$out/vmlinux.h" |
    awk '{ printf "  struct %s *t%d;\n", $1, NR }'
  echo '};'
  cat <<'EOC'
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct all_types);
} all_types SEC(".maps");
SEC("socket")
int btf_heavy(struct __sk_buff *skb) {
  __u32 key = 0;
  struct all_types *v = bpf_map_lookup_elem(&all_types, &key);
  return v && v->t1 ? 1 : 0;
}
char LICENSE[] SEC("license") = "GPL";
EOC
} >"$out/btf_heavy.c"
"$clang" "${cflags[@]}" -c "$out/btf_heavy.c" -o "$out/btf_heavy.o"
