import { Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialog, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { Observable } from 'rxjs';

import { TranslatePipe } from '../core/i18n/pipes';

export interface ConfirmData {
  title: string;
  message: string;
  confirm: string;
  danger?: boolean;
  /** Ask for a reason (e.g. for a mode change); the dialog then returns it. */
  reasonLabel?: string;
  reasonRequired?: boolean;
}

/** A confirmation dialog; resolves to `false` when cancelled, `true` or the reason when confirmed. */
@Component({
  selector: 'app-confirm-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, FormsModule, TranslatePipe],
  template: `
    <h2 mat-dialog-title>{{ data.title }}</h2>
    <mat-dialog-content>
      <p class="message">{{ data.message }}</p>
      @if (data.reasonLabel) {
        <mat-form-field class="full">
          <mat-label>{{ data.reasonLabel }}</mat-label>
          <textarea matInput name="reason" [(ngModel)]="reasonValue" rows="2" maxlength="500" data-testid="confirm-reason"></textarea>
          @if (data.reasonRequired && !reasonValue().trim()) {
            <mat-hint data-testid="confirm-hint">{{ 'confirm.reasonNeeded' | t }}</mat-hint>
          }
        </mat-form-field>
      }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button mat-dialog-close data-testid="confirm-cancel">{{ 'common.cancel' | t }}</button>
      <button mat-flat-button [class.danger]="data.danger" [disabled]="data.reasonRequired && !reasonValue().trim()"
              [attr.title]="data.reasonRequired && !reasonValue().trim() ? ('confirm.reasonNeeded' | t) : null"
              (click)="ok()" data-testid="confirm-ok">{{ data.confirm }}</button>
    </mat-dialog-actions>
  `,
  styles: `.full { width: 100%; } .message { white-space: pre-line; }`,
})
export class ConfirmDialog {
  readonly data = inject<ConfirmData>(MAT_DIALOG_DATA);
  private readonly ref = inject(MatDialogRef<ConfirmDialog, boolean | string>);
  readonly reasonValue = signal('');

  ok(): void {
    this.ref.close(this.data.reasonLabel ? this.reasonValue().trim() : true);
  }
}

export function confirm(dialog: MatDialog, data: ConfirmData): Observable<boolean | string | undefined> {
  return dialog.open<ConfirmDialog, ConfirmData, boolean | string>(ConfirmDialog, { data, width: '460px' }).afterClosed();
}
