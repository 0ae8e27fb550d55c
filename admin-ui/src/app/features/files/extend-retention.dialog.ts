import { Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Observable } from 'rxjs';
import { MatButtonModule } from '@angular/material/button';
import { MatDatepickerModule } from '@angular/material/datepicker';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatRadioModule } from '@angular/material/radio';

import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { FileActionsApi, dayAfter, onDay } from './file-actions.api';
import { FileMeta } from './files.api';

export type ExtendKind = 'expiry' | 'retain';

export interface ExtendData {
  file: FileMeta & { retain_until?: string | null };
  /** What this user may extend: a temporary file's expiry, and/or its retain_until. */
  kinds: ExtendKind[];
}

export interface ExtendResult {
  kind: ExtendKind;
  value: string;
}

const TTL_DAYS_MAX = 365;

/** Move a date later: a temporary file's expiry (at most 365 days after its creation) or the
 * date it must be kept until. Both only ever later; the services refuse anything else. */
@Component({
  selector: 'app-extend-retention-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatDatepickerModule, MatRadioModule, FormsModule, ...I18N_PIPES],
  template: `
    <h2 mat-dialog-title>{{ 'extend.title' | t }}</h2>
    <mat-dialog-content>
      @if (data.kinds.length > 1) {
        <mat-radio-group [ngModel]="kind()" (ngModelChange)="choose($event)" class="kinds" data-testid="extend-kind">
          <mat-radio-button value="expiry" data-testid="extend-kind-expiry">{{ 'extend.expiry' | t }}</mat-radio-button>
          <mat-radio-button value="retain" data-testid="extend-kind-retain">{{ 'extend.retain' | t }}</mat-radio-button>
        </mat-radio-group>
      }
      <p class="muted" data-testid="extend-current">{{ (kind() === 'expiry' ? 'extend.currentExpiry' : 'extend.currentRetain') | t: { at: current() ? (current() | dt) : ('extend.none' | t) } }}</p>
      <mat-form-field class="full">
        <mat-label>{{ 'extend.newDate' | t }}</mat-label>
        <input matInput [matDatepicker]="picker" [min]="min()" [max]="max()" [(ngModel)]="day" name="day" required data-testid="extend-date" />
        <mat-datepicker-toggle matIconSuffix [for]="picker"><span matDatepickerToggleIcon>▦</span></mat-datepicker-toggle>
        <mat-datepicker #picker />
        <mat-hint>{{ (kind() === 'expiry' ? 'extend.expiryHint' : 'extend.retainHint') | t: { max: max() ? (max()! | dt: false) : '' } }}</mat-hint>
      </mat-form-field>
      @if (error()) { <p class="error-text" role="alert" data-testid="extend-error">{{ error() }}</p> }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button mat-dialog-close data-testid="extend-cancel">{{ 'common.cancel' | t }}</button>
      <button mat-flat-button (click)="save()" [disabled]="saving() || !day" data-testid="extend-save">{{ 'extend.save' | t }}</button>
    </mat-dialog-actions>
  `,
  styles: `.full { width: 100%; } .kinds { display: flex; flex-direction: column; gap: 4px; margin-bottom: 8px; }`,
})
export class ExtendRetentionDialog {
  readonly data = inject<ExtendData>(MAT_DIALOG_DATA);
  private readonly ref = inject(MatDialogRef<ExtendRetentionDialog, ExtendResult>);
  private readonly api = inject(FileActionsApi);
  private readonly i18n = inject(I18nService);
  readonly kind = signal<ExtendKind>(this.data.kinds[0]);
  readonly current = computed(() => (this.kind() === 'expiry' ? this.data.file.expires_at : this.data.file.retain_until ?? null));
  readonly min = computed(() => dayAfter(this.current()));
  readonly max = computed(() => {
    if (this.kind() !== 'expiry') return null;
    const created = new Date(this.data.file.created_at);
    return new Date(created.getFullYear(), created.getMonth(), created.getDate() + TTL_DAYS_MAX - 1);
  });
  day: Date | null = null;
  readonly saving = signal(false);
  readonly error = signal<string | null>(null);

  choose(kind: ExtendKind): void {
    this.kind.set(kind);
    this.day = null;
    this.error.set(null);
  }

  save(): void {
    if (!this.day) return;
    const value = onDay(this.day, this.current());
    const id = this.data.file.file_id;
    const call: Observable<unknown> = this.kind() === 'expiry' ? this.api.extendExpiry(id, value) : this.api.retainUntil(id, value);
    this.saving.set(true);
    this.error.set(null);
    call.subscribe({
      next: () => this.ref.close({ kind: this.kind(), value }),
      error: (e) => {
        this.saving.set(false);
        this.error.set(this.i18n.error(e));
      },
    });
  }
}
