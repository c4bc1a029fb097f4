// runLabCommand is what `srctrace lab` runs: flags, output and exit codes.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LAB_USAGE, runLabCommand, type LabStatus, type LabTrafficResult } from '../../agent/lab/index.js';
import { isRoot, NOT_ROOT_REASON, withLab } from '../helpers/lab.js';

async function run(argv: string[]): Promise<{ code: number; output: string }> {
  const out = new PassThrough();
  let output = '';
  out.on('data', (c: Buffer) => { output += c.toString(); });
  const code = await runLabCommand(argv, out);
  return { code, output };
}

describe('runLabCommand usage', () => {
  it('--help prints the usage and exits 0', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, output: LAB_USAGE });
    expect(await run(['up', '--help'])).toEqual({ code: 0, output: LAB_USAGE });
  });

  it.each([
    [[], 'missing lab command'],
    [['sideways'], 'unknown lab command sideways'],
    [['up', '--prefix'], '--prefix needs a value'],
    [['up', '--verbose'], 'unknown option --verbose'],
    [['up', '--prefix', 'Bad-Name'], 'invalid lab prefix "Bad-Name"'],
  ])('%j exits 2 with "%s" and the usage', async (argv, message) => {
    const { code, output } = await run(argv);
    expect(code).toBe(2);
    expect(output.startsWith(`srctrace lab: ${message}`)).toBe(true);
    expect(output.endsWith(LAB_USAGE)).toBe(true);
  });
});

describe.skipIf(!isRoot)(`runLabCommand against a real lab (${isRoot ? 'root' : NOT_ROOT_REASON})`, () => {
  const lab = withLab({ up: false });

  it('up --json prints the complete status', async () => {
    const { code, output } = await run(['up', '--prefix', lab.prefix, '--json']);
    expect(code).toBe(0);
    const status = JSON.parse(output) as LabStatus;
    expect(status).toMatchObject({ prefix: lab.prefix, complete: true, missing: [] });
  });

  it('status prints a readable rendering and exits 0 when complete', async () => {
    const { code, output } = await run(['status', `--prefix=${lab.prefix}`]);
    expect(code).toBe(0);
    expect(output.split('\n')[0]).toBe(`lab ${lab.prefix}: complete`);
    expect(output).toContain(`route:     198.18.1.0/24 via ${lab.topology.uplinks.a.router.v4} dev ${lab.topology.uplinks.a.hostDev} src ${lab.topology.service.v4}`);
  });

  it('traffic --json exits 0 with every attempt as expected', async () => {
    const { code, output } = await run(['traffic', '--prefix', lab.prefix, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(output) as LabTrafficResult;
    expect(result.attempts.length).toBeGreaterThan(0);
    expect(result.attempts.filter((a) => !a.asExpected)).toEqual([]);
  });

  it('down exits 0, and status then exits 1 saying the lab is down', async () => {
    expect((await run(['down', '--prefix', lab.prefix])).code).toBe(0);
    const { code, output } = await run(['status', '--prefix', lab.prefix]);
    expect(code).toBe(1);
    expect(output.split('\n')[0]).toBe(`lab ${lab.prefix}: down`);
  });
});
