// PendWatch: starts the kernel still holds, judged lost only when two dumps in
// a row held them, the socket table then had no such socket in SYN_SENT, and a
// dump begun after that read still holds them. Driven by the real capture
// pend-dumps.txt (bpftrace 0.17, tracepoint set, dumps every 2 s: three
// connects to a silent address, the first closed after 5 s, two still pending
// at exit).
import { describe, expect, it } from 'vitest';
import { PendWatch, type EndedCheck } from '../../agent/correlate/pend-watch.js';
import { decodeLine } from '../../agent/decode/decode-line.js';
import type { StartEvent } from '../../agent/decode/events.js';
import { captureLines } from '../helpers/capture.js';

const lines = captureLines('pend-dumps.txt');

/** Feeds the capture's dump lines; returns what was judged lost, with the D marker after which it was. */
function run(watch: PendWatch, upTo = lines.length): { lost: { atDump: number; start: StartEvent }[]; exitStarts: StartEvent[] } {
  const lost: { atDump: number; start: StartEvent }[] = [];
  const exitStarts: StartEvent[] = [];
  let lastD = 0;
  for (const line of lines.slice(0, upTo)) {
    const ev = decodeLine(line);
    if (ev.kind === 'pend-dump') {
      if (ev.edge === 'begin') {
        lastD = ev.ts;
        watch.begin(ev.ts);
      } else if (ev.edge === 'exit') watch.exit();
      else for (const start of watch.end()) lost.push({ atDump: lastD, start });
    } else if (ev.kind === 'start') {
      if (line.startsWith('@pend[') && watch.collecting) watch.add(ev);
      else if (!watch.isReported(ev)) exitStarts.push(ev);
    }
  }
  return { lost, exitStarts };
}

/** A socket-table read that finds every candidate ended, at `atNs(call)`; records what it was asked. */
function ended(atNs: (call: number) => number, which: (s: StartEvent, call: number) => boolean = () => true): { check: EndedCheck; asked: StartEvent[][] } {
  const asked: StartEvent[][] = [];
  return {
    asked,
    check: (starts) => {
      asked.push(starts);
      return { atNs: atNs(asked.length), ended: new Set(starts.filter((s) => which(s, asked.length))) };
    },
  };
}

const dumps = lines.filter((l) => l.startsWith('D ')).map((l) => Number(l.slice(2)));
const ends = lines.filter((l) => l.startsWith('E ')).map((l) => Number(l.slice(2)));

describe('PendWatch', () => {
  it('the capture has six dumps of three, then two, pending starts, and END\'s dump of two', () => {
    expect(dumps).toHaveLength(6);
    expect(lines.filter((l) => l.startsWith('@pend['))).toHaveLength(3 * 3 + 2 * 3 + 2);
  });

  it('judges nothing lost while every socket is still in SYN_SENT', () => {
    const { check, asked } = ended(() => 0, () => false);
    const { lost, exitStarts } = run(new PendWatch(check));
    expect(lost).toEqual([]);
    // Asked from the second dump on, only about starts seen in two dumps in a row.
    expect(asked.map((a) => a.length)).toEqual([3, 3, 2, 2, 2]);
    // END's dump is not watched: its two starts go on to be joined.
    expect(exitStarts.map((s) => s.dport).sort()).toEqual([81, 82]);
  });

  it('judges a start lost once a dump begun after the socket-table read still holds it', () => {
    // Each read happens just after the dump that triggered it (E of dump i+1, i from 1).
    const { check } = ended((call) => ends[call]! + 1);
    const { lost, exitStarts } = run(new PendWatch(check));
    // Read after dump 2 -> confirmed by dump 3 (which still holds all three).
    expect(lost.map((l) => [l.atDump, l.start.dport]).sort()).toEqual([[dumps[2], 80], [dumps[2], 81], [dumps[2], 82]]);
    // Once each: the later dumps and END's dump of the same starts are skipped.
    expect(exitStarts).toEqual([]);
  });

  it('makes no claim when the read came after the next dump began (an agent running late)', () => {
    const { check } = ended((call) => dumps[call + 1]! + 1);
    const { lost } = run(new PendWatch(check));
    expect(lost).toEqual([]);
  });

  it('does not judge a start that left @pend (its outcome came) even if the read had found it ended', () => {
    // Only the first connect (port 80) is "ended" by the reads; it leaves @pend
    // (its C line) before the fourth dump. Reads after dump 2 and 3: with the
    // first confirmed by dump 3, ports 81/82 never ended.
    const { check } = ended((call) => ends[call]! + 1, (s) => s.dport === 80);
    const { lost } = run(new PendWatch(check));
    expect(lost.map((l) => l.start.dport)).toEqual([80]);
    // The same with port 80 found ended only by the read after dump 3: dump 4 no longer holds it.
    const late = ended((call) => ends[call]! + 1, (s, call) => s.dport === 80 && call >= 2);
    expect(run(new PendWatch(late.check)).lost).toEqual([]);
  });

  it('needs two dumps in a row: a start seen once is not looked up', () => {
    const { check, asked } = ended(() => 0);
    const w = new PendWatch(check);
    const firstDumpEnd = lines.findIndex((l) => l.startsWith('E ')) + 1;
    run(w, firstDumpEnd);
    expect(asked).toEqual([]);
  });

  it('hands back, at a restart, the starts of the last dump whose outcome was not read since', () => {
    const { check } = ended(() => 0, () => false);
    const w = new PendWatch(check);
    const thirdDumpEnd = lines.findIndex((l) => l === `E ${ends[2]}`) + 1;
    run(w, thirdDumpEnd); // dumps 1-3: all three pending
    const [p80, p81, p82] = [80, 81, 82].map((port) => lines.map(decodeLine).find((e): e is StartEvent => e.kind === 'start' && e.dport === port)!);
    expect(w.tracking).toBe(true);
    w.completed(p80!.sk, p80!.ts); // its outcome came (C line or drained frame)
    w.completed(p81!.sk, p81!.ts - 1); // another start on that socket: not this one
    w.outcomeOn(p82!.sk, p82!.ts - 1); // an outcome from before this start: not its own
    expect(w.reset().map((s) => s.dport).sort()).toEqual([81, 82]);
    expect(w.tracking).toBe(false);
    expect(w.reset()).toEqual([]); // handed back once
    run(w, thirdDumpEnd);
    w.outcomeOn(p82!.sk, p82!.ts + 5); // its O line
    expect(w.reset().map((s) => s.dport).sort()).toEqual([80, 81]);
  });

  it('drops an unfinished dump at END, and starts over for a new bpftrace run', () => {
    const { check } = ended((call) => ends[call]! + 1);
    const w = new PendWatch(check);
    const secondDumpEnd = lines.findIndex((l, i) => l.startsWith('E ') && i > lines.findIndex((m) => m.startsWith('E '))) + 1;
    run(w, secondDumpEnd); // two dumps: every start marked ended by the read after the second
    w.reset(); // bpftrace restarted: its @pend is new
    w.begin(dumps[2]!);
    for (const l of lines.filter((x) => x.startsWith('@pend[')).slice(0, 3)) w.add(decodeLine(l) as StartEvent);
    expect(w.end()).toEqual([]); // a first sighting again, not a confirmation
    w.begin(dumps[3]!);
    w.exit();
    expect(w.collecting).toBe(false);
    expect(w.end()).toEqual([]);
  });
});
