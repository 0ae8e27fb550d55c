import { HttpErrorResponse } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';

import { EN } from './en';
import { I18nService } from './i18n.service';
import { RU } from './ru';

describe('I18nService', () => {
  beforeEach(() => localStorage.clear());

  it('has the same keys in Russian and English, none empty', () => {
    expect(Object.keys(RU).sort()).toEqual(Object.keys(EN).sort());
    for (const [k, v] of Object.entries(RU)) expect(v.trim(), k).not.toBe('');
  });

  it('keeps the same placeholders in both languages', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(EN) as (keyof typeof EN)[]) expect(ph(RU[k]), k).toEqual(ph(EN[k]));
  });

  it('switches language at runtime, fills placeholders and persists the choice', () => {
    const i18n = TestBed.inject(I18nService);
    i18n.setLang('en');
    expect(i18n.t('se.files', { n: 3 })).toBe('3 files');
    i18n.setLang('ru');
    expect(i18n.t('se.files', { n: 3 })).toBe('файлов: 3');
    expect(i18n.t('nav.dashboard')).toBe('Обзор');
    expect(document.documentElement.lang).toBe('ru');
    expect(localStorage.getItem('artstore.lang')).toBe('ru');
  });

  it('falls back to the key for unknown messages', () => {
    expect(TestBed.inject(I18nService).t('status.something-new')).toBe('status.something-new');
  });

  it('formats sizes with binary units per language', () => {
    const i18n = TestBed.inject(I18nService);
    i18n.setLang('en');
    expect(i18n.formatBytes(0)).toBe('0 B');
    expect(i18n.formatBytes(1536)).toBe('1.5 KiB');
    expect(i18n.formatBytes(10 * 1024 ** 3)).toBe('10 GiB');
    i18n.setLang('ru');
    expect(i18n.formatBytes(1536)).toBe('1,5 КиБ');
    expect(i18n.formatBytes(null)).toBe('—');
  });

  it('localizes known error codes and keeps the server message otherwise', () => {
    const i18n = TestBed.inject(I18nService);
    const err = (code: string, message: string, status = 400) =>
      new HttpErrorResponse({ status, error: { error: { code, message, details: {} } } });
    i18n.setLang('ru');
    expect(i18n.error(err('RATE_LIMITED', 'Too many', 429))).toBe('Слишком много попыток; подождите минуту и повторите');
    expect(i18n.error(err('VALIDATION_ERROR', 'ttl_days: must be ≤ 365', 422))).toBe(
      'Некоторые поля заполнены неверно (VALIDATION_ERROR: ttl_days: must be ≤ 365)',
    );
    expect(i18n.error(err('SOMETHING_NEW', 'Details here'))).toBe('SOMETHING_NEW: Details here');
    expect(i18n.error(new HttpErrorResponse({ status: 0 }))).toContain('Сервис недоступен');
  });
});
