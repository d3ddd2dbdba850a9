import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ephemeralRangeStart, freePort } from './ports';

describe('freePort', () => {
  it('gives ports below the ephemeral range that a server can listen on, and not the same one twice in a row', async () => {
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralRangeStart());
      await new Promise<void>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
      });
    }
    expect(new Set(ports).size).toBeGreaterThan(1);
  });

  it('never hands out one port twice in a process, though none of them is bound yet (a cluster takes a score first)', async () => {
    // 1,500 random picks from ~22,000 ports would repeat one about fifty times over.
    const ports: number[] = [];
    for (let index = 0; index < 1500; index++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("reads the range's start from the kernel's setting, with Linux's default when it cannot", () => {
    const dir = mkdtempSync(join(tmpdir(), 'keymint-ports-'));
    try {
      const file = join(dir, 'ip_local_port_range');
      writeFileSync(file, '40000\t60999\n');
      expect(ephemeralRangeStart(file)).toBe(40000);
      writeFileSync(file, 'nonsense\n');
      expect(ephemeralRangeStart(file)).toBe(32768);
      expect(ephemeralRangeStart(join(dir, 'missing'))).toBe(32768);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
