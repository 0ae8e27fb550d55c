import { Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatStepperModule } from '@angular/material/stepper';

import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { Notifier } from '../../shared/notify';
import { StatusChip } from '../../shared/status-chip';
import { DiscoveredInfo, StorageElementsApi } from './storage-elements.api';

/** Discover-and-register: preview the SE from its own /info, then register it. */
@Component({
  selector: 'app-se-wizard',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatProgressBarModule, MatStepperModule, ReactiveFormsModule, StatusChip, ...I18N_PIPES],
  template: `
    <h2 mat-dialog-title>{{ 'se.wizardTitle' | t }}</h2>
    <mat-dialog-content>
      <mat-stepper linear #stepper>
        <!-- text glyphs instead of Material Icons ligatures: no web fonts are loaded -->
        <ng-template matStepperIcon="edit">✓</ng-template>
        <ng-template matStepperIcon="done">✓</ng-template>
        <mat-step [completed]="!!info()" [label]="'se.stepDiscover' | t">
          <form [formGroup]="urlForm" (ngSubmit)="discover(stepper)" class="col">
            <p class="muted">{{ 'se.discoverHint' | t }}</p>
            <mat-form-field>
              <mat-label>{{ 'se.apiUrl' | t }}</mat-label>
              <input matInput formControlName="api_url" placeholder="http://127.0.0.1:8010" data-testid="se-api-url" />
            </mat-form-field>
            @if (error()) { <p class="error-text">{{ error() }}</p> }
            <div><button mat-flat-button type="submit" [disabled]="urlForm.invalid || busy()" data-testid="se-discover">{{ 'se.discover' | t }}</button></div>
          </form>
        </mat-step>
        <mat-step [label]="'se.stepRegister' | t">
          @if (info(); as i) {
            @if (i.already_registered) { <p class="error-text" data-testid="se-already">{{ 'se.alreadyRegistered' | t }}</p> }
            <dl class="kv preview" data-testid="se-preview">
              <dt>ID</dt><dd class="mono">{{ i.id }}</dd>
              <dt>{{ 'se.name' | t }}</dt><dd>{{ i.name }}</dd>
              <dt>{{ 'se.mode' | t }}</dt><dd><app-status [value]="i.mode" prefix="mode" /></dd>
              <dt>{{ 'se.backend' | t }}</dt><dd>{{ i.backend }}</dd>
              <dt>{{ 'se.capacity' | t }}</dt><dd>{{ i.used_bytes | bytes }} / {{ i.capacity_bytes | bytes }} · {{ 'se.files' | t: { n: i.file_count } }}</dd>
              <dt>{{ 'se.version' | t }}</dt><dd>{{ i.version }}</dd>
            </dl>
            <form [formGroup]="regForm" (ngSubmit)="register()" class="col">
              <mat-form-field>
                <mat-label>{{ 'se.name' | t }}</mat-label>
                <input matInput formControlName="name" />
              </mat-form-field>
              <mat-form-field>
                <mat-label>{{ 'se.description' | t }}</mat-label>
                <input matInput formControlName="description" />
              </mat-form-field>
              <div class="two">
                <mat-form-field>
                  <mat-label>{{ 'se.priority' | t }}</mat-label>
                  <input matInput type="number" formControlName="priority" />
                </mat-form-field>
                <mat-form-field>
                  <mat-label>{{ 'se.retentionDays' | t }}</mat-label>
                  <input matInput type="number" formControlName="retention_days" />
                </mat-form-field>
              </div>
              @if (error()) { <p class="error-text">{{ error() }}</p> }
              <div class="btns">
                <button mat-button type="button" (click)="stepper.previous()">{{ 'common.back' | t }}</button>
                <button mat-flat-button type="submit" [disabled]="regForm.invalid || busy() || i.already_registered" data-testid="se-register">{{ 'se.register' | t }}</button>
              </div>
            </form>
          }
        </mat-step>
      </mat-stepper>
      @if (busy()) { <mat-progress-bar mode="indeterminate" /> }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button mat-dialog-close>{{ 'common.close' | t }}</button>
    </mat-dialog-actions>
  `,
  styles: `.col { display: flex; flex-direction: column; } .two { display: flex; gap: 12px; } .two > * { flex: 1; }
           .preview { margin: 8px 0 16px; } .btns { display: flex; gap: 8px; justify-content: flex-end; }`,
})
export class SeWizardDialog {
  private readonly api = inject(StorageElementsApi);
  private readonly ref = inject(MatDialogRef<SeWizardDialog>);
  private readonly notify = inject(Notifier);
  private readonly fb = inject(FormBuilder).nonNullable;
  readonly info = signal<DiscoveredInfo | null>(null);
  private readonly i18n = inject(I18nService);
  readonly busy = signal(false);
  readonly error = signal('');
  readonly urlForm = this.fb.group({ api_url: ['', [Validators.required, Validators.pattern(/^https?:\/\/.+/)]] });
  readonly regForm = this.fb.group({
    name: ['', [Validators.required, Validators.maxLength(128)]],
    description: [''],
    priority: [100, [Validators.required, Validators.min(0)]],
    retention_days: [null as number | null, [Validators.min(1)]],
  });

  discover(stepper: { next(): void }): void {
    this.busy.set(true);
    this.error.set('');
    this.api.discover(this.urlForm.getRawValue().api_url.trim()).subscribe({
      next: (i) => {
        this.busy.set(false);
        this.info.set(i);
        this.regForm.patchValue({ name: i.name, priority: i.priority, retention_days: i.retention_days ?? null });
        setTimeout(() => stepper.next());
      },
      error: (e) => {
        this.busy.set(false);
        this.error.set(this.i18n.error(e));
      },
    });
  }

  register(): void {
    const v = this.regForm.getRawValue();
    this.busy.set(true);
    this.error.set('');
    this.api
      .register({
        api_url: this.urlForm.getRawValue().api_url.trim(),
        name: v.name,
        description: v.description || null,
        priority: Number(v.priority),
        retention_days: v.retention_days ? Number(v.retention_days) : null,
      })
      .subscribe({
        next: (se) => {
          this.notify.ok('se.registered', { name: se.name });
          this.ref.close(true);
        },
        error: (e) => {
          this.busy.set(false);
          this.error.set(this.i18n.error(e));
        },
      });
  }
}
