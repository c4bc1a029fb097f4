// One colour per source address. An address starts from a slot picked by a
// hash of its text (so the same address tends to get the same colour in every
// session) and takes the next free slot if that one is taken, so the first
// PALETTE.length sources always look different. Once given, a colour never
// changes during the session. No reds: red means failure on the timeline.

// neighbours differ in hue, because a taken slot falls through to the next one
export const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#17becf', '#bcbd22', '#8c564b', '#e377c2',
  '#393b79', '#f2a900', '#00897b', '#7b4173', '#637939', '#b07aa1', '#6b6ecf', '#8c6d31',
] as const;
export const NO_SOURCE_COLOR = '#8a8f98';

/** FNV-1a over UTF-16 code units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class SourceColors {
  private readonly given = new Map<string, string>();
  private readonly taken = new Set<number>();

  get(saddr: string | null): string {
    if (saddr === null) return NO_SOURCE_COLOR;
    let c = this.given.get(saddr);
    if (c === undefined) {
      const home = hashString(saddr) % PALETTE.length;
      let slot = home;
      for (let i = 0; i < PALETTE.length; i++) {
        const s = (home + i) % PALETTE.length;
        if (!this.taken.has(s)) {
          slot = s;
          break;
        }
      }
      this.taken.add(slot);
      c = PALETTE[slot]!;
      this.given.set(saddr, c);
    }
    return c;
  }
}

const sessionColors = new SourceColors();

export function colorForSource(saddr: string | null): string {
  return sessionColors.get(saddr);
}

const packed = new Map<string, number>();

/** "#rrggbb" as the little-endian RGBA word ImageData stores (opaque). */
export function packColor(hex: string): number {
  let v = packed.get(hex);
  if (v === undefined) {
    const n = parseInt(hex.slice(1, 7), 16);
    v = ((0xff << 24) | ((n & 0xff) << 16) | (n & 0xff00) | ((n >> 16) & 0xff)) >>> 0;
    packed.set(hex, v);
  }
  return v;
}
