// Lab listener: run inside a router namespace by `srctrace lab traffic`.
//   node lab-listener.mjs PORT ADDRESS...
// Listens on every ADDRESS:PORT, accepts and closes each connection, and prints
// one JSON line per event on stdout:
//   {"event":"ready","pid":123}                       (all addresses listening)
//   {"event":"accepted","local":"198.18.1.1","localPort":8080,"remote":"192.0.2.1","remotePort":40000}
// Exits on SIGTERM/SIGINT or when stdin closes (its parent went away).
import net from 'node:net';
import process from 'node:process';

const [portArg, ...addresses] = process.argv.slice(2);
const port = Number(portArg);
const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const servers = [];

function listen(address) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      emit({ event: 'accepted', local: socket.localAddress, localPort: socket.localPort, remote: socket.remoteAddress, remotePort: socket.remotePort });
      socket.on('error', () => {});
      socket.end();
    });
    server.once('error', reject);
    server.listen({ host: address, port, ipv6Only: address.includes(':') }, () => resolve(server));
    servers.push(server);
  });
}

function stop() {
  for (const s of servers) s.close();
  process.exit(0);
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

Promise.all(addresses.map(listen)).then(
  () => emit({ event: 'ready', pid: process.pid }),
  (err) => {
    emit({ event: 'failed', error: err.code ?? String(err), message: String(err.message ?? err) });
    process.exit(1);
  },
);
