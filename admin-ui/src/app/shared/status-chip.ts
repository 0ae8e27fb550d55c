import { Component, computed, input } from '@angular/core';

import { TranslatePipe } from '../core/i18n/pipes';

const TONES: Record<string, string> = {
  online: 'good', active: 'good', completed: 'good', success: 'good', ok: 'good',
  degraded: 'warn', draining: 'warn', suspended: 'warn', running: 'info', compensating: 'warn', disabled: 'warn',
  offline: 'bad', failed: 'bad', failure: 'bad', denied: 'bad', deleted: 'bad', compensated: 'warn', expired: 'warn',
  edit: 'info', rw: 'good', ro: 'neutral', ar: 'neutral', waiting: 'info', done: 'good', pending: 'info',
};

/** A small coloured label for a status or mode value, translated under `prefix`. */
@Component({
  selector: 'app-status',
  imports: [TranslatePipe],
  template: `<span class="chip" [class]="tone()">{{ prefix() + '.' + value() | t: null : value() }}</span>`,
  styles: `
    .chip { display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 12px; line-height: 18px; white-space: nowrap; }
    .good { background: #e3f4e4; color: #1b5e20; } .warn { background: #fff4d6; color: #7a5300; }
    .bad { background: #fde2e1; color: #8e1b17; } .info { background: #e1ecfd; color: #0d3c8c; }
    .neutral { background: #ececec; color: #333; }
  `,
})
export class StatusChip {
  readonly value = input.required<string>();
  readonly prefix = input('status');
  readonly tone = computed(() => `chip ${TONES[this.value()] ?? 'neutral'}`);
}
