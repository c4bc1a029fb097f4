/*
 * storm.c  A loopback connect storm: THREADS client threads each loop
 *          socket(), connect() to 127.0.0.1:PORT, close() as fast as they can
 *          for SECONDS; a listener thread in the same process accepts and
 *          closes. Prints one JSON line at the end.
 *
 *   gcc -O2 -pthread -o storm storm.c && ./storm SECONDS THREADS [PORT]
 *
 * PORT 0 (the default) lets the kernel pick a free one. Clients set
 * SO_LINGER {1,0}, so close() sends RST and leaves no TIME_WAIT behind:
 * ephemeral ports never run out and no sysctl has to change. Only loopback
 * traffic; the process stops by itself after SECONDS.
 *
 * Output: {"connects":N,"failed":N,"seconds":S,"perSecond":X,"pid":P,
 *          "port":P,"threads":T,"cpuUserS":U,"cpuSysS":S,"firstErrno":E}
 * cpu* are getrusage(RUSAGE_SELF): clients and listener together.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in target;
static double deadline;
static int first_errno;

struct counts {
  pthread_t thread;
  long ok;
  long failed;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *listener(void *arg) {
  int fd = *(int *)arg;
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c >= 0) close(c);
  }
  return NULL;
}

static void *client(void *arg) {
  struct counts *n = arg;
  struct linger lg = { .l_onoff = 1, .l_linger = 0 };
  while (now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      __sync_val_compare_and_swap(&first_errno, 0, errno);
      n->failed++;
      continue;
    }
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (connect(fd, (struct sockaddr *)&target, sizeof target) == 0) {
      n->ok++;
    } else {
      __sync_val_compare_and_swap(&first_errno, 0, errno);
      n->failed++;
    }
    close(fd);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SECONDS THREADS [PORT]\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  int threads = atoi(argv[2]);
  int port = argc > 3 ? atoi(argv[3]) : 0;
  if (!(seconds > 0 && seconds <= 600) || threads < 1 || threads > 256 || port < 0 || port > 65535) {
    fprintf(stderr, "storm: SECONDS must be in (0, 600], THREADS in 1..256, PORT in 0..65535\n");
    return 2;
  }

  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&target, 0, sizeof target);
  target.sin_family = AF_INET;
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  target.sin_port = htons(port);
  socklen_t len = sizeof target;
  /* The backlog is capped by net.core.somaxconn (4096 on current kernels). */
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&target, sizeof target) < 0 || listen(lfd, 65535) < 0 ||
      getsockname(lfd, (struct sockaddr *)&target, &len) < 0) {
    perror("storm: listen on 127.0.0.1");
    return 1;
  }
  pthread_t lt;
  pthread_create(&lt, NULL, listener, &lfd);

  struct counts *n = calloc(threads, sizeof *n);
  double start = now();
  deadline = start + seconds;
  for (int i = 0; i < threads; i++) pthread_create(&n[i].thread, NULL, client, &n[i]);
  long ok = 0, failed = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(n[i].thread, NULL);
    ok += n[i].ok;
    failed += n[i].failed;
  }
  double elapsed = now() - start;

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"connects\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"perSecond\":%.1f,\"pid\":%d,\"port\":%d,"
         "\"threads\":%d,\"cpuUserS\":%.3f,\"cpuSysS\":%.3f,\"firstErrno\":%d}\n",
         ok, failed, elapsed, ok / elapsed, getpid(), ntohs(target.sin_port), threads,
         ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
         first_errno);
  fflush(stdout);
  _exit(0); /* the listener thread dies with the process */
}
