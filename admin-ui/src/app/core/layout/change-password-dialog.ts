import { Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';

import { AuthService } from '../auth/auth.service';
import { I18nService } from '../i18n/i18n.service';
import { TranslatePipe } from '../i18n/pipes';
import { Notifier } from '../../shared/notify';

@Component({
  selector: 'app-change-password-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, ReactiveFormsModule, TranslatePipe],
  template: `
    <h2 mat-dialog-title>{{ 'auth.changePassword' | t }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()">
      <mat-dialog-content class="col">
        <mat-form-field>
          <mat-label>{{ 'auth.currentPassword' | t }}</mat-label>
          <input matInput type="password" formControlName="current" autocomplete="current-password" />
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ 'auth.newPassword' | t }}</mat-label>
          <input matInput type="password" formControlName="next" autocomplete="new-password" />
        </mat-form-field>
        @if (error()) { <p class="error">{{ error() }}</p> }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>{{ 'common.cancel' | t }}</button>
        <button mat-flat-button type="submit" [disabled]="form.invalid || busy()">{{ 'common.save' | t }}</button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `.col { display: flex; flex-direction: column; } .error { color: #b3261e; }`,
})
export class ChangePasswordDialog {
  private readonly auth = inject(AuthService);
  private readonly ref = inject(MatDialogRef<ChangePasswordDialog>);
  private readonly notify = inject(Notifier);
  private readonly i18n = inject(I18nService);
  readonly busy = signal(false);
  readonly error = signal('');
  readonly form = inject(FormBuilder).nonNullable.group({
    current: ['', Validators.required],
    next: ['', [Validators.required, Validators.minLength(8)]],
  });

  submit(): void {
    const v = this.form.getRawValue();
    this.busy.set(true);
    this.auth.changePassword(v.current, v.next).subscribe({
      next: () => {
        this.notify.ok('auth.passwordChanged');
        this.ref.close(true);
      },
      error: (e) => {
        this.busy.set(false);
        this.error.set(this.i18n.error(e));
      },
    });
  }
}
