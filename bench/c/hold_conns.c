// Open N TCP connections on loopback and hold them, so a monitor tracks N live flows.
//   hold_conns N BASE_PORT HOLD_SECONDS
// Both ends live in this process (2 fds per connection) and the hard RLIMIT_NOFILE here is
// 20,000 without CAP_SYS_RESOURCE, so N <= 9,800; the harness runs several of these for more.
// Listens on BASE_PORT (+1 per 20,000 connections, keeping 4-tuples unique within the
// ephemeral port range), sends one byte on each client socket so each flow has traffic,
// prints "ready N" and holds until stdin closes or HOLD_SECONDS pass (bounded), then exits
// and the kernel closes them all.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PER_PORT 20000

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: hold_conns N BASE_PORT HOLD_SECONDS\n"); return 2; }
  long n = atol(argv[1]);
  int base = atoi(argv[2]);
  double hold = atof(argv[3]);
  if (n < 1 || n > 200000) { fprintf(stderr, "hold_conns: N in 1..200000\n"); return 2; }
  // Raise the soft limit as far as needed; the hard limit is what it is.
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rlim_t want = (rlim_t)(2 * n + 64);
  if (want > rl.rlim_max) { fprintf(stderr, "hold_conns: %ld connections need %lu fds, hard limit is %lu\n", n, (unsigned long)want, (unsigned long)rl.rlim_max); return 1; }
  rl.rlim_cur = want;
  setrlimit(RLIMIT_NOFILE, &rl);

  int ports = (int)((n + PER_PORT - 1) / PER_PORT);
  int lfd[16];
  for (int p = 0; p < ports; p++) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(base + p), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    lfd[p] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(lfd[p], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd[p], (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd[p], 4096) != 0) { perror("hold_conns listen"); return 1; }
  }
  long opened = 0, accepted = 0, failed = 0;
  double deadline = now() + 120;  // opening must not take forever on a loaded machine
  for (long i = 0; i < n && now() < deadline; i++) {
    int p = (int)(i / PER_PORT);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(base + p), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { perror("hold_conns socket"); failed++; break; }
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { failed++; close(fd); continue; }
    send(fd, "x", 1, MSG_DONTWAIT);
    opened++;
    // Drain the accept queues often so the 4096 backlog never fills.
    if (i % 256 == 255 || i == n - 1) {
      for (int q = 0; q <= p; q++) {
        int c;
        while ((c = accept(lfd[q], NULL, NULL)) >= 0) accepted++;
      }
    }
  }
  for (int tries = 0; accepted < opened && tries < 100; tries++) {
    for (int q = 0; q < ports; q++) {
      int c;
      while ((c = accept(lfd[q], NULL, NULL)) >= 0) accepted++;
    }
    if (accepted < opened) usleep(10000);
  }
  printf("ready %ld accepted %ld failed %ld\n", opened, accepted, failed);
  fflush(stdout);
  struct pollfd in = {.fd = 0, .events = POLLIN};
  double end = now() + hold;
  char b[64];
  while (now() < end) {
    if (poll(&in, 1, 200) > 0 && read(0, b, sizeof b) <= 0) break;  // stdin closed: harness is done
  }
  return 0;
}
