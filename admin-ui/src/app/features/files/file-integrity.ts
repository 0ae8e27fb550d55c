import { Component, inject, input, output, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { RouterLink } from '@angular/router';

import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { CopyCheck, FileActionsApi, IntegrityReport } from './file-actions.api';

/** "Check integrity now": every copy re-hashed by its storage element, the answer per copy
 * with its last-verified time (storage:admin). */
@Component({
  selector: 'app-file-integrity',
  imports: [MatButtonModule, MatProgressBarModule, RouterLink, ...I18N_PIPES],
  template: `
    <div class="head">
      <h4>{{ 'integrity.title' | t }}</h4>
      <button mat-stroked-button (click)="check()" [disabled]="checking()" data-testid="integrity-check">{{ 'integrity.check' | t }}</button>
    </div>
    @if (checking()) { <mat-progress-bar mode="indeterminate" /> <p class="muted">{{ 'integrity.checking' | t }}</p> }
    @if (error()) { <p class="error-text" role="alert" data-testid="integrity-error">{{ error() }}</p> }
    @if (report(); as r) {
      <p [class]="allOk(r) ? 'ok-text' : 'error-text'" data-testid="integrity-summary">
        {{ (allOk(r) ? 'integrity.allOk' : 'integrity.problem') | t: { n: r.copies.length } }} · {{ r.checked_at | dt }}</p>
      <table class="checks" data-testid="integrity-result">
        @for (c of r.copies; track c.storage_element_id) {
          <tr [attr.data-testid]="'integrity-' + c.storage_element_name">
            <td><a [routerLink]="['/storage-elements', c.storage_element_id]">{{ c.storage_element_name }}</a></td>
            <td><span [class]="'chip ' + tone(c)" data-testid="integrity-outcome">{{ 'integrity.outcome.' + c.outcome | t: null : c.outcome }}</span>
              @if (c.quarantined) { <span class="chip bad">{{ 'copies.state.quarantined' | t }}</span> }</td>
            <td class="muted" data-testid="integrity-verified">{{ c.last_verified_at ? ('copies.verified' | t: { at: (c.last_verified_at | dt) }) : ('files.notVerified' | t) }}</td>
            @if (c.message) { <td class="muted msg">{{ c.message }}</td> }
          </tr>
        }
      </table>
    }
  `,
  styles: `.head { display: flex; align-items: center; justify-content: space-between; gap: 8px; flex-wrap: wrap; }
           .checks { border-collapse: collapse; width: 100%; } .checks td:first-child { white-space: nowrap; } .checks td { padding: 4px 6px 4px 0; border-bottom: 1px solid #f0f1f3; font-size: 13px; }
           .chip { display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 12px; background: #ececec; margin-right: 4px; }
           .chip.good { background: #e3f4e4; color: #1b5e20; } .chip.bad { background: #fde2e1; color: #8e1b17; } .chip.warn { background: #fff4d6; color: #7a5300; }
           .ok-text { color: #1b5e20; } .msg { overflow-wrap: anywhere; }
           @media (max-width: 599px) { .checks tr { display: grid; grid-template-columns: 1fr auto; } .checks td:nth-child(n+3) { grid-column: 1 / -1; } }`,
})
export class FileIntegrity {
  readonly fileId = input.required<string>();
  /** After a check: the page reloads the file (a quarantine reaches the catalogue by event). */
  readonly checked = output<IntegrityReport>();
  private readonly api = inject(FileActionsApi);
  private readonly i18n = inject(I18nService);
  readonly checking = signal(false);
  readonly error = signal<string | null>(null);
  readonly report = signal<IntegrityReport | null>(null);

  check(): void {
    this.checking.set(true);
    this.error.set(null);
    this.api.verify(this.fileId()).subscribe({
      next: (r) => {
        this.report.set(r);
        this.checking.set(false);
        this.checked.emit(r);
      },
      error: (e) => {
        this.error.set(this.i18n.error(e));
        this.checking.set(false);
      },
    });
  }

  allOk(r: IntegrityReport): boolean {
    return r.copies.length > 0 && r.copies.every((c) => c.outcome === 'ok' && !c.quarantined);
  }

  tone(c: CopyCheck): string {
    if (c.outcome === 'ok') return 'good';
    return ['mismatch', 'missing', 'unreadable'].includes(c.outcome) ? 'bad' : 'warn';
  }
}
