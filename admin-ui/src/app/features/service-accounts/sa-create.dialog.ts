import { Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';

import { I18nService } from '../../core/i18n/i18n.service';
import { TranslatePipe } from '../../core/i18n/pipes';
import { SA_ROLES, SaRole, ServiceAccountWithSecret, ServiceAccountsApi } from './service-accounts.api';

@Component({
  selector: 'app-sa-create',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, ReactiveFormsModule, TranslatePipe],
  template: `
    <h2 mat-dialog-title>{{ 'sa.create' | t }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()">
      <mat-dialog-content class="col">
        <mat-form-field>
          <mat-label>{{ 'sa.name' | t }}</mat-label>
          <input matInput formControlName="name" data-testid="sa-name" />
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ 'sa.role' | t }}</mat-label>
          <mat-select formControlName="role" data-testid="sa-role">
            @for (r of roles; track r) { <mat-option [value]="r">{{ 'saRole.' + r | t }}</mat-option> }
          </mat-select>
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ 'sa.description' | t }}</mat-label>
          <input matInput formControlName="description" />
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ 'sa.clientIdOptional' | t }}</mat-label>
          <input matInput formControlName="client_id" />
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ 'sa.rateLimit' | t }}</mat-label>
          <input matInput type="number" formControlName="rate_limit_per_minute" />
        </mat-form-field>
        @if (error()) { <p class="error-text">{{ error() }}</p> }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>{{ 'common.cancel' | t }}</button>
        <button mat-flat-button type="submit" [disabled]="form.invalid || busy()" data-testid="sa-create-submit">{{ 'common.create' | t }}</button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `.col { display: flex; flex-direction: column; }`,
})
export class SaCreateDialog {
  private readonly api = inject(ServiceAccountsApi);
  private readonly ref = inject(MatDialogRef<SaCreateDialog, ServiceAccountWithSecret>);
  readonly roles = SA_ROLES;
  private readonly i18n = inject(I18nService);
  readonly busy = signal(false);
  readonly error = signal('');
  readonly form = inject(FormBuilder).nonNullable.group({
    name: ['', [Validators.required, Validators.maxLength(128)]],
    role: ['USER' as SaRole, Validators.required],
    description: [''],
    client_id: ['', Validators.pattern(/^([A-Za-z0-9][A-Za-z0-9._-]{2,63})?$/)],
    rate_limit_per_minute: [null as number | null, [Validators.min(1), Validators.max(100000)]],
  });

  submit(): void {
    const v = this.form.getRawValue();
    this.busy.set(true);
    this.api
      .create({
        name: v.name.trim(),
        role: v.role,
        description: v.description || null,
        client_id: v.client_id || null,
        rate_limit_per_minute: v.rate_limit_per_minute ? Number(v.rate_limit_per_minute) : null,
      })
      .subscribe({
        next: (acc) => this.ref.close(acc),
        error: (e) => {
          this.busy.set(false);
          this.error.set(this.i18n.error(e));
        },
      });
  }
}
