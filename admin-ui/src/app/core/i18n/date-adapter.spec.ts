import { TestBed } from '@angular/core/testing';

import { DayFirstDateAdapter } from './date-adapter';

describe('DayFirstDateAdapter', () => {
  let adapter: DayFirstDateAdapter;
  beforeEach(() => {
    adapter = TestBed.runInInjectionContext(() => new DayFirstDateAdapter());
    adapter.setLocale('ru-RU');
  });

  it('reads typed dates day first and formats them in the locale', () => {
    const d = adapter.parse('05.11.2026')!;
    expect([d.getFullYear(), d.getMonth(), d.getDate()]).toEqual([2026, 10, 5]);
    expect(adapter.format(d, { year: 'numeric', month: '2-digit', day: '2-digit' })).toBe('05.11.2026');
    adapter.setLocale('en-GB');
    expect(adapter.format(adapter.parse('5/11/2026')!, { year: 'numeric', month: '2-digit', day: '2-digit' })).toBe('05/11/2026');
  });

  it('rejects a day that does not exist', () => {
    expect(adapter.isValid(adapter.parse('31.02.2026')!)).toBe(false);
  });
});
