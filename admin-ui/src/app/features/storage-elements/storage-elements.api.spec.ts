import { NEXT_MODE, StorageElement, retentionDaysLeft, usagePercent } from './storage-elements.api';

const se = (over: Partial<StorageElement>): StorageElement => ({
  id: '1', name: 'se', api_url: 'http://x', mode: 'rw', status: 'online', priority: 1, backend: 'local',
  capacity_bytes: 1000, used_bytes: 250, file_count: 1, ...over,
});

describe('storage element helpers', () => {
  it('uses the server usage percentage, else computes it', () => {
    expect(usagePercent(se({ usage_percent: 12.5 }))).toBe(12.5);
    expect(usagePercent(se({}))).toBe(25);
    expect(usagePercent(se({ capacity_bytes: 0 }))).toBe(0);
  });

  it('counts retention days down to the end date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retentionDaysLeft(se({ retention_ends_at: '2026-01-31T00:00:00Z' }), now)).toBe(30);
    expect(retentionDaysLeft(se({ retention_ends_at: '2025-12-29T00:00:00Z' }), now)).toBe(-3);
    expect(retentionDaysLeft(se({ retention_days: 10, created_at: '2025-12-30T00:00:00Z' }), now)).toBe(8);
    expect(retentionDaysLeft(se({}), now)).toBeNull();
  });

  it('offers only the one-way transitions', () => {
    expect(NEXT_MODE).toEqual({ rw: 'ro', ro: 'ar' });
  });
});
