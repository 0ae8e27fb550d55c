import { linePoints } from './dashboard.api';

describe('linePoints', () => {
  it('places each sample by time and used share', () => {
    const since = Date.parse('2026-01-01T00:00:00Z');
    const now = Date.parse('2026-01-01T10:00:00Z');
    const pts = [
      { at: '2026-01-01T00:00:00Z', used_bytes: 0, capacity_bytes: 100, file_count: 0 },
      { at: '2026-01-01T05:00:00Z', used_bytes: 25, capacity_bytes: 100, file_count: 1 },
      { at: '2026-01-01T10:00:00Z', used_bytes: 100, capacity_bytes: 0, file_count: 2 },
    ];
    expect(linePoints(pts, since, now)).toBe('0.00,100.00 50.00,75.00 100.00,100.00');
  });
});
