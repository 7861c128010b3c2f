/* Networks: cidrhost, cidrnetmask, cidrsubnet, cidrsubnets, cidrcontains over IPv4 and
 * IPv6, with Terraform's semantics and messages.  An address is a 128-bit number and a
 * width (32 or 128 bits); text is parsed and printed here (IPv4 octets with leading zeros
 * read as decimal, as Terraform does; IPv6 printed in RFC 5952 form as Go prints it).
 * The host bits of a prefix are ignored ("10.1.2.3/16" is the network 10.1.0.0/16). */
#include <string.h>

#include "stdlib/bytes.h"
#include "stdlib/stdlib.h"

typedef unsigned __int128 U128;

typedef struct Net {
  U128 addr;          /* the network address (host bits cleared) or the plain address */
  int bits;           /* 32 or 128 */
  int len;            /* prefix length; == bits for a plain address */
} Net;

static U128 mask_of(int bits, int len) {
  if (len <= 0) return 0;
  U128 all = bits == 128 ? ~(U128)0 : (((U128)1 << 32) - 1);
  return len >= bits ? all : all & ~((((U128)1) << (bits - len)) - 1);
}

static bool parse_v4(const char *s, size_t n, U128 *out) {
  uint32_t v = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    if (i >= n || s[i] < '0' || s[i] > '9') return false;
    uint32_t octet = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      octet = octet * 10 + (uint32_t)(s[i++] - '0');
      if (octet > 255) return false;
    }
    v = v << 8 | octet;
    if (++parts < 4) {
      if (i >= n || s[i] != '.') return false;
      i++;
    }
  }
  *out = v;
  return i == n;
}

/* RFC 4291 text: groups of 1-4 hex digits, one "::", an IPv4 tail allowed. */
static bool parse_v6(const char *s, size_t n, U128 *out) {
  uint16_t g[8];
  int ng = 0, gap = -1;
  size_t i = 0;
  if (n >= 2 && s[0] == ':' && s[1] == ':') { gap = 0; i = 2; }
  else if (n && s[0] == ':') return false;
  while (i < n) {
    if (ng == 8) return false;
    /* an IPv4 tail fills two groups */
    size_t j = i;
    while (j < n && s[j] != ':' && s[j] != '.') j++;
    if (j < n && s[j] == '.') {
      U128 v4;
      if (ng > 6 || !parse_v4(s + i, n - i, &v4)) return false;
      g[ng++] = (uint16_t)(v4 >> 16), g[ng++] = (uint16_t)v4;
      i = n;
      break;
    }
    uint32_t v = 0;
    int digits = 0;
    while (i < n && sl_hexdigit(s[i]) >= 0) {
      v = v << 4 | (uint32_t)sl_hexdigit(s[i++]);
      if (++digits > 4) return false;
    }
    if (!digits) return false;
    g[ng++] = (uint16_t)v;
    if (i == n) break;
    if (s[i] != ':') return false;
    i++;
    if (i < n && s[i] == ':') {
      if (gap >= 0) return false;
      gap = ng;
      i++;
    } else if (i == n) {
      return false;   /* a trailing single ':' */
    }
  }
  if (gap < 0 && ng != 8) return false;
  if (gap >= 0 && ng > 7) return false;
  U128 v = 0;
  int fill = 8 - ng;
  for (int k = 0, src = 0; k < 8; k++) {
    uint16_t w = 0;
    if (gap >= 0 && k >= gap && k < gap + fill) w = 0;
    else w = g[src++];
    v = v << 16 | w;
  }
  *out = v;
  return true;
}

static bool parse_addr(const char *s, size_t n, U128 *a, int *bits) {
  if (memchr(s, ':', n)) { *bits = 128; return parse_v6(s, n, a); }
  *bits = 32;
  return parse_v4(s, n, a);
}

/* A prefix "addr/len"; an rt_error in Terraform's words when it is not one. */
static Net parse_prefix(Rt *rt, const char *fn, Val arg) {
  const VStr *s = arg.as.s;
  const char *slash = memchr(s->s, '/', s->len);
  Net r = {0};
  size_t alen = slash ? (size_t)(slash - s->s) : s->len;
  int len = -1;
  if (slash) {
    const char *p = slash + 1, *end = s->s + s->len;
    len = 0;
    if (p == end || end - p > 3) len = -1;
    for (; len >= 0 && p < end; p++) {
      if (*p < '0' || *p > '9') len = -1;
      else len = len * 10 + (*p - '0');
    }
  }
  if (!parse_addr(s->s, alen, &r.addr, &r.bits) || len < 0 || len > r.bits)
    rt_error(rt, "%s: invalid CIDR expression: %s is not an address prefix like \"10.0.0.0/16\"",
             fn, sl_show_arg(rt, arg, 60));
  r.len = len;
  r.addr &= mask_of(r.bits, len);
  return r;
}

static void put_addr(SBuf *b, U128 a, int bits) {
  if (bits == 32) {
    uint32_t v = (uint32_t)a;
    sb_addf(b, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
    return;
  }
  uint16_t g[8];
  for (int k = 7; k >= 0; k--, a >>= 16) g[k] = (uint16_t)a;
  /* an IPv4-mapped address prints as Go prints it: the IPv4 form */
  if (!g[0] && !g[1] && !g[2] && !g[3] && !g[4] && g[5] == 0xffff) {
    sb_addf(b, "%u.%u.%u.%u", g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255);
    return;
  }
  /* the longest run of two or more zero groups becomes "::" (the first of equal runs) */
  int best = -1, bestn = 1;
  for (int k = 0; k < 8;) {
    int e = k;
    while (e < 8 && g[e] == 0) e++;
    if (e - k > bestn) best = k, bestn = e - k;
    k = e > k ? e : k + 1;
  }
  for (int k = 0; k < 8; k++) {
    if (k == best) {
      sb_adds(b, "::");
      k += bestn - 1;
      continue;
    }
    if (k && k != best + bestn) sb_addc(b, ':');
    sb_addf(b, "%x", g[k]);
  }
}

static Val addr_val(Rt *rt, U128 a, int bits, int len) {
  SBuf b;
  sb_init(&b, rt);
  put_addr(&b, a, bits);
  if (len >= 0) sb_addf(&b, "/%d", len);
  return sb_val(&b, true);
}

Val sl_cidrhost(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Net net = parse_prefix(rt, "cidrhost", args[0]);
  int64_t host = args[1].as.i;
  int hostbits = net.bits - net.len;
  /* how many hosts fit: 2^hostbits, compared without overflow */
  U128 count = hostbits >= 128 ? 0 : (U128)1 << hostbits;   /* 0 means 2^128 */
  U128 mag = host < 0 ? (U128)(-(host + 1)) + 1 : (U128)host;
  bool fits = count == 0 || (host < 0 ? mag <= count : mag < count);
  if (!fits)
    rt_error(rt, "cidrhost: prefix of %d does not accommodate a host numbered %lld", net.len,
             (long long)host);
  U128 off = host < 0 ? count - mag : mag;   /* wraps to the right value when count is 2^128 */
  return addr_val(rt, net.addr + off, net.bits, -1);
}

Val sl_cidrnetmask(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Net net = parse_prefix(rt, "cidrnetmask", args[0]);
  if (net.bits != 32)
    rt_error(rt, "cidrnetmask: IPv6 addresses cannot have a netmask: %s",
             sl_show_arg(rt, args[0], 60));
  return addr_val(rt, mask_of(32, net.len), 32, -1);
}

/* Subnet [num] of [net], [newbits] longer. */
static Val subnet(Rt *rt, const char *fn, Net net, int64_t newbits, int64_t num) {
  if (newbits < 0)
    rt_error(rt, "%s: newbits must not be negative, not %lld", fn, (long long)newbits);
  if (newbits > net.bits - net.len)
    rt_error(rt, "%s: insufficient address space to extend prefix of %d by %lld", fn, net.len,
             (long long)newbits);
  if (num < 0 || (newbits < 63 && num >= (int64_t)1 << newbits))
    rt_error(rt, "%s: prefix extension of %lld does not accommodate a subnet numbered %lld", fn,
             (long long)newbits, (long long)num);
  int len = net.len + (int)newbits;
  U128 addr = net.addr | (len < net.bits ? (U128)num << (net.bits - len) : (U128)num);
  return addr_val(rt, addr, net.bits, len);
}

Val sl_cidrsubnet(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Net net = parse_prefix(rt, "cidrsubnet", args[0]);
  return subnet(rt, "cidrsubnet", net, args[1].as.i, args[2].as.i);
}

/* Consecutive subnets: each starts at the first address after the one before that is
 * aligned to its own size (Terraform's NextSubnet walk). */
Val sl_cidrsubnets(Rt *rt, const Val *args, uint32_t n) {
  Net net = parse_prefix(rt, "cidrsubnets", args[0]);
  VList *l = val_list_new(rt, n - 1);
  int room = net.bits - net.len;
  /* the next free address as an offset into the network: up to 2^128, so kept as a
   * 128-bit offset plus a "full" flag */
  U128 next = 0;
  bool full = false;
  for (uint32_t i = 1; i < n; i++) {
    int64_t nb = args[i].as.i;
    if (nb < 1)
      rt_error(rt, "cidrsubnets: invalid newbits %lld: must extend the prefix by at least one bit",
               (long long)nb);
    if (nb > room)
      rt_error(rt, "cidrsubnets: would extend prefix to %lld bits, which is too long for an %s "
               "address", (long long)(net.len + nb), net.bits == 32 ? "IPv4" : "IPv6");
    int shift = room - (int)nb;
    U128 size = (U128)1 << shift;              /* shift < 128 since nb >= 1 */
    U128 start = (next + size - 1) & ~(size - 1);
    bool wrapped = start < next;
    U128 span_left = room >= 128 ? 0 : ((U128)1 << room);   /* 0 means 2^128 */
    if (full || wrapped || (span_left && start >= span_left))
      rt_error(rt, "cidrsubnets: not enough remaining address space for a subnet with a prefix "
               "of %lld bits after %s", (long long)(net.len + nb),
               i == 1 || val_has_secret(args[0]) ? "(sensitive value)" : l->items[i - 2].as.s->s);
    l->items[i - 1] = addr_val(rt, net.addr + start, net.bits, net.len + (int)nb);
    next = start + size;
    if (next == 0) full = true;                /* the subnet ended at 2^128 */
  }
  return val_list_done(l);
}

Val sl_cidrcontains(Rt *rt, const Val *args, uint32_t n) {
  (void)n;
  Net outer = parse_prefix(rt, "cidrcontains", args[0]);
  const VStr *s = args[1].as.s;
  Net inner;
  if (memchr(s->s, '/', s->len)) {
    inner = parse_prefix(rt, "cidrcontains", args[1]);
  } else {
    if (!parse_addr(s->s, s->len, &inner.addr, &inner.bits))
      rt_error(rt, "cidrcontains: invalid IP address %s", sl_show_arg(rt, args[1], 60));
    inner.len = inner.bits;
  }
  if (inner.bits != outer.bits)
    rt_error(rt, "cidrcontains: address family mismatch: %s is %s but %s is %s",
             sl_show_arg(rt, args[0], 60), outer.bits == 32 ? "IPv4" : "IPv6",
             sl_show_arg(rt, args[1], 60), inner.bits == 32 ? "IPv4" : "IPv6");
  return val_bool(inner.len >= outer.len &&
                  (inner.addr & mask_of(outer.bits, outer.len)) == outer.addr);
}
