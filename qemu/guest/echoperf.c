// SPDX-License-Identifier: GPL-2.0
/*
 * echoperf: the user-space side of make bench's socket part (qemu/guest/bench.sh).
 * Built on the host by scripts/bench.sh; the guest runs it from the shared output dir.
 *
 *   echoperf udp-server PORT COUNTFILE    UDP echo: every datagram back to its sender
 *   echoperf tcp-server PORT COUNTFILE    TCP echo: every byte back, one connection
 *   echoperf udp-rr ADDR PORT SECONDS     request/response: a 64-byte datagram, wait for
 *                                         it back, again; prints round trips per second
 *   echoperf tcp-echo ADDR PORT SECONDS   a stream of 64 KiB writes, read back as it
 *                                         returns; prints Gbit/s echoed
 *
 * A server writes how many bytes it received and sent to COUNTFILE ("in N out M") when
 * SIGTERM ends it, or at its connection's end: the bench's proof that the case it
 * measured went through this server. A client checks that what comes back is what it
 * sent, byte for byte, and prints the bytes it got back on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static unsigned long long in_bytes, out_bytes;
static const char *countfile;

static void die(const char *what)
{
	fprintf(stderr, "echoperf: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void write_counts(void)
{
	FILE *f = fopen(countfile, "w");

	if (!f)
		die(countfile);
	fprintf(f, "in %llu out %llu\n", in_bytes, out_bytes);
	fclose(f);
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A socket bound to ADDR (or every IPv4 address) and PORT. */
static int server_socket(int type, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, s = socket(AF_INET, type, 0);

	if (s < 0)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	return s;
}

static int udp_server(int port)
{
	static char buf[65536];
	int s = server_socket(SOCK_DGRAM, port);

	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);

		if (n < 0 && errno == EINTR && stop)
			break;
		if (n < 0)
			continue;
		in_bytes += n;
		if (sendto(s, buf, n, 0, (struct sockaddr *)&from, len) == n)
			out_bytes += n;
	}
	write_counts();
	return 0;
}

static int tcp_server(int port)
{
	static char buf[65536];
	int l = server_socket(SOCK_STREAM, port), c;

	if (listen(l, 1) < 0)
		die("listen");
	c = accept(l, NULL, NULL);
	if (c < 0) {
		write_counts();
		return stop ? 0 : 1;
	}
	for (;;) {
		ssize_t n = read(c, buf, sizeof(buf)), done = 0;

		if (n <= 0)
			break;
		in_bytes += n;
		while (done < n) {
			ssize_t w = write(c, buf + done, n - done);

			if (w <= 0)
				goto out;
			done += w;
		}
		out_bytes += n;
	}
out:
	write_counts();
	return 0;
}

static int client_socket(int type, const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 10 };
	int s = socket(AF_INET, type, 0);

	if (s < 0)
		die("socket");
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		fprintf(stderr, "echoperf: not an IPv4 address: %s\n", addr);
		exit(2);
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	return s;
}

static int udp_rr(const char *addr, int port, double secs)
{
	char req[64], resp[128];
	unsigned long long n = 0;
	int s = client_socket(SOCK_DGRAM, addr, port);
	double t0 = now(), t;

	do {
		ssize_t got;

		memset(req, 0, sizeof(req));
		memcpy(req, &n, sizeof(n));
		if (send(s, req, sizeof(req), 0) != sizeof(req))
			die("send");
		got = recv(s, resp, sizeof(resp), 0);
		if (got < 0)
			die("recv (no answer within 10 s)");
		if (got != sizeof(req) || memcmp(req, resp, sizeof(req))) {
			fprintf(stderr, "echoperf: round trip %llu: the answer is not the request\n", n);
			return 1;
		}
		n++;
		t = now();
	} while (t - t0 < secs);
	fprintf(stderr, "round trips %llu bytes back %llu\n", n, n * sizeof(req));
	printf("%.1f\n", n / (t - t0));
	return 0;
}

/* The byte at offset `off` of the stream: a pattern the reader can check anywhere. */
static unsigned char pattern(unsigned long long off)
{
	return (unsigned char)(off * 7 + (off >> 12));
}

static int tcp_echo(const char *addr, int port, double secs)
{
	static unsigned char out[65536], in[65536];
	unsigned long long sent = 0, back = 0;
	int s = client_socket(SOCK_STREAM, addr, port), writing = 1;
	double t0 = now(), t = t0;

	while (writing || back < sent) {
		struct pollfd p = { .fd = s, .events = POLLIN | (writing ? POLLOUT : 0) };

		if (poll(&p, 1, 10000) <= 0)
			die("poll (nothing moved within 10 s)");
		if (p.revents & POLLIN) {
			ssize_t n = read(s, in, sizeof(in));

			if (n <= 0)
				die("read (the echo ended early)");
			for (ssize_t i = 0; i < n; i++)
				if (in[i] != pattern(back + i)) {
					fprintf(stderr, "echoperf: byte %llu came back wrong\n", back + i);
					return 1;
				}
			back += n;
		}
		if (writing && (p.revents & POLLOUT)) {
			ssize_t n;

			for (size_t i = 0; i < sizeof(out); i++)
				out[i] = pattern(sent + i);
			n = write(s, out, sizeof(out));
			if (n < 0)
				die("write");
			sent += n;
			t = now();
			if (t - t0 >= secs) {
				writing = 0;
				shutdown(s, SHUT_WR);
			}
		}
	}
	t = now();
	fprintf(stderr, "bytes sent %llu bytes back %llu\n", sent, back);
	printf("%.4f\n", back * 8 / (t - t0) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };

	sigaction(SIGTERM, &sa, NULL);
	if (argc == 4 && !strcmp(argv[1], "udp-server")) {
		countfile = argv[3];
		return udp_server(atoi(argv[2]));
	}
	if (argc == 4 && !strcmp(argv[1], "tcp-server")) {
		countfile = argv[3];
		return tcp_server(atoi(argv[2]));
	}
	if (argc == 5 && !strcmp(argv[1], "udp-rr"))
		return udp_rr(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "tcp-echo"))
		return tcp_echo(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: echoperf udp-server|tcp-server PORT COUNTFILE\n"
			"       echoperf udp-rr|tcp-echo ADDR PORT SECONDS\n");
	return 2;
}
