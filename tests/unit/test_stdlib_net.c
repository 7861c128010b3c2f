/* The network built-ins (stdlib/net.c): Terraform's documented examples, IPv4 and IPv6,
 * host numbers from the end, the edges of the address space (/0, /32, /128, 2^64 hosts),
 * and each error with its exact message. */
#include "tests/unit/stdlib_harness.h"

static void test_cidrsubnet(void **s) {
  (void)s;
  OK("\"172.18.0.0/16\"", cidrsubnet, S("172.16.0.0/12"), I(4), I(2));
  OK("\"10.1.2.240/28\"", cidrsubnet, S("10.1.2.0/24"), I(4), I(15));
  OK("\"fd00:fd12:3456:7800:a200::/72\"", cidrsubnet, S("fd00:fd12:3456:7890::/56"), I(16), I(162));
  OK("\"10.0.0.0/8\"", cidrsubnet, S("10.1.2.3/8"), I(0), I(0));        /* host bits ignored */
  OK("\"10.0.0.7/32\"", cidrsubnet, S("10.0.0.0/29"), I(3), I(7));
  OK("\"128.0.0.0/1\"", cidrsubnet, S("0.0.0.0/0"), I(1), I(1));
  OK("\"7fff:ffff:ffff:ffff::/64\"", cidrsubnet, S("::/0"), I(64), I(INT64_MAX));
  OK("\"10.1.0.0/16\"", cidrsubnet, S("010.001.0.0/16"), I(0), I(0));   /* leading zeros: decimal */
  ERR("cidrsubnet: insufficient address space to extend prefix of 30 by 3", cidrsubnet,
      S("10.0.0.0/30"), I(3), I(0));
  ERR("cidrsubnet: prefix extension of 4 does not accommodate a subnet numbered 16", cidrsubnet,
      S("10.0.0.0/16"), I(4), I(16));
  ERR("cidrsubnet: prefix extension of 4 does not accommodate a subnet numbered -1", cidrsubnet,
      S("10.0.0.0/16"), I(4), I(-1));
  ERR("cidrsubnet: newbits must not be negative, not -1", cidrsubnet, S("10.0.0.0/16"), I(-1), I(0));
  ERR("cidrsubnet: invalid CIDR expression: \"10.0.0.0\" is not an address prefix like \"10.0.0.0/16\"",
      cidrsubnet, S("10.0.0.0"), I(1), I(0));
  ERR("cidrsubnet: invalid CIDR expression: \"10.0.0.256/8\" is not an address prefix like \"10.0.0.0/16\"",
      cidrsubnet, S("10.0.0.256/8"), I(1), I(0));
  ERR("cidrsubnet: invalid CIDR expression: \"10.0.0.0/33\" is not an address prefix like \"10.0.0.0/16\"",
      cidrsubnet, S("10.0.0.0/33"), I(1), I(0));
  ERR("cidrsubnet: invalid CIDR expression: \"1::2::3/64\" is not an address prefix like \"10.0.0.0/16\"",
      cidrsubnet, S("1::2::3/64"), I(1), I(0));
  ERR("cidrsubnet: invalid CIDR expression: (sensitive value) is not an address prefix like \"10.0.0.0/16\"",
      cidrsubnet, val_mark_secret(S("nope")), I(1), I(0));
}

static void test_cidrhost(void **s) {
  (void)s;
  OK("\"10.12.112.16\"", cidrhost, S("10.12.112.0/20"), I(16));
  OK("\"10.12.113.12\"", cidrhost, S("10.12.112.0/20"), I(268));
  OK("\"fd00:fd12:3456:7890::22\"", cidrhost, S("fd00:fd12:3456:7890:00a2::/72"), I(34));
  OK("\"10.0.0.2\"", cidrhost, S("10.0.0.0/8"), I(2));
  OK("\"10.255.255.254\"", cidrhost, S("10.0.0.0/8"), I(-2));
  OK("\"10.0.0.0\"", cidrhost, S("10.0.0.0/8"), I(-16777216));
  OK("\"10.0.0.5\"", cidrhost, S("10.0.0.5/32"), I(0));
  OK("\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\"", cidrhost, S("::/0"), I(-1));
  OK("\"::7fff:ffff:ffff:ffff\"", cidrhost, S("::/0"), I(INT64_MAX));
  OK("\"2001:db8::1:0:0:1\"", cidrhost, S("2001:db8:0:0:1::/80"), I(1));
  ERR("cidrhost: prefix of 20 does not accommodate a host numbered 4096", cidrhost,
      S("10.12.112.0/20"), I(4096));
  ERR("cidrhost: prefix of 8 does not accommodate a host numbered -16777217", cidrhost,
      S("10.0.0.0/8"), I(-16777217));
  ERR("cidrhost: prefix of 32 does not accommodate a host numbered 1", cidrhost, S("10.0.0.5/32"), I(1));
}

static void test_cidrnetmask(void **s) {
  (void)s;
  OK("\"255.240.0.0\"", cidrnetmask, S("172.16.0.0/12"));
  OK("\"0.0.0.0\"", cidrnetmask, S("0.0.0.0/0"));
  OK("\"255.255.255.255\"", cidrnetmask, S("10.0.0.1/32"));
  ERR("cidrnetmask: IPv6 addresses cannot have a netmask: \"fd00::/8\"", cidrnetmask,
      S("fd00::/8"));
}

static void test_cidrsubnets(void **s) {
  (void)s;
  OK("[\"10.1.0.0/20\",\"10.1.16.0/20\",\"10.1.32.0/24\",\"10.1.48.0/20\"]", cidrsubnets,
     S("10.1.0.0/16"), I(4), I(4), I(8), I(4));
  OK("[\"fd00:fd12:3456:7800::/72\",\"fd00:fd12:3456:7800:100::/72\",\"fd00:fd12:3456:7800:200::/72\","
     "\"fd00:fd12:3456:7800:300::/88\"]", cidrsubnets, S("fd00:fd12:3456:7890::/56"), I(16), I(16),
     I(16), I(32));
  OK("[\"0.0.0.0/1\",\"128.0.0.0/1\"]", cidrsubnets, S("0.0.0.0/0"), I(1), I(1));
  OK("[\"::/1\",\"8000::/1\"]", cidrsubnets, S("::/0"), I(1), I(1));
  OK("[]", cidrsubnets, S("10.0.0.0/8"));
  ERR("cidrsubnets: not enough remaining address space for a subnet with a prefix of 1 bits after "
      "128.0.0.0/1", cidrsubnets, S("0.0.0.0/0"), I(1), I(1), I(1));
  ERR("cidrsubnets: not enough remaining address space for a subnet with a prefix of 25 bits after "
      "10.0.0.128/25", cidrsubnets, S("10.0.0.0/24"), I(1), I(1), I(1));
  ERR("cidrsubnets: invalid newbits 0: must extend the prefix by at least one bit", cidrsubnets,
      S("10.0.0.0/24"), I(0));
  ERR("cidrsubnets: would extend prefix to 33 bits, which is too long for an IPv4 address",
      cidrsubnets, S("10.0.0.0/24"), I(9));
}

static void test_cidrcontains(void **s) {
  (void)s;
  OK("true", cidrcontains, S("192.168.2.0/20"), S("192.168.2.1"));
  OK("true", cidrcontains, S("192.168.2.0/20"), S("192.168.2.0/22"));
  OK("false", cidrcontains, S("192.168.2.0/20"), S("192.126.2.1"));
  OK("false", cidrcontains, S("192.168.2.0/20"), S("192.126.2.0/18"));
  OK("false", cidrcontains, S("192.168.0.0/20"), S("192.168.0.0/16"));   /* wider: not inside */
  OK("true", cidrcontains, S("fe80::/48"), S("fe80::1"));
  OK("false", cidrcontains, S("fe80::/48"), S("fe81::1"));
  OK("true", cidrcontains, S("0.0.0.0/0"), S("255.255.255.255"));
  ERR("cidrcontains: address family mismatch: \"fe80::/48\" is IPv6 but \"10.0.0.1\" is IPv4",
      cidrcontains, S("fe80::/48"), S("10.0.0.1"));
  ERR("cidrcontains: invalid IP address \"10.0.0\"", cidrcontains, S("10.0.0.0/8"), S("10.0.0"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_cidrsubnet, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_cidrhost, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_cidrnetmask, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_cidrsubnets, t_setup, t_teardown),
    cmocka_unit_test_setup_teardown(test_cidrcontains, t_setup, t_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
