import { dayAfter, onDay } from './file-actions.api';

describe('onDay', () => {
  it('keeps the time of day of the current date on the chosen calendar day (UTC)', () => {
    expect(onDay(new Date(2027, 0, 15), '2026-12-01T09:30:15Z')).toBe('2027-01-15T09:30:15.000Z');
  });
  it('ends the chosen day when there is no current date', () => {
    expect(onDay(new Date(2030, 5, 1), null)).toBe('2030-06-01T23:59:59.000Z');
  });
});

describe('dayAfter', () => {
  it('offers the day after the current date at the earliest', () => {
    const d = dayAfter('2026-12-01T09:30:00Z');
    const from = new Date('2026-12-01T09:30:00Z');
    expect(d.getTime()).toBe(new Date(from.getFullYear(), from.getMonth(), from.getDate() + 1).getTime());
  });
});
