import { Component, computed, input } from '@angular/core';

/** A capacity bar: green below 80 %, amber to 95 %, red above (the SE capacity alert levels). */
@Component({
  selector: 'app-usage-bar',
  template: `
    <div class="track" role="progressbar" [attr.aria-valuenow]="clamped()" aria-valuemin="0" aria-valuemax="100">
      <div class="fill" [class]="level()" [style.width.%]="clamped()"></div>
    </div>
    <span class="label">{{ clamped().toFixed(1) }}%</span>
  `,
  styles: `
    :host { display: flex; align-items: center; gap: 8px; min-width: 140px; }
    .track { flex: 1; height: 8px; background: var(--mat-sys-surface-container-highest, #e0e0e0); border-radius: 4px; overflow: hidden; }
    .fill { height: 100%; border-radius: 4px; }
    .ok { background: #2e7d32; } .warn { background: #f9a825; } .crit { background: #c62828; }
    .label { font-variant-numeric: tabular-nums; font-size: 12px; min-width: 44px; text-align: right; }
  `,
})
export class UsageBar {
  readonly percent = input.required<number>();
  readonly clamped = computed(() => Math.max(0, Math.min(100, this.percent() || 0)));
  readonly level = computed(() => (this.clamped() >= 95 ? 'crit' : this.clamped() >= 80 ? 'warn' : 'ok'));
}
