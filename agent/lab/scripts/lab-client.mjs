// Lab client: run inside the host namespace by `srctrace lab traffic`.
//   node lab-client.mjs TIMEOUT_MS < PLAN_JSON
// PLAN_JSON (on stdin, so the command line srctrace shows stays short) is
// [{"id":0,"family":4,"daddr":"198.18.1.1","dport":8080,"bindAddr":null}, ...].
// Connects to each in turn and prints what this process itself saw, one JSON line each:
//   {"id":0,"pid":123,"saddr":"192.0.2.1","sport":40000,"outcome":"established","errno":null,"error":null}
import net from 'node:net';
import os from 'node:os';
import process from 'node:process';
import { readFileSync } from 'node:fs';
import { setTimeout, clearTimeout } from 'node:timers';

const plan = JSON.parse(readFileSync(0, 'utf8') || '[]');
const timeoutMs = Number(process.argv[2] ?? 3000);

function sockname(socket) {
  const a = socket.address();
  if (!a || !a.address || a.address === '0.0.0.0' || a.address === '::' || !a.port) return null;
  return { saddr: a.address, sport: a.port };
}

function outcomeOf(code) {
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ENETUNREACH' || code === 'EHOSTUNREACH') return 'unreachable';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'error';
}

function attempt(step) {
  return new Promise((resolve) => {
    const options = { host: step.daddr, port: step.dport, family: step.family };
    if (step.bindAddr) options.localAddress = step.bindAddr;
    const socket = net.connect(options);
    let local = null;
    // net.connect() issues connect(2) on the next tick, queued before this one:
    // by now the kernel has chosen the source (or failed), and the fd is still
    // open even if an RST is already in, so getsockname() reports it.
    process.nextTick(() => { local = sockname(socket); });
    let done = false;
    const finish = (outcome, code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const errno = code ? os.constants.errno[code] ?? null : null;
      resolve({ id: step.id, pid: process.pid, saddr: local?.saddr ?? null, sport: local?.sport ?? null, outcome, errno, error: code ?? null });
    };
    const timer = setTimeout(() => finish('timeout', 'ETIMEDOUT'), timeoutMs);
    socket.once('connect', () => {
      local = sockname(socket) ?? local;
      finish('established', null);
    });
    socket.once('error', (err) => finish(outcomeOf(err.code), err.code ?? 'EIO'));
  });
}

for (const step of plan) {
  const result = await attempt(step);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
