export const HELP = `srctrace: which source address did each outgoing TCP connection use, which
process opened it, and why.

Usage:
  srctrace [trace] [options]   trace every outgoing TCP connection (all netns)
  srctrace ui [options]        trace and serve the live dashboard
  srctrace lab up|down|status|traffic [--prefix P] [--json]
                               a multihomed lab in network namespaces to try

Options:
  -p, --pid PID          only connections of this process (repeatable; a
                         thread id selects that thread); without --comm the
                         trace ends once all of them have exited
      --children         with --pid: also the processes below them (a
                         service's workers, a script's commands)
  -c, --comm NAME        only connections of tasks with this name (repeatable)
      --dst ADDR[/LEN]   only connections to this address or network, IPv4
                         or IPv6 (repeatable)
      --dport PORT       only connections to this port (repeatable)
                         (flags of one kind are alternatives; --pid/--comm,
                         --dst and --dport must each match when given)
  -f, --format FMT       table | ndjson | csv (default: table on a terminal,
                         ndjson when stdout is a pipe or file)
  -o, --output FILE      write records to FILE (format from --format, else from
                         the extension .csv/.ndjson/.jsonl, else ndjson)
  -d, --duration SECS    stop after SECS seconds (default: until Ctrl-C)
      --backend B        auto | rawtracepoint | tracepoint | kprobe (default
                         auto: kprobes when the kernel has them, else the raw
                         tracepoint when bpftrace can attach it (0.19+), else
                         the stable tracepoint)
      --listen HOST:PORT dashboard address for "srctrace ui"
                         (default 127.0.0.1:7420)
      --open             open the dashboard in a browser ("srctrace ui")
  -h, --help             this help
  -V, --version          print the version

Output: each connection is one record: process (pid, tid, ppid, uid, comm,
cmdline, netns), source the kernel chose (saddr, sport, sourceReason), the
route the socket used (dev, gateway, and routeSrc: whether that route has a
src attribute), the socket's mark (SO_MARK), the destination, outcome
(established | refused | timeout | unreachable | error), errno and
latencyMs. Lost events are reported in the stream ("type":"lost") and
summed on stderr at exit.

Environment: BPFTRACE_MAX_MAP_KEYS (or its old name BPFTRACE_MAP_KEYS_MAX:
connects awaiting an outcome, or finished and not yet drained, in the
kernel; default 65536; passed to bpftrace under both names),
BPFTRACE_PERF_RB_PAGES (per-CPU output buffer, default 1024),
SRCTRACE_SCHED=normal (do not run at SCHED_BATCH / nice -5),
SRCTRACE_RAW_LOG=FILE (keep every bpftrace line and drained connect, for bug
reports), SRCTRACE_DRAIN_HELPER=PATH (another build of srctrace-drain, the
helper that reads finished connects from the kernel), SRCTRACE_PEND_DUMP_S=N
(seconds between checks for outcomes the probes missed; default 10),
SRCTRACE_OUTCOME_DEADLINE_S=N (seconds after its SYN before an attempt
still without an outcome is checked against the kernel's socket table, and
counted as lost if its socket is no longer connecting; default 180).

Needs root, bpftrace >= 0.14 and a kernel with BTF (Linux 5.x distributions);
bpftrace 0.14 (Ubuntu 22.04) runs only the tracepoint set, through a program
of its own that prints every connect (slower under connect storms).
Exit status: 0 ok (also when stopped with Ctrl-C or SIGTERM), 1 failure
(bpftrace could not start or kept dying), 2 bad usage.`;
