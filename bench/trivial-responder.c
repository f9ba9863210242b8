// The cheapest possible UDP "DNS server", to measure the load generator's own ceiling: it answers every query
// with its own header and question, QR set and rcode REFUSED, in batches of 64 (recvmmsg/sendmmsg).
//   cc -O2 -o trivial-responder bench/trivial-responder.c && ./trivial-responder ADDR PORT
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH 64
#define BUFSZ 1500

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s ADDR PORT\n", argv[0]);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
  if (fd < 0 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    perror("bind");
    return 1;
  }
  static char bufs[BATCH][BUFSZ];
  static struct sockaddr_in peers[BATCH];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  printf("trivial-responder ready on %s:%s\n", argv[1], argv[2]);
  fflush(stdout);
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = BUFSZ};
      msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i], .msg_namelen = sizeof peers[i], .msg_iov = &iov[i], .msg_iovlen = 1};
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0) continue;
    for (int i = 0; i < n; i++) {
      unsigned len = msgs[i].msg_len;
      if (len < 12) len = 12;
      bufs[i][2] = (char)(bufs[i][2] | 0x80);        // QR
      bufs[i][3] = (char)((bufs[i][3] & 0xf0) | 5);  // REFUSED
      memset(bufs[i] + 6, 0, 6);                    // no answer/authority/additional (drops any OPT)
      iov[i].iov_len = len;
      // Keep header + question only: cut the OPT record the question may be followed by.
      unsigned p = 12;
      while (p < len && bufs[i][p] != 0) p += (unsigned char)bufs[i][p] + 1;
      if (p + 5 <= len) iov[i].iov_len = p + 5;
    }
    sendmmsg(fd, msgs, (unsigned)n, 0);
  }
}
