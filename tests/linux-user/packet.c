/* AF_PACKET (as root): a raw packet socket bound to lo sees a UDP datagram sent to 127.0.0.1,
 * with its sockaddr_ll (family, protocol, ifindex, packet type); SOCK_DGRAM strips the header. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char MAGIC[] = "tsqemu-packet-magic";

static int find(int s, int dgram, unsigned lo) {
  unsigned char buf[2048];
  for (int i = 0; i < 2000; i++) {
    struct sockaddr_ll from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    if (n < 0) { perror("recvfrom"); return 1; }
    if (!memmem(buf, n, MAGIC, sizeof MAGIC - 1)) continue; /* other traffic on lo */
    const unsigned char *ip = dgram ? buf : buf + 14;
    printf("%s: len %zd family %d proto %#x ifindex-is-lo %d pkttype %d halen %d addrlen %u ip-version %d\n",
           dgram ? "dgram" : "raw", n, from.sll_family, ntohs(from.sll_protocol), from.sll_ifindex == (int)lo,
           from.sll_pkttype, from.sll_halen, fl, ip[0] >> 4);
    return 0;
  }
  return 1;
}

int main(void) {
  unsigned lo = if_nametoindex("lo");
  for (int dgram = 0; dgram < 2; dgram++) {
    int s = socket(AF_PACKET, dgram ? SOCK_DGRAM : SOCK_RAW, htons(ETH_P_IP));
    if (s < 0) { perror("socket AF_PACKET"); return 1; }
    struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = (int)lo };
    if (bind(s, (struct sockaddr *)&a, sizeof a)) { perror("bind"); return 1; }
    struct timeval tv = { 5, 0 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (sendto(u, MAGIC, sizeof MAGIC - 1, 0, (struct sockaddr *)&to, sizeof to) < 0) { perror("sendto"); return 1; }
    if (find(s, dgram, lo)) { printf("not seen\n"); return 1; }
    struct sockaddr_ll me;
    socklen_t ml = sizeof me;
    getsockname(s, (struct sockaddr *)&me, &ml);
    printf("getsockname: family %d ifindex-is-lo %d len %u\n", me.sll_family, me.sll_ifindex == (int)lo, ml);
    close(u);
    close(s);
  }
  return 0;
}
