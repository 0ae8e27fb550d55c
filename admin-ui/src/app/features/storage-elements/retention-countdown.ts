import { Component, computed, input } from '@angular/core';

import { TranslatePipe } from '../../core/i18n/pipes';
import { StorageElement, retentionDaysLeft } from './storage-elements.api';

/** Days left of the SE's retention period, amber inside the warning lead time, red when over. */
@Component({
  selector: 'app-retention',
  imports: [TranslatePipe],
  template: `
    @if (left(); as l) {
      <span [class]="tone()">{{ (l.days < 0 ? 'se.retentionOver' : 'se.retentionLeft') | t: { days: l.days < 0 ? -l.days : l.days } }}</span>
      <div class="muted">{{ 'se.retentionPeriod' | t: { days: se().retention_days ?? '—' } }}</div>
    } @else {
      <span class="muted">{{ 'se.retentionNone' | t }}</span>
    }
  `,
  styles: `.ok { color: #1b5e20; } .warn { color: #7a5300; font-weight: 600; } .over { color: #8e1b17; font-weight: 600; }`,
})
export class RetentionCountdown {
  readonly se = input.required<StorageElement>();
  readonly left = computed(() => {
    const days = retentionDaysLeft(this.se());
    return days === null ? null : { days };
  });
  readonly tone = computed(() => {
    const l = this.left();
    if (!l) return '';
    const state = this.se().retention_state;
    if (state === 'expired' || l.days < 0) return 'over';
    return state === 'warning' || l.days <= (this.se().retention_warning_days ?? 30) ? 'warn' : 'ok';
  });
}
