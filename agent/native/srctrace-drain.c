/*
 * srctrace-drain  Moves finished connects out of bpftrace's @done map and
 *                 prints them as C lines, so the kernel never wakes anyone up
 *                 per connect.
 *
 * Why this exists: bpftrace 0.17 sends printf output through a perf buffer
 * that wakes the reader on every event, and each wake-up is a self-IPI in the
 * connecting task (a VM exit on paravirtualised machines): that alone cost a
 * connect storm more than a third of its speed. So the tracepoint program
 * stores each joined connect in the hash map @done (key: socket, SYN time)
 * instead of printing it, and this helper empties the map every 10-250 ms
 * with BPF_MAP_LOOKUP_AND_DELETE_BATCH: one syscall per 4096 connects, no
 * per-event wake-up. Node cannot make bpf() syscalls, hence C.
 *
 * How often: every --interval-ms (srctrace passes 250) while connects are
 * few, more often when many: after each drain the next one is due when, at
 * the rate just seen, a quarter of the map would be full (never sooner than
 * 10 ms). Each drain walks all of the map's buckets (1 MiB for 65,536
 * entries) and wakes the agent; in a connect storm draining every 250 ms
 * instead of every 50 ms raised the storm's speed under srctrace by about
 * 2 points of its own (bench/connect-storm.ts, 7 interleaved rounds; 6 of
 * them gained). The wait starts at 10 ms and at most doubles per drain, so
 * a rate present from the start is measured before it can fill the map; a
 * burst after a quiet spell has the whole map for one interval (65,536
 * connects in 250 ms), and what a full map refuses is counted (@lines).
 *
 * The map belongs to a running bpftrace: it is found through that process's
 * fds (/proc/PID/fdinfo -> map_id -> BPF_MAP_GET_FD_BY_ID, matched by name).
 * Holding our own fd keeps the map alive after bpftrace exits, so the last
 * drain, after bpftrace is gone, still gets every entry (nothing is lost on
 * exit or when bpftrace dies).
 *
 * Output: the line "DRAINING" once the map is held, then one 200-byte frame
 * per connect: the map entry as the kernel stores it (key: sk, ts; value: 23
 * u64, see V_* below), all little-endian (agent/decode/joined-frame.ts reads
 * it: binary, because parsing 25 text fields per connect was the agent's
 * largest cost; SRCTRACE_RAW_LOG shows frames as the C lines they replace).
 * Entries of one drain come in outcome-time order.
 *
 * Stops (after one last drain) on end of stdin, SIGTERM or SIGINT; dies with
 * its parent (PR_SET_PDEATHSIG). Kernels without batch map operations (< 5.6)
 * are drained key by key instead (also forced by --no-batch, for tests).
 *
 *   srctrace-drain --pid PID [--parent-pid PID] [--map done] [--interval-ms 250] [--no-batch]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <linux/bpf.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The @done layout of bpf/srctrace-tracepoint.bt: key (sk, ts), value 23 u64. */
#define KEY_WORDS 2
#define VAL_WORDS 23
#define KEY_SIZE (KEY_WORDS * 8)
#define VAL_SIZE (VAL_WORDS * 8)
enum { V_PID, V_TID, V_PPID, V_UID, V_NETNS, V_FAMILY, V_S0, V_S1, V_D0, V_D1, V_DPORT, V_USERLOCKS,
       V_START, V_COMM0, V_COMM1, V_OTS, V_NEWSTATE, V_SPORT, V_SKERR, V_DEV0, V_DEV1, V_GW0, V_GW1 };

#define CHUNK 4096
/* The soonest a drain follows the one before, however busy the map. */
#define MIN_INTERVAL_MS 10

struct entry {
  uint64_t key[KEY_WORDS];
  uint64_t val[VAL_WORDS];
};
_Static_assert(sizeof(struct entry) == 200, "a frame is 200 bytes (agent/decode/joined-frame.ts FRAME_BYTES)");

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double least(double a, double b) { return a < b ? a : b; }

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

static void die(const char *fmt, const char *arg) {
  fprintf(stderr, "srctrace-drain: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  exit(2);
}

/* One of pid's fds refers to the BPF map called name (bpftrace names @x "AT_x"); -1 if none yet. */
static int find_map(int pid, const char *name, struct bpf_map_info *info_out) {
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d/fdinfo", pid);
  DIR *d = opendir(dir);
  if (!d) return -1;
  int found = -1;
  struct dirent *e;
  while (found < 0 && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[320], line[256];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    unsigned id = 0;
    int is_map = 0;
    while (fgets(line, sizeof line, f)) {
      if (sscanf(line, "map_id: %u", &id) == 1) is_map = 1;
    }
    fclose(f);
    if (!is_map) continue;
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_id = id;
    int fd = (int)sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
    if (fd < 0) continue;
    struct bpf_map_info info;
    memset(&info, 0, sizeof info);
    memset(&a, 0, sizeof a);
    a.info.bpf_fd = (uint32_t)fd;
    a.info.info_len = sizeof info;
    a.info.info = (uint64_t)(uintptr_t)&info;
    if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0 && strcmp(info.name, name) == 0) {
      found = fd;
      *info_out = info;
    } else {
      close(fd);
    }
  }
  closedir(d);
  return found;
}

/* ---- output: frames, written in large blocks ---- */

static char out[1 << 20];
static size_t out_len;

static void flush_out(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t n = write(STDOUT_FILENO, out + off, out_len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) exit(3); /* the agent went away: nobody to tell */
    off += (size_t)n;
  }
  out_len = 0;
}

/* ---- draining ---- */

static uint64_t keys[CHUNK][KEY_WORDS];
static uint64_t vals[CHUNK][VAL_WORDS];
static struct entry *sweep;
static size_t sweep_len, sweep_cap;
static int use_batch = 1;
/* Set when a key-by-key drain stopped at CHUNK keys with more in the map. */
static int more_left;

static void put_frame(const struct entry *e) {
  if (out_len > sizeof out - sizeof *e) flush_out();
  memcpy(out + out_len, e, sizeof *e); /* key then value, as the kernel keeps them */
  out_len += sizeof *e;
}

static void keep(const uint64_t *k, const uint64_t *v) {
  if (sweep_len == sweep_cap) {
    sweep_cap = sweep_cap ? sweep_cap * 2 : CHUNK;
    sweep = realloc(sweep, sweep_cap * sizeof *sweep);
    if (!sweep) die("%s", "out of memory");
  }
  memcpy(sweep[sweep_len].key, k, KEY_SIZE);
  memcpy(sweep[sweep_len].val, v, VAL_SIZE);
  sweep_len++;
}

/* Returns 0, or the errno of a batch call the kernel does not support. */
static int take_batched(int fd) {
  uint64_t in_token = 0, out_token = 0;
  int first = 1, stuck = 0;
  for (;;) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.batch.in_batch = first ? 0 : (uint64_t)(uintptr_t)&in_token;
    a.batch.out_batch = (uint64_t)(uintptr_t)&out_token;
    a.batch.keys = (uint64_t)(uintptr_t)keys;
    a.batch.values = (uint64_t)(uintptr_t)vals;
    a.batch.count = CHUNK;
    a.batch.map_fd = (uint32_t)fd;
    long r = sys_bpf(BPF_MAP_LOOKUP_AND_DELETE_BATCH, &a);
    int err = r < 0 ? errno : 0;
    if (first && (err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP || err == ENOSYS)) return err;
    if (err == EINTR || err == EAGAIN) continue; /* nothing taken: the same call again */
    /* A bucket lock the kernel could not take (its resilient spinlock, since
       6.15: EDEADLK or ETIMEDOUT; EBUSY before) ends the call after the
       entries it had already taken out of the map, which count says and
       out_batch follows: keep those and go on from that bucket. Exiting here
       would lose them (they are no longer in the map). A bucket that stays
       locked is left for the next drain. */
    int locked_out = err == EDEADLK || err == ETIMEDOUT || err == EBUSY;
    if (err && err != ENOENT && !locked_out) {
      fprintf(stderr, "srctrace-drain: BPF_MAP_LOOKUP_AND_DELETE_BATCH: %s\n", strerror(err));
      exit(4);
    }
    for (uint32_t i = 0; i < a.batch.count; i++) keep(keys[i], vals[i]);
    if (err == ENOENT) return 0; /* the whole map was walked (count says what the last call took) */
    if (locked_out && a.batch.count == 0 && ++stuck >= 100) return 0;
    if (!locked_out || a.batch.count > 0) stuck = 0;
    in_token = out_token;
    first = 0;
  }
}

/* Key by key (kernels < 5.6): collect the keys first, since deleting while walking restarts the walk. */
static void take_one_by_one(int fd) {
  size_t n = 0;
  uint64_t cur[KEY_WORDS];
  int have_cur = 0;
  for (;;) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)fd;
    a.key = have_cur ? (uint64_t)(uintptr_t)cur : 0;
    a.next_key = (uint64_t)(uintptr_t)keys[n];
    if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) != 0) break;
    memcpy(cur, keys[n], KEY_SIZE);
    have_cur = 1;
    if (++n == CHUNK) { /* the rest next time round, which comes at once */
      more_left = 1;
      break;
    }
  }
  for (size_t i = 0; i < n; i++) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)fd;
    a.key = (uint64_t)(uintptr_t)keys[i];
    a.value = (uint64_t)(uintptr_t)vals[0];
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) != 0) continue;
    /* Each key is written once by the program (socket + SYN time), so lookup-then-delete cannot race a rewrite. */
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)fd;
    a.key = (uint64_t)(uintptr_t)keys[i];
    sys_bpf(BPF_MAP_DELETE_ELEM, &a);
    keep(keys[i], vals[0]);
  }
}

static int by_outcome_time(const void *a, const void *b) {
  uint64_t x = ((const struct entry *)a)->val[V_OTS], y = ((const struct entry *)b)->val[V_OTS];
  return x < y ? -1 : x > y;
}

/* Empties the map, writes what it held as frames in outcome-time order, and returns how many. */
static size_t drain(int fd) {
  sweep_len = 0;
  more_left = 0;
  if (use_batch) {
    int unsupported = take_batched(fd);
    if (unsupported) {
      fprintf(stderr, "srctrace-drain: batch map operations unsupported (%s); draining key by key\n", strerror(unsupported));
      use_batch = 0;
    }
  }
  if (!use_batch) take_one_by_one(fd);
  if (sweep_len == 0) return 0;
  qsort(sweep, sweep_len, sizeof *sweep, by_outcome_time);
  for (size_t i = 0; i < sweep_len; i++) put_frame(&sweep[i]);
  flush_out();
  return sweep_len;
}

static void usage(FILE *to) {
  fputs("usage: srctrace-drain --pid PID [--parent-pid PID] [--map NAME] [--interval-ms N]\n"
        "                      [--no-batch]\n"
        "Prints (as 200-byte frames) and removes the finished connects that srctrace's\n"
        "tracepoint program stores in the BPF map @NAME (default: done) of bpftrace\n"
        "process PID.\n"
        "Stops after a last drain on end of stdin, SIGTERM or SIGINT.\n", to);
}

int main(int argc, char **argv) {
  int pid = 0, interval_ms = 250, parent = 0;
  const char *map = "done";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--pid") && i + 1 < argc) pid = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--map") && i + 1 < argc) map = argv[++i];
    else if (!strcmp(argv[i], "--interval-ms") && i + 1 < argc) interval_ms = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--parent-pid") && i + 1 < argc) parent = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--no-batch")) use_batch = 0;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
    else { usage(stderr); return 2; }
  }
  if (pid <= 0 || interval_ms < 1 || interval_ms > 10000 || strlen(map) > 12) { usage(stderr); return 2; }
  char name[16];
  snprintf(name, sizeof name, "AT_%s", map);

  /* Never outlive the agent (it may be SIGKILLed); it reads our output, nobody
     else would. The agent passes its pid: if it died before the signal was
     armed, we have been re-parented already and must go too. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (parent > 0 && getppid() != parent) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct bpf_map_info info;
  int fd = -1;
  for (int tries = 0; fd < 0 && tries < 200 && !stop_requested; tries++) {
    fd = find_map(pid, name, &info);
    if (fd < 0 && kill(pid, 0) != 0 && errno == ESRCH) {
      fprintf(stderr, "srctrace-drain: process %d is gone\n", pid);
      return 2;
    }
    if (fd < 0) usleep(50 * 1000);
  }
  if (fd < 0) {
    char what[64];
    snprintf(what, sizeof what, "%s of process %d", name, pid);
    die("no BPF map %s (is it srctrace's bpftrace, and are we root?)", what);
  }
  if (info.key_size != KEY_SIZE || info.value_size != VAL_SIZE) {
    fprintf(stderr, "srctrace-drain: map %s has key %u / value %u bytes, expected %d / %d: bpf/srctrace-tracepoint.bt and this helper disagree\n",
            name, info.key_size, info.value_size, KEY_SIZE, VAL_SIZE);
    return 2;
  }
  /* Tells the agent we hold the map: from here on bpftrace may exit without losing entries. */
  fputs("DRAINING\n", stdout);
  fflush(stdout);

  /* A pipe of 1 MiB (fs.pipe-max-size's default; best effort) takes a drain
     in a few writes, so the map is not left waiting on sixteen 64 KiB ones. */
  fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);

  struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
  int stdin_open = 1;
  double last = now_ms();
  double wait_ms = MIN_INTERVAL_MS / 2.0;
  while (!stop_requested && stdin_open) {
    size_t taken = drain(fd);
    double now = now_ms();
    /* Due when, at the rate since the last drain, a quarter of the map would
       fill; at most twice the last wait, so a rate that is there from the
       start is measured before the map can fill. */
    double quarter_ms = taken > 0 ? (now - last) * (info.max_entries / 4.0) / (double)taken : interval_ms;
    wait_ms = least(least(quarter_ms, 2 * wait_ms), interval_ms);
    /* A key-by-key drain that left keys behind has not seen the rate: go on soon. */
    if (wait_ms < MIN_INTERVAL_MS || more_left) wait_ms = MIN_INTERVAL_MS;
    last = now;
    int r = poll(&p, 1, (int)wait_ms);
    if (r > 0) {
      char buf[256];
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) stdin_open = 0;
    }
  }
  drain(fd); /* everything stored until now, including after bpftrace's exit */
  return 0;
}
