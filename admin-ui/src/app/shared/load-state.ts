import { Component, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';

import { TranslatePipe } from '../core/i18n/pipes';

/**
 * The three honest states of anything loaded from a service: loading, failed (with the
 * service's own message and a Retry), or empty. Shows nothing once there is data to show.
 */
@Component({
  selector: 'app-load-state',
  imports: [MatButtonModule, MatProgressBarModule, TranslatePipe],
  template: `
    @if (error()) {
      <div class="state failed" role="alert" data-testid="state-error">
        <div class="what">{{ (failedText() || 'state.failed') | t }}</div>
        <div class="why" data-testid="state-error-message">{{ error() }}</div>
        <button mat-stroked-button type="button" (click)="retry.emit()" data-testid="state-retry">{{ 'state.retry' | t }}</button>
      </div>
    } @else if (loading()) {
      <div class="state" data-testid="state-loading">
        <mat-progress-bar mode="indeterminate" />
        @if (!quiet()) { <span class="muted">{{ 'common.loading' | t }}</span> }
      </div>
    } @else if (empty()) {
      <div class="state empty muted" data-testid="state-empty">{{ (emptyText() || 'common.noData') | t }}</div>
    }
  `,
  styles: `
    .state { display: flex; flex-direction: column; gap: 8px; padding: 12px 0; }
    .state.empty { padding: 20px 8px; text-align: center; }
    .failed { align-items: flex-start; background: #fdf0ef; border: 1px solid #f3c9c6; border-radius: 6px; padding: 12px 14px; }
    .what { font-weight: 600; color: #8e1b17; }
    .why { color: #5b1512; overflow-wrap: anywhere; }
  `,
})
export class LoadState {
  readonly loading = input(false);
  readonly error = input<string | null>(null);
  readonly empty = input(false);
  readonly emptyText = input('');
  readonly failedText = input('');
  /** Only the bar while loading (for lists that keep showing their previous rows). */
  readonly quiet = input(false);
  readonly retry = output<void>();
}
