// UDP request/response load for the overhead benchmark.
//   udp_rr server PORT SECONDS          echo every datagram back to its sender (unconnected
//                                       socket: one (socket, peer) flow per client socket)
//   udp_rr client PORT SECONDS CONC     CONC connected sockets, each keeps one 64-byte request
//                                       in flight; prints {"requests":N,"seconds":S,"rps":R}
// Both sides stop on their own after SECONDS (bounded), so a crashed harness leaves nothing behind.
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static int server(int port, double seconds) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = loopback(port);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("udp_rr server bind"); return 1; }
  // A receive timeout lets the loop notice the deadline when no client is sending.
  struct timeval tv = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[2048];
  double end = now() + seconds;
  long echoed = 0;
  while (now() < end) {
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
    if (n < 0) continue;
    sendto(fd, buf, n, 0, (struct sockaddr *)&peer, plen);
    echoed++;
  }
  fprintf(stderr, "udp_rr server: echoed %ld\n", echoed);
  return 0;
}

static int client(int port, double seconds, int conc) {
  if (conc < 1 || conc > 256) { fprintf(stderr, "udp_rr: concurrency 1..256\n"); return 2; }
  struct pollfd pfd[256];
  struct sockaddr_in a = loopback(port);
  char req[64];
  memset(req, 'x', sizeof req);
  for (int i = 0; i < conc; i++) {
    pfd[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
    pfd[i].events = POLLIN;
    if (pfd[i].fd < 0 || connect(pfd[i].fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("udp_rr client"); return 1; }
    send(pfd[i].fd, req, sizeof req, 0);
  }
  long done = 0, resent = 0;
  double start = now(), end = start + seconds;
  char buf[2048];
  while (now() < end) {
    int r = poll(pfd, conc, 100);
    if (r == 0) {
      // A request or reply was lost (or the server is not up yet): send again, count it.
      for (int i = 0; i < conc; i++) { send(pfd[i].fd, req, sizeof req, 0); resent++; }
      continue;
    }
    for (int i = 0; i < conc && r > 0; i++) {
      if (!(pfd[i].revents & POLLIN)) continue;
      r--;
      if (recv(pfd[i].fd, buf, sizeof buf, MSG_DONTWAIT) > 0) done++;
      send(pfd[i].fd, req, sizeof req, 0);
    }
  }
  double elapsed = now() - start;
  printf("{\"requests\":%ld,\"seconds\":%.3f,\"rps\":%.1f,\"resent\":%ld,\"concurrency\":%d}\n",
         done, elapsed, done / elapsed, resent, conc);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "server") == 0) return server(atoi(argv[2]), atof(argv[3]));
  if (argc >= 5 && strcmp(argv[1], "client") == 0) return client(atoi(argv[2]), atof(argv[3]), atoi(argv[4]));
  fprintf(stderr, "usage: udp_rr server PORT SECONDS | udp_rr client PORT SECONDS CONCURRENCY\n");
  return 2;
}
