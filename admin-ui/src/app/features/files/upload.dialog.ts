import { HttpEventType } from '@angular/common/http';
import { Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatRadioModule } from '@angular/material/radio';
import { Subscription } from 'rxjs';

import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { FilesApi, UploadResult } from './files.api';

function jsonObject(control: { value: string }): Record<string, boolean> | null {
  if (!control.value?.trim()) return null;
  try {
    const v = JSON.parse(control.value);
    return v && typeof v === 'object' && !Array.isArray(v) ? null : { jsonObject: true };
  } catch {
    return { jsonObject: true };
  }
}

@Component({
  selector: 'app-upload-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatRadioModule, MatCheckboxModule, MatProgressBarModule, ReactiveFormsModule, ...I18N_PIPES],
  template: `
    <h2 mat-dialog-title>{{ 'files.upload' | t }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()">
      <mat-dialog-content class="col">
        <div class="picker">
          <button mat-stroked-button type="button" (click)="input.click()" [disabled]="busy()">{{ 'files.chooseFile' | t }}</button>
          <input #input type="file" hidden (change)="pick(input.files)" data-testid="upload-input" />
          <span>{{ file()?.name ?? ('files.noFile' | t) }}</span>
          @if (file(); as f) { <span class="muted">{{ f.size | bytes }}</span> }
        </div>
        <mat-radio-group formControlName="retention_policy" class="radios">
          <mat-radio-button value="temporary">{{ 'retention.temporary' | t }}</mat-radio-button>
          <mat-radio-button value="permanent">{{ 'retention.permanent' | t }}</mat-radio-button>
        </mat-radio-group>
        @if (form.controls.retention_policy.value === 'temporary') {
          <mat-form-field>
            <mat-label>{{ 'files.ttlDays' | t }}</mat-label>
            <input matInput type="number" formControlName="ttl_days" min="1" max="365" />
          </mat-form-field>
        }
        <mat-form-field>
          <mat-label>{{ 'files.description' | t }}</mat-label>
          <textarea matInput formControlName="description" rows="2" data-testid="upload-description"></textarea>
        </mat-form-field>
        <div class="two">
          <mat-form-field>
            <mat-label>{{ 'files.tags' | t }}</mat-label>
            <input matInput formControlName="tags" [placeholder]="'files.tagsHint' | t" />
          </mat-form-field>
          <mat-form-field>
            <mat-label>{{ 'files.version' | t }}</mat-label>
            <input matInput formControlName="version" />
          </mat-form-field>
        </div>
        <mat-form-field>
          <mat-label>{{ 'files.metadata' | t }}</mat-label>
          <textarea matInput formControlName="metadata" rows="2" placeholder='{"department": "finance"}'></textarea>
          @if (form.controls.metadata.hasError('jsonObject')) { <mat-error>{{ 'files.metadataInvalid' | t }}</mat-error> }
        </mat-form-field>
        <mat-checkbox formControlName="compress">{{ 'files.compress' | t }}</mat-checkbox>
        @if (progress() !== null) {
          <div class="progress">
            <mat-progress-bar mode="determinate" [value]="progress()" data-testid="upload-progress" />
            <span class="muted">{{ progress() }}%</span>
          </div>
        }
        @if (error()) { <p class="error-text" data-testid="upload-error">{{ error() }}</p> }
        @if (result(); as r) {
          <p class="ok" data-testid="upload-done">{{ 'files.uploaded' | t: { name: r.original_filename } }}</p>
          <p class="mono">{{ r.file_id }} · sha256 {{ r.sha256 }}</p>
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        @if (busy()) {
          <button mat-button type="button" (click)="cancel()">{{ 'common.cancel' | t }}</button>
        } @else {
          <button mat-button type="button" [mat-dialog-close]="result()">{{ 'common.close' | t }}</button>
        }
        <button mat-flat-button type="submit" [disabled]="!file() || form.invalid || busy()" data-testid="upload-submit">{{ 'files.uploadSubmit' | t }}</button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `.col { display: flex; flex-direction: column; min-width: 460px; } .two { display: flex; gap: 12px; } .two > * { flex: 1; }
           .picker { display: flex; align-items: center; gap: 12px; margin-bottom: 12px; } .radios { display: flex; gap: 16px; margin-bottom: 12px; }
           .progress { display: flex; align-items: center; gap: 8px; margin: 8px 0; } .progress mat-progress-bar { flex: 1; }
           .ok { color: #1b5e20; font-weight: 600; }`,
})
export class UploadDialog {
  private readonly api = inject(FilesApi);
  private readonly ref = inject(MatDialogRef<UploadDialog, UploadResult | null>);
  readonly file = signal<File | null>(null);
  readonly progress = signal<number | null>(null);
  private readonly i18n = inject(I18nService);
  readonly busy = signal(false);
  readonly error = signal('');
  readonly result = signal<UploadResult | null>(null);
  private sub: Subscription | null = null;
  readonly form = inject(FormBuilder).nonNullable.group({
    retention_policy: ['temporary' as 'temporary' | 'permanent'],
    ttl_days: [30, [Validators.min(1), Validators.max(365)]],
    description: ['', Validators.maxLength(2000)],
    tags: [''],
    version: ['', Validators.maxLength(64)],
    metadata: ['', jsonObject],
    compress: [false],
  });

  pick(files: FileList | null): void {
    this.file.set(files?.[0] ?? null);
    this.result.set(null);
    this.error.set('');
    this.progress.set(null);
  }

  submit(): void {
    const file = this.file();
    if (!file) return;
    const v = this.form.getRawValue();
    this.busy.set(true);
    this.error.set('');
    this.progress.set(0);
    this.sub = this.api
      .upload({
        file,
        retention_policy: v.retention_policy,
        ttl_days: v.ttl_days,
        description: v.description.trim() || null,
        tags: v.tags.split(',').map((t) => t.trim()).filter(Boolean),
        version: v.version.trim() || null,
        metadata: v.metadata.trim() ? JSON.parse(v.metadata) : null,
        compress: v.compress,
      })
      .subscribe({
        next: (ev) => {
          if (ev.type === HttpEventType.UploadProgress) {
            this.progress.set(ev.total ? Math.round((100 * ev.loaded) / ev.total) : 0);
          } else if (ev.type === HttpEventType.Response) {
            this.progress.set(100);
            this.result.set(ev.body);
            this.busy.set(false);
          }
        },
        error: (e) => {
          this.busy.set(false);
          this.progress.set(null);
          this.error.set(this.i18n.error(e));
        },
      });
  }

  cancel(): void {
    this.sub?.unsubscribe();
    this.busy.set(false);
    this.progress.set(null);
  }
}
