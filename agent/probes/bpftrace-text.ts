// What bpftrace itself prints, as opposed to the probes' lines: the parts
// srctrace must recognise (the probe process and the decoder both read them).

/**
 * bpftrace's own loss notice: output lost between the probes and bpftrace.
 * On stdout up to 0.23, on stderr in 0.27; the probe process passes it from
 * stderr into the line stream, so the decoder sees it either way.
 */
export const LOST_EVENTS = /^Lost (\d+) events$/;

// Harmless stderr noise from bpftrace 0.17 on these kernels; and from 0.27 its
// start-up line (on stderr; 0.17 prints "Attaching N probes..." on stdout),
// its complaint about an unreadable available_filter_functions, and its exit
// summary of the "Lost N events" lines already passed on: any of them would
// otherwise stand as the reason bpftrace exited.
const NOISE = [
  /couldn't set RLIMIT_MEMLOCK/, /WARNING: Addrspace/, /^\s*~+\s*$/,
  /Error while reading traceable functions/, /Could not read functions from \S*available_filter_functions/,
  /^Attached \d+ probes?$/, /^WARNING: Total lost event count: \d+$/,
];

/** A stderr line that says nothing about why bpftrace would fail. */
export function isNoise(line: string): boolean {
  return line.trim() === '' || NOISE.some((re) => re.test(line));
}

// A compile warning with its place: "stdin:L:C-C: WARNING: ...", then the
// source line it quotes and a caret line. bpftrace 0.14 (which has no
// --no-warnings) prints one for the 0.14 program; its quoted source line
// stood as the reason bpftrace exited ("SIGKILL:    $f = (struct file *)...").
const PLACED_WARNING = /^\S+:\d+:\d+(?:-\d+)?: WARNING: /;

/** isNoise for a stream of stderr lines: also drops the line a placed warning quotes. */
export function stderrNoise(): (line: string) => boolean {
  let quoted = false;
  return (line) => {
    if (quoted) {
      quoted = false;
      return true;
    }
    if (PLACED_WARNING.test(line)) {
      quoted = true;
      return true;
    }
    return isNoise(line);
  };
}
