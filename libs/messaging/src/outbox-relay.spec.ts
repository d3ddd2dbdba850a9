import { cutAtChars } from './outbox-relay';

const rows = (...sizes: number[]) => sizes.map((size, index) => ({ id: index, body: 'x'.repeat(size) }));

describe('cutAtChars (the relay batch limit in characters)', () => {
  it('keeps a batch whose bodies fit', () => {
    const batch = rows(10, 20, 30);
    expect(cutAtChars(batch, 60)).toBe(false);
    expect(batch.map((row) => row.id)).toEqual([0, 1, 2]);
  });

  it('drops the rows from the first that would pass the limit, and says so', () => {
    const batch = rows(10, 20, 31, 1);
    expect(cutAtChars(batch, 60)).toBe(true);
    expect(batch.map((row) => row.id)).toEqual([0, 1]);
  });

  it('always keeps the first row, however large, so the outbox never stalls', () => {
    const batch = rows(100, 1);
    expect(cutAtChars(batch, 60)).toBe(true);
    expect(batch.map((row) => row.id)).toEqual([0]);
  });
});
