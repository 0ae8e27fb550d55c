import { Injectable } from '@angular/core';
import { NativeDateAdapter } from '@angular/material/core';

/** The native adapter formats dates in the UI's locale but parses typed text with Date.parse,
 * which reads "05.11.2026" as 11 May. Both our locales (ru-RU, en-GB) write the day first. */
@Injectable()
export class DayFirstDateAdapter extends NativeDateAdapter {
  override parse(value: unknown, parseFormat?: unknown): Date | null {
    const m = typeof value === 'string' ? /^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$/.exec(value) : null;
    if (m) {
      const d = new Date(Number(m[3]), Number(m[2]) - 1, Number(m[1]));
      return d.getMonth() === Number(m[2]) - 1 ? d : this.invalid();
    }
    return super.parse(value, parseFormat);
  }
}
