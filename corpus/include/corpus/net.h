/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet header layouts for the corpus, written without bitfields.
 *
 * The uapi <linux/ip.h> picks its bitfield order from the host's
 * <asm/byteorder.h>, which is wrong when the same source is built with
 * -target bpfeb on an x86 host; these definitions are byte-order neutral and
 * only the bswap macros below depend on the target.
 */
#ifndef CORPUS_NET_H
#define CORPUS_NET_H

#include <linux/types.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define corpus_htons(x) ((__be16)__builtin_bswap16(x))
#define corpus_ntohs(x) ((__u16)__builtin_bswap16(x))
#define corpus_htonl(x) ((__be32)__builtin_bswap32(x))
#define corpus_ntohl(x) ((__u32)__builtin_bswap32(x))
#else
#define corpus_htons(x) ((__be16)(x))
#define corpus_ntohs(x) ((__u16)(x))
#define corpus_htonl(x) ((__be32)(x))
#define corpus_ntohl(x) ((__u32)(x))
#endif

#define CORPUS_ETH_ALEN 6
#define CORPUS_ETH_HLEN 14
#define CORPUS_ETH_P_IP 0x0800
#define CORPUS_ETH_P_IPV6 0x86DD
#define CORPUS_ETH_P_ARP 0x0806

#define CORPUS_IPPROTO_ICMP 1
#define CORPUS_IPPROTO_TCP 6
#define CORPUS_IPPROTO_UDP 17
#define CORPUS_IPPROTO_ICMPV6 58

/* cls_bpf / act_bpf verdicts (uapi <linux/pkt_cls.h>). */
#ifndef TC_ACT_UNSPEC
#define TC_ACT_UNSPEC (-1)
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define TC_ACT_PIPE 3
#endif

/* sk_skb / sk_msg verdicts. */
#define CORPUS_SK_DROP 0
#define CORPUS_SK_PASS 1

struct corpus_ethhdr {
	__u8 h_dest[CORPUS_ETH_ALEN];
	__u8 h_source[CORPUS_ETH_ALEN];
	__be16 h_proto;
} __attribute__((packed));

struct corpus_iphdr {
	__u8 ver_ihl; /* version << 4 | header length in 32-bit words */
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
};

struct corpus_ipv6hdr {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* The first four bytes of TCP and UDP headers: enough to read the ports. */
struct corpus_ports {
	__be16 source;
	__be16 dest;
};

#define CORPUS_IP_HLEN(iph) (((iph)->ver_ihl & 0x0f) * 4)

#endif /* CORPUS_NET_H */
