import { describe, expect, it } from 'vitest';
import { hashString, NO_SOURCE_COLOR, PALETTE, SourceColors } from '../../ui/src/model/colors.js';

describe('source colours', () => {
  it('gives each address one colour for the session, distinct until the palette runs out', () => {
    const colors = new SourceColors();
    const addrs = Array.from({ length: PALETTE.length }, (_, i) => `10.0.0.${i}`);
    const first = addrs.map((a) => colors.get(a));
    expect(new Set(first).size).toBe(PALETTE.length);
    expect(addrs.map((a) => colors.get(a))).toEqual(first);
    // beyond the palette an address shares the colour of its hash slot
    expect(colors.get('192.0.2.1')).toBe(PALETTE[hashString('192.0.2.1') % PALETTE.length]);
  });

  it('starts from the hash slot, so an address alone gets the same colour in every session', () => {
    expect(new SourceColors().get('2001:db8::5')).toBe(PALETTE[hashString('2001:db8::5') % PALETTE.length]);
    expect(new SourceColors().get(null)).toBe(NO_SOURCE_COLOR);
    expect(PALETTE).not.toContain(NO_SOURCE_COLOR);
  });
});
