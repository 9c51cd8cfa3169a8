// ns per round trip of one byte each way over a loopback TCP connection, in one thread:
// send on A, recv on B, send on B, recv on A, N times (argv[1], default 1,000,000). Four
// socket calls per round trip, as one keep-alive HTTP request makes (nginx and wrk each
// one send and one recv): what sockscope's per-send/recv programs add to every request,
// with bpf_stats off. Its wall time is too noisy here (9.4-12.8 us per round trip from run to
// run) to resolve that; a perf profile of it with `record` attached gives the share
// (bpf/README.md, cost model):
//   gcc -O2 -o /tmp/pp bench/c/tcp_pingpong.c
//   perf record -F 4999 -g -- taskset -c 1 /tmp/pp 400000   # while `record` runs
//   perf report --stdio --no-children --sort sym -g none | grep -E 'bpf|trace_sock'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof(sa);
  int one = 1, l = socket(AF_INET, SOCK_STREAM, 0), a = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(l, (void *)&sa, sizeof(sa)) || listen(l, 1) || getsockname(l, (void *)&sa, &len) || connect(a, (void *)&sa, sizeof(sa))) { perror("setup"); return 1; }
  int b = accept(l, NULL, NULL);
  setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  char c = 'x';
  struct timespec t0, t1;
  for (long i = 0; i < n / 10; i++) { send(a, &c, 1, 0); recv(b, &c, 1, 0); send(b, &c, 1, 0); recv(a, &c, 1, 0); } // warm
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; i++) {
    if (send(a, &c, 1, 0) != 1 || recv(b, &c, 1, 0) != 1 || send(b, &c, 1, 0) != 1 || recv(a, &c, 1, 0) != 1) { perror("io"); return 1; }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.1f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
  return 0;
}
