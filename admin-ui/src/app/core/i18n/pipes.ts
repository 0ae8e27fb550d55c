import { Pipe, PipeTransform, inject } from '@angular/core';

import { I18nService } from './i18n.service';

// These pipes are impure on purpose: they read the language signal, so a language switch
// re-renders every label without reloading; each call is a dictionary lookup.

@Pipe({ name: 't', pure: false })
export class TranslatePipe implements PipeTransform {
  private readonly i18n = inject(I18nService);
  /** `fallback` is shown instead of the key when there is no message (e.g. a status value the
   * UI does not know yet). */
  transform(key: string, params?: Record<string, string | number | null | undefined> | null, fallback?: string): string {
    const text = this.i18n.t(key, params ?? undefined);
    return text === key && fallback !== undefined ? fallback : text;
  }
}

@Pipe({ name: 'dt', pure: false })
export class DatePipe implements PipeTransform {
  private readonly i18n = inject(I18nService);
  transform(value: string | Date | null | undefined, withTime = true): string {
    return this.i18n.formatDate(value, withTime);
  }
}

@Pipe({ name: 'bytes', pure: false })
export class BytesPipe implements PipeTransform {
  private readonly i18n = inject(I18nService);
  transform(value: number | null | undefined): string {
    return this.i18n.formatBytes(value);
  }
}

@Pipe({ name: 'num', pure: false })
export class NumberPipe implements PipeTransform {
  private readonly i18n = inject(I18nService);
  transform(value: number | null | undefined, digits = 0): string {
    return this.i18n.formatNumber(value, digits);
  }
}

export const I18N_PIPES = [TranslatePipe, DatePipe, BytesPipe, NumberPipe] as const;
