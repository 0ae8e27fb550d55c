import { Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { ActivatedRoute, Router } from '@angular/router';

import { AuthService } from '../../core/auth/auth.service';
import { I18nService, LANGS, Lang } from '../../core/i18n/i18n.service';
import { TranslatePipe } from '../../core/i18n/pipes';

@Component({
  selector: 'app-login',
  imports: [ReactiveFormsModule, MatCardModule, MatFormFieldModule, MatInputModule, MatButtonModule, MatButtonToggleModule, TranslatePipe],
  template: `
    <div class="wrap">
      <mat-card class="card">
        <mat-card-header>
          <mat-card-title>ArtStore</mat-card-title>
          <mat-card-subtitle>{{ 'login.title' | t }}</mat-card-subtitle>
        </mat-card-header>
        <form [formGroup]="form" (ngSubmit)="submit()">
          <mat-card-content class="col">
            <mat-form-field>
              <mat-label>{{ 'login.username' | t }}</mat-label>
              <input matInput formControlName="username" autocomplete="username" name="username" data-testid="login-username" />
            </mat-form-field>
            <mat-form-field>
              <mat-label>{{ 'login.password' | t }}</mat-label>
              <input matInput type="password" formControlName="password" autocomplete="current-password" name="password" data-testid="login-password" />
            </mat-form-field>
            @if (error()) {
              <p class="error" role="alert" data-testid="login-error">{{ error() }}</p>
            }
          </mat-card-content>
          <mat-card-actions class="actions">
            <mat-button-toggle-group [value]="i18n.lang()" (change)="setLang($event.value)" hideSingleSelectionIndicator>
              @for (l of langs; track l) {
                <mat-button-toggle [value]="l">{{ l.toUpperCase() }}</mat-button-toggle>
              }
            </mat-button-toggle-group>
            <button mat-flat-button type="submit" [disabled]="form.invalid || busy()" data-testid="login-submit">{{ 'login.submit' | t }}</button>
          </mat-card-actions>
        </form>
      </mat-card>
    </div>
  `,
  styles: `
    .wrap { min-height: 100vh; display: flex; align-items: center; justify-content: center; background: #1f3a5f; }
    .card { width: 380px; padding: 8px; }
    .col { display: flex; flex-direction: column; margin-top: 16px; }
    .actions { display: flex; justify-content: space-between; padding: 0 16px 16px; }
    .error { color: #b3261e; margin: 0 0 8px; }
  `,
})
export class LoginPage {
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  readonly i18n = inject(I18nService);
  readonly langs = LANGS;
  readonly busy = signal(false);
  readonly error = signal('');
  readonly form = inject(FormBuilder).nonNullable.group({
    username: ['', Validators.required],
    password: ['', Validators.required],
  });

  setLang(l: Lang): void {
    this.i18n.setLang(l);
  }

  submit(): void {
    if (this.form.invalid) return;
    const { username, password } = this.form.getRawValue();
    this.busy.set(true);
    this.error.set('');
    this.auth.login(username, password).subscribe({
      next: () => {
        const returnUrl = this.route.snapshot.queryParamMap.get('returnUrl');
        void this.router.navigateByUrl(returnUrl && returnUrl.startsWith('/') ? returnUrl : '/dashboard');
      },
      error: (e) => {
        this.busy.set(false);
        this.error.set(this.i18n.error(e));
      },
    });
  }
}
