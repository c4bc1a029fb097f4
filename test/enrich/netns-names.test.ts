// Names by inode from a directory like /run/netns. Plain files stand in for
// the namespaces' bind mounts here (stat gives each its own inode, as it
// gives a mounted namespace its namespace's); the lab end-to-end test checks
// real namespaces.
import { linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NETNS_DIRS, NetnsNames } from '../../agent/enrich/netns-names.js';

const S = 1e9;
let dir = '';
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

function ns(name: string): number {
  writeFileSync(join(dir, name), '');
  return statSync(join(dir, name)).ino;
}

describe('network namespace names', () => {
  it('names Docker\'s namespaces "docker:SANDBOX", never the host\'s own, and lets an ip netns name win', () => {
    dir = mkdtempSync(join(tmpdir(), 'srctrace-netns-'));
    const netnsDir = join(dir, 'netns');
    const dockerDir = join(dir, 'docker');
    mkdirSync(netnsDir);
    mkdirSync(dockerDir);
    const file = (d: string, name: string) => {
      writeFileSync(join(d, name), '');
      return statSync(join(d, name)).ino;
    };
    const named = file(netnsDir, 'srct-host');
    const sandbox = file(dockerDir, '1f2e3d4c5b6a');
    const hostLink = file(dockerDir, 'default');
    linkSync(join(netnsDir, 'srct-host'), join(dockerDir, '0a0b0c0d0e0f')); // the same namespace, known to both
    const names = new NetnsNames([{ dir: netnsDir, prefix: '' }, { dir: dockerDir, prefix: 'docker:' }], hostLink);
    expect(names.name(sandbox, 100 * S)).toBe('docker:1f2e3d4c5b6a');
    expect(names.name(hostLink, 100 * S)).toBeNull();
    expect(names.name(named, 100 * S)).toBe('srct-host');
    // The default directories: /run/netns, then Docker's.
    expect(NETNS_DIRS.map((d) => [d.dir, d.prefix])).toEqual([['/run/netns', ''], ['/run/docker/netns', 'docker:']]);
  });

  it('names a namespace by its inode, null for one without a name or without the directory', () => {
    dir = mkdtempSync(join(tmpdir(), 'srctrace-netns-'));
    const host = ns('srct-host');
    const names = new NetnsNames(dir);
    expect(names.name(host, 100 * S)).toBe('srct-host');
    expect(names.name(4026531840, 100 * S)).toBeNull();
    expect(new NetnsNames(join(dir, 'missing')).name(host, 0)).toBeNull();
  });

  it('a namespace created after the last read is found at its first record', () => {
    dir = mkdtempSync(join(tmpdir(), 'srctrace-netns-'));
    const names = new NetnsNames(dir);
    expect(names.name(ns('a'), 100 * S)).toBe('a');
    expect(names.name(ns('b'), 100.001 * S)).toBe('b');
    expect(names.name(ns('a2'), 100.002 * S)).toBe('a2');
  });

  it('a name is not trusted for more than 2 s of record time: a renamed (or reused) inode gets its new name', () => {
    dir = mkdtempSync(join(tmpdir(), 'srctrace-netns-'));
    const inode = ns('old');
    const names = new NetnsNames(dir);
    expect(names.name(inode, 100 * S)).toBe('old');
    renameSync(join(dir, 'old'), join(dir, 'new'));
    expect(names.name(inode, 101.9 * S)).toBe('old'); // within 2 s: the last read stands
    expect(names.name(inode, 102.1 * S)).toBe('new');
    // Records out of time order (a connect that timed out long ago) read again too.
    rmSync(join(dir, 'new'));
    expect(names.name(inode, 20 * S)).toBeNull();
  });

  it('answers from its last read for 2 s of record time, for named and unnamed namespaces alike', () => {
    dir = mkdtempSync(join(tmpdir(), 'srctrace-netns-'));
    const names = new NetnsNames(dir);
    expect(names.name(4026531840, 100 * S)).toBeNull();
    const inode = ns('late');
    expect(names.name(inode, 100.1 * S)).toBe('late'); // a new inode: read again
    rmSync(join(dir, 'late'));
    expect(names.name(inode, 100.2 * S)).toBe('late'); // cached within 2 s
    expect(names.name(4026531840, 100.3 * S)).toBeNull();
    expect(names.name(inode, 102.2 * S)).toBeNull(); // re-read after 2 s
  });
});
