import { timeOrderedUuid, timeOrderedUuidFloor } from './time-ordered-uuid';

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID whose first 48 bits are the time in ms, so later ids sort after earlier ones', () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
    const id = timeOrderedUuid(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
    const ids = Array.from({ length: 1000 }, (_, index) => timeOrderedUuid(at + index));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 1000 }, () => timeOrderedUuid(at))).size).toBe(1000);
  });

  it('has a floor per millisecond: ids of that millisecond or later sort at or above it, earlier ones below', () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
    const floor = timeOrderedUuidFloor(at);
    for (let i = 0; i < 200; i += 1) {
      expect(timeOrderedUuid(at) >= floor).toBe(true);
      expect(timeOrderedUuid(at + 1) > floor).toBe(true);
      expect(timeOrderedUuid(at - 1) < floor).toBe(true);
    }
  });
});
