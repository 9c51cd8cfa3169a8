#!/usr/bin/env python3
"""Traffic generators for the live capture tests: each mode does one known exchange and
prints JSON lines (one per step) with its pid and ports, so the test knows exactly which
flows sockscope must report and with how many payload bytes.

Modes:
  serve-tcp HOST [--expect N] [--reply M] [--count K] [--fork] [--wait-stdin] [--close-at-once] [--handoff]
      listen on (HOST, 0); for each of K connections read N bytes, send M, read to EOF,
      close. --fork: the parent only listens; a forked worker accepts and serves.
      --wait-stdin: accept only after a line on stdin. --close-at-once: accept and close,
      no send or receive. --handoff: the server accepts, forks a child that serves the
      connection, and closes its own copy at once.
  client-tcp HOST PORT [--pre P] [--send N] [--recv M] [--wait-stdin] [--exit-now] [--thread]
      connect, send P bytes, [wait for a line on stdin], send N, [exit at once], read M,
      close and read to EOF. --thread: all of it from a second thread.
  burst-tcp HOST PORT COUNT   COUNT sequential connections, each sends 1 byte, closes.
  hold-tcp HOST PORT COUNT [--send N] [--grow]
      COUNT connections, each sends N bytes, held open until stdin closes. Each line on
      stdin: the first connection sends N bytes more, or with --grow one more connection
      opens (and is held).
  refused HOST PORT [--syncnt N]
      connect where nobody answers with a connection; report the errno.
  udp-connected FAMILY        a connected UDP socket A (send/recv) and a peer B.
  udp-multi FAMILY [--wait-before] [--wait-stdin]
      one unconnected socket A talks to two peers B and C (FAMILY 4: 127.0.0.1, 6: ::1,
      mapped: A is v6 on :: and the peers are IPv4); optionally wait for a stdin line
      after binding (--wait-before) or before closing (--wait-stdin).
"""
import argparse
import json
import os
import socket
import sys


def threading_tid():
    import threading
    return threading.get_native_id()


def say(**kv):
    kv.setdefault("pid", os.getpid())
    sys.stdout.write(json.dumps(kv) + "\n")
    sys.stdout.flush()


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def recv_exact(s, n):
    got = 0
    while got < n:
        b = s.recv(min(65536, n - got))
        if not b:
            break
        got += len(b)
    return got


def drain_to_eof(s):
    n = 0
    while True:
        b = s.recv(65536)
        if not b:
            return n
        n += len(b)


def serve_one(conn, expect, reply, shut_first=False):
    # Read now: after our FIN and the peer's, the socket is closed and has no peer name.
    lport, rport = conn.getsockname()[1], conn.getpeername()[1]
    received = recv_exact(conn, expect)
    if reply:
        conn.sendall(b"r" * reply)
    if shut_first:
        # Our FIN first: this end goes to FIN_WAIT2, the client to CLOSE_WAIT, both open.
        conn.shutdown(socket.SHUT_WR)
        say(event="shut")
    received += drain_to_eof(conn)
    conn.close()
    say(event="served", lport=lport, rport=rport, received=received)


def serve_tcp(a):
    ls = socket.socket(family_of(a.host), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.host, 0))
    ls.listen(a.backlog)
    if a.fork:
        child = os.fork()
        if child == 0:
            # The worker never called listen(): it inherited the socket and accepts.
            say(event="worker")
            for _ in range(a.count):
                conn, _ = ls.accept()
                serve_one(conn, a.expect, a.reply, a.shut_first)
            os._exit(0)
        say(event="listening", port=ls.getsockname()[1], worker=child)
        os.waitpid(child, 0)
        return
    say(event="listening", port=ls.getsockname()[1])
    if a.wait_stdin:
        sys.stdin.readline()  # connections wait in the accept queue meanwhile
    for _ in range(a.count):
        conn, _ = ls.accept()
        if a.close_at_once:
            lport, rport = conn.getsockname()[1], conn.getpeername()[1]
            conn.close()
            say(event="closed", lport=lport, rport=rport)
            continue
        if a.handoff:
            child = os.fork()
            if child == 0:
                serve_one(conn, a.expect, a.reply, a.shut_first)
                os._exit(0)
            conn.close()  # not the last reference: the child's copy keeps it open
            say(event="handed", child=child)
            os.waitpid(child, 0)
            continue
        serve_one(conn, a.expect, a.reply, a.shut_first)


def client_tcp(a):
    if a.thread:
        # Connect from a second thread: the owner is the process, the tid this thread.
        import threading
        a.thread = False
        t = threading.Thread(target=client_tcp, args=(a,))
        t.start()
        t.join()
        return
    s = socket.create_connection((a.host, a.port))
    say(event="connected", lport=s.getsockname()[1], tid=threading_tid())
    if a.pre:
        s.sendall(b"p" * a.pre)
    if a.wait_stdin:
        sys.stdin.readline()
    if a.send:
        s.sendall(b"s" * a.send)
    if a.exit_now:
        os._exit(0)
    got = recv_exact(s, a.recv)
    s.shutdown(socket.SHUT_WR)
    got += drain_to_eof(s)
    s.close()
    say(event="done", received=got)


def burst_tcp(a):
    for _ in range(a.count):
        s = socket.create_connection((a.host, a.port))
        s.sendall(b"b")
        s.close()
    say(event="done")


def hold_tcp(a):
    socks = [socket.create_connection((a.host, a.port)) for _ in range(a.count)]
    for s in socks:
        s.sendall(b"h" * a.send)
    say(event="holding", lports=[s.getsockname()[1] for s in socks])
    # Each line on stdin: the first connection sends --send bytes more (one flow that moves
    # while the others stay idle), or with --grow one more connection opens; end of input:
    # all close.
    while sys.stdin.readline():
        if a.grow:
            socks.append(socket.create_connection((a.host, a.port)))
            say(event="opened", lport=socks[-1].getsockname()[1])
            continue
        socks[0].sendall(b"m" * max(a.send, 1))
        say(event="sent")
    for s in socks:
        s.close()


def refused(a):
    s = socket.socket(family_of(a.host), socket.SOCK_STREAM)
    if a.syncnt:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, a.syncnt)
    err = s.connect_ex((a.host, a.port))
    say(event="refused", errno=err)


def udp_multi(a):
    if a.family == "mapped":
        A = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        A.bind(("::", 0))
        peer_host, to_host = "127.0.0.1", "::ffff:127.0.0.1"
    else:
        host = "::1" if a.family == "6" else "127.0.0.1"
        A = socket.socket(family_of(host), socket.SOCK_DGRAM)
        A.bind((host, 0))
        peer_host = to_host = host
    B = socket.socket(family_of(peer_host), socket.SOCK_DGRAM)
    C = socket.socket(family_of(peer_host), socket.SOCK_DGRAM)
    B.bind((peer_host, 0))
    C.bind((peer_host, 0))
    bport, cport = B.getsockname()[1], C.getsockname()[1]
    if a.wait_before:
        say(event="ready", aport=A.getsockname()[1], bport=bport, cport=cport)
        sys.stdin.readline()
    # A -> B: 3 datagrams, 1000 bytes; A -> C: 2 datagrams, 2000 bytes.
    for n in (100, 200, 700):
        A.sendto(b"a" * n, (to_host, bport))
    for n in (1500, 500):
        A.sendto(b"a" * n, (to_host, cport))
    for _ in range(3):
        B.recvfrom(65536)
    for _ in range(2):
        C.recvfrom(65536)
    aport = A.getsockname()[1]
    # B replies 300 in one datagram, C 700 in two; A peeks at each before reading it.
    B.sendto(b"b" * 300, (peer_host, aport))
    C.sendto(b"c" * 350, (peer_host, aport))
    C.sendto(b"c" * 350, (peer_host, aport))
    got = 0
    for _ in range(3):
        A.recvfrom(65536, socket.MSG_PEEK)
        got += len(A.recvfrom(65536)[0])
    say(event="done", aport=aport, bport=bport, cport=cport, received=got)
    if a.wait_stdin:
        sys.stdin.readline()
    for s in (A, B, C):
        s.close()


def udp_connected(a):
    if a.family == "mapped":
        A = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        peer_host, to_host = "127.0.0.1", "::ffff:127.0.0.1"
    else:
        peer_host = to_host = "::1" if a.family == "6" else "127.0.0.1"
        A = socket.socket(family_of(peer_host), socket.SOCK_DGRAM)
    B = socket.socket(family_of(peer_host), socket.SOCK_DGRAM)
    B.bind((peer_host, 0))
    bport = B.getsockname()[1]
    # A is connected: send()/recv() carry no address, so no cgroup hook names the peer.
    A.connect((to_host, bport))
    A.send(b"a" * 400)
    A.send(b"a" * 600)
    _, aaddr = B.recvfrom(65536)
    B.recvfrom(65536)
    B.sendto(b"b" * 1500, aaddr)
    got = len(A.recv(65536))
    say(event="done", aport=A.getsockname()[1], bport=bport, received=got)
    A.close()
    B.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve-tcp")
    s.add_argument("host")
    s.add_argument("--expect", type=int, default=0)
    s.add_argument("--reply", type=int, default=0)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--fork", action="store_true")
    s.add_argument("--wait-stdin", action="store_true")
    s.add_argument("--backlog", type=int, default=1024)
    s.add_argument("--shut-first", action="store_true")
    s.add_argument("--close-at-once", action="store_true")
    s.add_argument("--handoff", action="store_true")
    s.set_defaults(fn=serve_tcp)
    c = sub.add_parser("client-tcp")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--pre", type=int, default=0)
    c.add_argument("--send", type=int, default=0)
    c.add_argument("--recv", type=int, default=0)
    c.add_argument("--wait-stdin", action="store_true")
    c.add_argument("--exit-now", action="store_true")
    c.add_argument("--thread", action="store_true")
    c.set_defaults(fn=client_tcp)
    b = sub.add_parser("burst-tcp")
    b.add_argument("host")
    b.add_argument("port", type=int)
    b.add_argument("count", type=int)
    b.set_defaults(fn=burst_tcp)
    h = sub.add_parser("hold-tcp")
    h.add_argument("host")
    h.add_argument("port", type=int)
    h.add_argument("count", type=int)
    h.add_argument("--send", type=int, default=0)
    h.add_argument("--grow", action="store_true")
    h.set_defaults(fn=hold_tcp)
    r = sub.add_parser("refused")
    r.add_argument("host")
    r.add_argument("port", type=int)
    r.add_argument("--syncnt", type=int, default=0)
    r.set_defaults(fn=refused)
    u = sub.add_parser("udp-multi")
    u.add_argument("family", choices=["4", "6", "mapped"])
    u.add_argument("--wait-stdin", action="store_true")
    u.add_argument("--wait-before", action="store_true")
    u.set_defaults(fn=udp_multi)
    uc = sub.add_parser("udp-connected")
    uc.add_argument("family", choices=["4", "6", "mapped"])
    uc.set_defaults(fn=udp_connected)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
