import { trendDays, trendStart } from './trend';

describe('trendDays', () => {
  it('lists the last n UTC days oldest first and fills days without uploads with 0', () => {
    const now = new Date('2026-03-02T01:30:00Z');
    expect(trendDays(now, 3, [{ value: '2026-03-02', count: 4 }, { value: '2026-02-28', count: 1 }, { value: '2026-01-01', count: 9 }])).toEqual([
      { day: '2026-02-28', count: 1 },
      { day: '2026-03-01', count: 0 },
      { day: '2026-03-02', count: 4 },
    ]);
    expect(trendStart(now, 3)).toBe('2026-02-28T00:00:00.000Z');
  });
});
