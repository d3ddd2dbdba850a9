import { generateKeyPairSync, verify } from 'node:crypto';
import { SigningWorker } from './signing-worker';

const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed25519 = generateKeyPairSync('ed25519');

const validEs256 = (input: Buffer, signature: Buffer, publicKey = es256.publicKey) =>
  verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);

describe('SigningWorker', () => {
  let worker: SigningWorker;
  beforeEach(() => {
    worker = new SigningWorker();
  });
  afterEach(async () => {
    await worker.stop();
  });

  it('signs the requests of one turn as a group, each with its own key and algorithm', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const inputs = Array.from({ length: 40 }, (_, index) => Buffer.from(`header.claims-${index}`));
    const [es, ed, otherKey] = await Promise.all([
      Promise.all(inputs.map((input) => worker.sign('ES256', es256.privateKey, input))),
      Promise.all(inputs.map((input) => worker.sign('EdDSA', ed25519.privateKey, input))),
      worker.sign('ES256', other.privateKey, inputs[0]),
    ]);
    expect(es.every((signature, index) => signature.length === 64 && validEs256(inputs[index], signature))).toBe(true);
    expect(ed.every((signature, index) => verify(null, inputs[index], ed25519.publicKey, signature))).toBe(true);
    expect(validEs256(inputs[0], otherKey, other.publicKey)).toBe(true);
    expect(validEs256(inputs[0], otherKey)).toBe(false);
  });

  it('keeps signing, on the calling thread, once the worker is gone', async () => {
    const input = Buffer.from('header.claims');
    expect(validEs256(input, await worker.sign('ES256', es256.privateKey, input))).toBe(true);
    await worker.stop();
    expect(validEs256(input, await worker.sign('ES256', es256.privateKey, input))).toBe(true);
  });

  it('rejects what cannot be signed instead of leaving it waiting', async () => {
    // A public key cannot sign.
    await expect(worker.sign('ES256', es256.publicKey, Buffer.from('x'))).rejects.toThrow(/signing failed/);
    // The worker is still there for the next group.
    const input = Buffer.from('header.claims');
    expect(validEs256(input, await worker.sign('ES256', es256.privateKey, input))).toBe(true);
  });
});
