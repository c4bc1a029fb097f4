// Docker container names for Docker's namespaces, read from the containers'
// config.v2.json files. No Docker here (not installed; images cannot be
// pulled): the files are written as Docker 27 writes them, trimmed to the
// fields read and a few around them.
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerDataRoot, dockerNamer, dockerNamesReader } from '../../agent/enrich/docker-names.js';
import { NETNS_DIRS, NetnsNames } from '../../agent/enrich/netns-names.js';

let dir = '';
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

function container(root: string, id: string, name: string, sandboxKey: string): void {
  mkdirSync(join(root, 'containers', id), { recursive: true });
  writeFileSync(join(root, 'containers', id, 'config.v2.json'), JSON.stringify({
    ID: id, Name: name, Config: { Hostname: id.slice(0, 12), Image: 'nginx' },
    NetworkSettings: { Bridge: '', SandboxID: sandboxKey.split('/').pop(), SandboxKey: sandboxKey, Networks: {} },
  }));
}

describe('Docker container names', () => {
  it('maps each sandbox to the container that made it; joined containers, broken files and other entries are skipped', () => {
    dir = mkdtempSync(join(tmpdir(), 'srctrace-docker-'));
    container(dir, 'a'.repeat(64), '/web', '/var/run/docker/netns/1f2e3d4c5b6a');
    container(dir, 'b'.repeat(64), '/db', '/var/run/docker/netns/0a0b0c0d0e0f');
    container(dir, 'c'.repeat(64), '/sidecar', ''); // --network container:web: no sandbox of its own
    mkdirSync(join(dir, 'containers', 'd'.repeat(64)));
    writeFileSync(join(dir, 'containers', 'd'.repeat(64), 'config.v2.json'), '{"Name": "/half-writ');
    writeFileSync(join(dir, 'containers', 'stray-file'), '');
    expect(dockerNamesReader()(dir)).toEqual(new Map([['1f2e3d4c5b6a', 'web'], ['0a0b0c0d0e0f', 'db']]));
    expect(dockerNamesReader()(join(dir, 'missing'))).toEqual(new Map());
  });

  it('finds the data root in daemon.json, else uses Docker\'s default', () => {
    dir = mkdtempSync(join(tmpdir(), 'srctrace-docker-'));
    writeFileSync(join(dir, 'daemon.json'), '{"data-root": "/srv/docker/", "log-driver": "local"}');
    writeFileSync(join(dir, 'broken.json'), '{');
    writeFileSync(join(dir, 'relative.json'), '{"data-root": "docker"}');
    expect(dockerDataRoot(join(dir, 'daemon.json'))).toBe('/srv/docker');
    expect(dockerDataRoot(join(dir, 'none.json'))).toBe('/var/lib/docker');
    expect(dockerDataRoot(join(dir, 'broken.json'))).toBe('/var/lib/docker');
    expect(dockerDataRoot(join(dir, 'relative.json'))).toBe('/var/lib/docker');
  });

  it('looks at the configs again at most every 2 s, whatever the sandbox; the sandbox id stands in until one names it', () => {
    let now = 0;
    let reads = 0;
    const table = new Map([['1f2e3d4c5b6a', 'web']]);
    const name = dockerNamer('/unused', () => (reads++, new Map(table)), () => now);
    expect(name('1f2e3d4c5b6a')).toBe('web');
    for (let i = 0; i < 1000; i++) expect(name('1f2e3d4c5b6a')).toBe('web'); // no read in between
    table.set('0a0b0c0d0e0f', 'db'); // a container created since
    now = 500;
    expect(name('0a0b0c0d0e0f')).toBe('0a0b0c0d0e0f'); // within 2 s of the last read
    expect(reads).toBe(1);
    now = 2100;
    expect(name('0a0b0c0d0e0f')).toBe('db');
    expect(reads).toBe(2);
    table.set('1f2e3d4c5b6a', 'frontend'); // docker rename
    now = 4200;
    expect(name('1f2e3d4c5b6a')).toBe('frontend');
    expect(reads).toBe(3);
  });

  it('parses a config again only when its file changed: a rename shows, an unchanged host costs stats', () => {
    dir = mkdtempSync(join(tmpdir(), 'srctrace-docker-'));
    const a = 'a'.repeat(64);
    container(dir, a, '/web', '/var/run/docker/netns/1f2e3d4c5b6a');
    container(dir, 'b'.repeat(64), '/db', '/var/run/docker/netns/0a0b0c0d0e0f');
    const read = dockerNamesReader();
    expect(read(dir)).toEqual(new Map([['1f2e3d4c5b6a', 'web'], ['0a0b0c0d0e0f', 'db']]));
    // An unchanged file is not parsed again: garbage written in place with the same size and mtime goes unread.
    const file = join(dir, 'containers', a, 'config.v2.json');
    utimesSync(file, 1_700_000_000, 1_700_000_000); // whole seconds: restored exactly below
    expect(read(dir).get('1f2e3d4c5b6a')).toBe('web'); // mtime changed: parsed again
    writeFileSync(file, 'x'.repeat(statSync(file).size));
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    expect(read(dir).get('1f2e3d4c5b6a')).toBe('web');
    // docker rename: the config is written anew (another inode) with the new name.
    rmSync(file);
    container(dir, a, '/frontend', '/var/run/docker/netns/1f2e3d4c5b6a');
    expect(read(dir)).toEqual(new Map([['1f2e3d4c5b6a', 'frontend'], ['0a0b0c0d0e0f', 'db']]));
    // A removed container goes with its config.
    rmSync(join(dir, 'containers', 'b'.repeat(64)), { recursive: true });
    expect(read(dir)).toEqual(new Map([['1f2e3d4c5b6a', 'frontend']]));
  });

  it('names a namespace "docker:CONTAINER" in the records, through the Docker directory\'s resolver', () => {
    dir = mkdtempSync(join(tmpdir(), 'srctrace-docker-'));
    mkdirSync(join(dir, 'netns'));
    writeFileSync(join(dir, 'netns', '1f2e3d4c5b6a'), '');
    writeFileSync(join(dir, 'netns', '9e9e9e9e9e9e'), '');
    container(join(dir, 'root'), 'a'.repeat(64), '/web', '/var/run/docker/netns/1f2e3d4c5b6a');
    const names = new NetnsNames([{ dir: join(dir, 'netns'), prefix: 'docker:', label: dockerNamer(join(dir, 'root')) }], -1);
    expect(names.name(statSync(join(dir, 'netns', '1f2e3d4c5b6a')).ino, 1e9)).toBe('docker:web');
    expect(names.name(statSync(join(dir, 'netns', '9e9e9e9e9e9e')).ino, 1e9)).toBe('docker:9e9e9e9e9e9e'); // no config names it
    // The shipped directories: Docker's has this resolver.
    expect(NETNS_DIRS.map((d) => [d.dir, d.prefix, typeof d.label])).toEqual([['/run/netns', '', 'undefined'], ['/run/docker/netns', 'docker:', 'function']]);
  });
});
