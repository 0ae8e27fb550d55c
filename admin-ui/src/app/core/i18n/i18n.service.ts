import { DOCUMENT } from '@angular/common';
import { Injectable, computed, inject, signal } from '@angular/core';
import { DateAdapter } from '@angular/material/core';

import { errorCode, errorMessage } from '../api/api-error';
import { EN, MessageKey } from './en';
import { RU } from './ru';

export type Lang = 'en' | 'ru';
export const LANGS: readonly Lang[] = ['en', 'ru'];
const STORAGE_KEY = 'artstore.lang';
const DICTS: Record<Lang, Record<MessageKey, string>> = { en: EN, ru: RU };

/**
 * Runtime translation with one build: the language is a signal, templates read it through the
 * impure `t` pipe, so switching re-renders in place without a reload. @angular/localize would need
 * a build (and a served copy) per locale and a page reload to switch, which the nginx image and
 * the e2e tests would have to know about; two dictionaries of a few hundred strings do not need it.
 */
@Injectable({ providedIn: 'root' })
export class I18nService {
  private readonly doc = inject(DOCUMENT);
  readonly lang = signal<Lang>(this.initial());
  readonly locale = computed(() => (this.lang() === 'ru' ? 'ru-RU' : 'en-GB'));

  private readonly dates = inject(DateAdapter, { optional: true });

  constructor() {
    this.doc.documentElement.lang = this.lang();
    this.dates?.setLocale(this.locale());
  }

  setLang(lang: Lang): void {
    this.lang.set(lang);
    this.doc.documentElement.lang = lang;
    this.dates?.setLocale(this.locale());
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      /* storage may be disabled; the choice then lasts for this page only */
    }
  }

  /** Translates `key`, filling `{name}` placeholders; unknown keys fall back to English, then the key. */
  t(key: string, params?: Record<string, string | number | null | undefined>): string {
    const dict = DICTS[this.lang()] as Record<string, string>;
    let text = dict[key] ?? (EN as Record<string, string>)[key] ?? key;
    if (params) {
      for (const [name, value] of Object.entries(params)) {
        text = text.split(`{${name}}`).join(value === null || value === undefined ? '' : String(value));
      }
    }
    return text;
  }

  /** A failed call in the user's language: the error code's message when we have one (with the
   * server's own words where they carry specifics), else the server's message as it is. */
  error(err: unknown): string {
    const code = errorCode(err) ?? (err && (err as { status?: number }).status === 0 ? 'NETWORK' : null);
    const key = code ? `error.${code}` : null;
    if (key && key in EN) {
      const text = this.t(key);
      return code === 'VALIDATION_ERROR' || code === 'PASSWORD_POLICY' ? `${text} (${errorMessage(err)})` : text;
    }
    return errorMessage(err);
  }

  formatDate(value: string | Date | null | undefined, withTime = true): string {
    if (!value) return '—';
    const d = value instanceof Date ? value : new Date(value);
    if (isNaN(d.getTime())) return String(value);
    return new Intl.DateTimeFormat(this.locale(), {
      dateStyle: 'medium',
      ...(withTime ? { timeStyle: 'short' } : {}),
    }).format(d);
  }

  formatNumber(value: number | null | undefined, digits = 0): string {
    if (value === null || value === undefined || isNaN(value)) return '—';
    return new Intl.NumberFormat(this.locale(), { maximumFractionDigits: digits }).format(value);
  }

  formatBytes(bytes: number | null | undefined): string {
    if (bytes === null || bytes === undefined || isNaN(bytes)) return '—';
    const units = this.lang() === 'ru' ? ['Б', 'КиБ', 'МиБ', 'ГиБ', 'ТиБ', 'ПиБ'] : ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let v = bytes;
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${this.formatNumber(v, i === 0 ? 0 : 1)} ${units[i]}`;
  }

  private initial(): Lang {
    try {
      const saved = localStorage.getItem(STORAGE_KEY);
      if (saved === 'en' || saved === 'ru') return saved;
    } catch {
      /* ignore */
    }
    return typeof navigator !== 'undefined' && navigator.language?.toLowerCase().startsWith('ru') ? 'ru' : 'en';
  }
}
