// New TCP connections as fast as this machine makes them, on loopback.
//   tcp_churn PORT SECONDS MAX_CONNECTIONS [CLIENTS]
// A forked server accepts and closes; CLIENTS forked clients each loop connect -> wait for
// EOF -> close, so the server side holds TIME_WAIT (as nginx does with Connection: close) and
// client ports recycle. Stops at SECONDS or MAX_CONNECTIONS, whichever comes first. Prints
// {"connections":N,"failures":F,"seconds":S,"rate":R}: N is the exact count of connections
// that were established, the number a monitor must report.
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: tcp_churn PORT SECONDS MAX_CONNECTIONS [CLIENTS]\n"); return 2; }
  int port = atoi(argv[1]);
  double seconds = atof(argv[2]);
  long max = atol(argv[3]);
  int clients = argc > 4 ? atoi(argv[4]) : 1;
  if (clients < 1 || clients > 16) { fprintf(stderr, "tcp_churn: clients 1..16\n"); return 2; }

  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4096) != 0) {
    perror("tcp_churn listen");
    return 1;
  }
  // Shared counters so the parent can report totals across forked clients.
  long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  long *ok = &shared[0], *failed = &shared[1], *claimed = &shared[2];

  pid_t server = fork();
  if (server == 0) {
    // Server: accept and close at once until the deadline (+1 s grace); SO_RCVTIMEO bounds accept.
    struct timeval tv = {0, 200000};
    setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    double end = now() + seconds + 1.0;
    while (now() < end) {
      int c = accept(lfd, NULL, NULL);
      if (c >= 0) close(c);
    }
    _exit(0);
  }

  double start = now(), end = start + seconds;
  pid_t kids[16];
  for (int k = 0; k < clients; k++) {
    kids[k] = fork();
    if (kids[k] != 0) continue;
    char b[16];
    while (now() < end) {
      // Claim a slot first so MAX_CONNECTIONS is never exceeded across clients.
      if (__atomic_fetch_add(claimed, 1, __ATOMIC_SEQ_CST) >= max) break;
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0) { __atomic_fetch_add(failed, 1, __ATOMIC_SEQ_CST); continue; }
      struct timeval tv = {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        __atomic_fetch_add(ok, 1, __ATOMIC_SEQ_CST);
        while (read(fd, b, sizeof b) > 0) {}
      } else {
        __atomic_fetch_add(failed, 1, __ATOMIC_SEQ_CST);
      }
      close(fd);
    }
    _exit(0);
  }
  for (int k = 0; k < clients; k++) waitpid(kids[k], NULL, 0);
  double elapsed = now() - start;
  kill(server, SIGTERM);
  waitpid(server, NULL, 0);
  printf("{\"connections\":%ld,\"failures\":%ld,\"seconds\":%.3f,\"rate\":%.1f,\"clients\":%d}\n",
         *ok, *failed, elapsed, *ok / elapsed, clients);
  return 0;
}
