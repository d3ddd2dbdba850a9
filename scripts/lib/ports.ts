import { readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';

/** The first port of the kernel's ephemeral range (source ports of outgoing connections, and listen(0)). */
export function ephemeralRangeStart(rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'): number {
  try {
    const first = Number(readFileSync(rangeFile, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > LOWEST_PORT + 1000 ? first : DEFAULT_EPHEMERAL_START;
  } catch {
    return DEFAULT_EPHEMERAL_START;
  }
}

const LOWEST_PORT = 10_000;
// Linux's default range starts here (macOS's at 49152).
const DEFAULT_EPHEMERAL_START = 32_768;

/**
 * A TCP port nobody listens on right now, chosen below the ephemeral range.
 * A port the OS picks for listen(0) comes from that range, which is also where
 * every outgoing connection gets its source port: under a busy test run one of
 * them could take the port between this check and the service binding it (the
 * service then stops with "port in use" before it is healthy).
 */
export async function freePort(): Promise<number> {
  const end = ephemeralRangeStart();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (end - LOWEST_PORT));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${LOWEST_PORT} and ${end - 1}`);
}

/**
 * Ports this process has handed out: a cluster takes a score of them before any is bound (every service's, every
 * NATS node's), so a second random pick of the same still-free port would give two listeners one port (about a 1%
 * chance per scale-out cluster). A port is never handed out twice by one process.
 */
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** True when something accepts TCP connections on host:port. */
export function isListening(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
