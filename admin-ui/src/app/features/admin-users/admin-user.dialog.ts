import { Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { Observable } from 'rxjs';

import { I18nService } from '../../core/i18n/i18n.service';
import { TranslatePipe } from '../../core/i18n/pipes';
import { ADMIN_ROLES, AdminRole, AdminUser, AdminUsersApi } from './admin-users.api';

/** Create a user (data = null) or edit one's role, status and contact fields. */
@Component({
  selector: 'app-admin-user-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, ReactiveFormsModule, TranslatePipe],
  template: `
    <h2 mat-dialog-title>{{ (user ? 'users.edit' : 'users.create') | t }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()">
      <mat-dialog-content class="col">
        <mat-form-field>
          <mat-label>{{ 'users.username' | t }}</mat-label>
          <input matInput formControlName="username" autocomplete="off" />
        </mat-form-field>
        @if (!user) {
          <mat-form-field>
            <mat-label>{{ 'login.password' | t }}</mat-label>
            <input matInput type="password" formControlName="password" autocomplete="new-password" data-testid="user-password" />
          </mat-form-field>
          <p class="policy" data-testid="password-policy">{{ 'users.passwordPolicy' | t }}</p>
        }
        <mat-form-field>
          <mat-label>{{ 'users.role' | t }}</mat-label>
          <mat-select formControlName="role">
            @for (r of roles; track r) { <mat-option [value]="r">{{ 'role.' + r | t }}</mat-option> }
          </mat-select>
        </mat-form-field>
        @if (user) {
          <mat-form-field>
            <mat-label>{{ 'common.status' | t }}</mat-label>
            <mat-select formControlName="status">
              <mat-option value="active">{{ 'status.active' | t }}</mat-option>
              <mat-option value="disabled">{{ 'status.disabled' | t }}</mat-option>
            </mat-select>
          </mat-form-field>
        }
        <mat-form-field>
          <mat-label>{{ 'users.fullName' | t }}</mat-label>
          <input matInput formControlName="full_name" />
        </mat-form-field>
        <mat-form-field>
          <mat-label>Email</mat-label>
          <input matInput formControlName="email" type="email" />
        </mat-form-field>
        @if (error()) { <p class="error-text">{{ error() }}</p> }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>{{ 'common.cancel' | t }}</button>
        <button mat-flat-button type="submit" [disabled]="form.invalid || busy()">{{ (user ? 'common.save' : 'common.create') | t }}</button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `.col { display: flex; flex-direction: column; } .policy { font-size: 12px; color: #4a4f57; margin: 0 0 12px; line-height: 1.4; }`,
})
export class AdminUserDialog {
  readonly user = inject<AdminUser | null>(MAT_DIALOG_DATA);
  private readonly api = inject(AdminUsersApi);
  private readonly ref = inject(MatDialogRef<AdminUserDialog, AdminUser>);
  readonly roles = ADMIN_ROLES;
  private readonly i18n = inject(I18nService);
  readonly busy = signal(false);
  readonly error = signal('');
  readonly form = inject(FormBuilder).nonNullable.group({
    username: [this.user?.username ?? '', [Validators.required, Validators.pattern(/^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$/)]],
    password: ['', this.user ? [] : [Validators.required, Validators.minLength(12)]],
    role: [(this.user?.role as AdminRole) ?? 'readonly', Validators.required],
    status: [(this.user?.status === 'disabled' ? 'disabled' : 'active') as 'active' | 'disabled'],
    full_name: [this.user?.full_name ?? ''],
    email: [this.user?.email ?? '', Validators.email],
  });

  constructor() {
    if (this.user) this.form.controls.username.disable();
  }

  submit(): void {
    const v = this.form.getRawValue();
    this.busy.set(true);
    const call: Observable<AdminUser> = this.user
      ? this.api.update(this.user.id, { role: v.role, status: v.status, full_name: v.full_name || null, email: v.email || null })
      : this.api.create({ username: v.username.trim(), password: v.password, role: v.role, full_name: v.full_name || null, email: v.email || null });
    call.subscribe({
      next: (u) => this.ref.close(u),
      error: (e) => {
        this.busy.set(false);
        this.error.set(this.i18n.error(e));
      },
    });
  }
}
