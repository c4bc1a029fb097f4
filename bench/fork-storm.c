/*
 * fork-storm: forks as fast as it can for SECONDS seconds, each child exiting
 * at once, and prints one JSON line: {"forks":N,"seconds":S,"perSecond":R}.
 * The worst case for --children's fork probe (bpf/process-fork.bt): a line
 * per fork. bench/fork-cost.ts runs it.
 *
 * fork-storm SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 5;
  long forks = 0;
  double t0 = now(), t;
  while ((t = now()) - t0 < seconds) {
    pid_t p = fork();
    if (p < 0) { perror("fork"); return 1; }
    if (p == 0) _exit(0);
    waitpid(p, NULL, 0);
    forks++;
  }
  printf("{\"forks\":%ld,\"seconds\":%.3f,\"perSecond\":%.0f}\n", forks, t - t0, forks / (t - t0));
  return 0;
}
