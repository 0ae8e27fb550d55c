import { HttpEventType } from '@angular/common/http';
import { Component, OnDestroy, computed, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatRadioModule } from '@angular/material/radio';
import { RouterLink } from '@angular/router';
import { Subscription } from 'rxjs';

import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { FilesApi, UploadResult } from './files.api';
import { filesFromDrop } from './drop';

function jsonObject(control: { value: string }): Record<string, boolean> | null {
  if (!control.value?.trim()) return null;
  try {
    const v = JSON.parse(control.value);
    return v && typeof v === 'object' && !Array.isArray(v) ? null : { jsonObject: true };
  } catch {
    return { jsonObject: true };
  }
}

export interface QueueItem {
  file: File;
  /** Folder path for files dropped inside a folder ("scans/2026/"), else "". */
  dir: string;
  state: 'queued' | 'uploading' | 'done' | 'failed';
  loaded: number;
  error?: string;
  result?: UploadResult;
}

/** Upload queue: many files (or folders) picked or dropped, sent one after another with the same
 * options; per-file and total progress, speed and time left, retry of failed ones, and a link
 * to each stored file. */
@Component({
  selector: 'app-upload-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatRadioModule, MatCheckboxModule, MatProgressBarModule,
    ReactiveFormsModule, RouterLink, ...I18N_PIPES],
  template: `
    <h2 mat-dialog-title>{{ 'files.upload' | t }}</h2>
    <form [formGroup]="form" (ngSubmit)="start()">
      <mat-dialog-content class="col">
        <div class="drop" [class.over]="dragOver()" (dragover)="onDragOver($event)" (dragleave)="dragOver.set(false)" (drop)="onDrop($event)"
             data-testid="upload-drop">
          <div>{{ 'files.dropHere' | t }}</div>
          <div class="pick">
            <button mat-stroked-button type="button" (click)="input.click()">{{ 'files.chooseFiles' | t }}</button>
            <button mat-stroked-button type="button" (click)="folder.click()">{{ 'files.chooseFolder' | t }}</button>
          </div>
          <input #input type="file" multiple hidden (change)="add(input.files); input.value = ''" data-testid="upload-input" />
          <input #folder type="file" webkitdirectory multiple hidden (change)="add(folder.files); folder.value = ''" data-testid="upload-folder" />
        </div>
        @if (queue().length) {
          <div class="summary" data-testid="upload-summary">
            <span>{{ 'files.queueSummary' | t: { done: doneCount(), n: queue().length, size: (totalBytes() | bytes) } }}</span>
            @if (busy() && speed()) { <span class="muted">{{ speed() | bytes }}/s · {{ 'files.eta' | t: { t: eta() } }}</span> }
          </div>
          <div class="progress">
            <mat-progress-bar mode="determinate" [value]="totalPercent()" data-testid="upload-progress" />
            <span class="muted">{{ totalPercent() }}%</span>
          </div>
          <ul class="queue" data-testid="upload-queue">
            @for (it of queue(); track $index) {
              <li [attr.data-testid]="it.state === 'done' ? 'upload-done' : 'upload-item'" [class]="it.state">
                <div class="line">
                  @if (it.result; as r) {
                    <a [routerLink]="['/files', r.file_id]" mat-dialog-close class="fname" data-testid="upload-link">{{ it.dir }}{{ it.file.name }}</a>
                  } @else { <span class="fname">{{ it.dir }}{{ it.file.name }}</span> }
                  <span class="muted size">{{ it.file.size | bytes }}</span>
                  <span class="st">{{ 'files.q.' + it.state | t }}</span>
                  @if (it.state === 'queued' && !busy()) {
                    <button mat-button type="button" (click)="remove($index)" class="x" [attr.aria-label]="'common.delete' | t">✕</button>
                  }
                  @if (it.state === 'failed' && !busy()) {
                    <button mat-button type="button" (click)="retry(it)" data-testid="upload-retry">{{ 'state.retry' | t }}</button>
                  }
                </div>
                @if (it.state === 'uploading') { <mat-progress-bar mode="determinate" [value]="pct(it)" /> }
                @if (it.error) { <div class="error-text" data-testid="upload-error">{{ it.error }}</div> }
              </li>
            }
          </ul>
        }
        <mat-radio-group formControlName="retention_policy" class="radios">
          <mat-radio-button value="temporary">{{ 'retention.temporary' | t }}</mat-radio-button>
          <mat-radio-button value="permanent">{{ 'retention.permanent' | t }}</mat-radio-button>
        </mat-radio-group>
        @if (form.controls.retention_policy.value === 'temporary') {
          <mat-form-field>
            <mat-label>{{ 'files.ttlDays' | t }}</mat-label>
            <input matInput type="number" formControlName="ttl_days" min="1" max="365" data-testid="upload-ttl" />
            @if (form.controls.ttl_days.invalid) { <mat-error data-testid="upload-ttl-error">{{ 'files.ttlInvalid' | t }}</mat-error> }
          </mat-form-field>
        }
        <mat-form-field>
          <mat-label>{{ 'files.description' | t }}</mat-label>
          <textarea matInput formControlName="description" rows="2" data-testid="upload-description"></textarea>
        </mat-form-field>
        <div class="two">
          <mat-form-field>
            <mat-label>{{ 'files.tags' | t }}</mat-label>
            <input matInput formControlName="tags" [placeholder]="'files.tagsHint' | t" data-testid="upload-tags" />
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
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        @if (!pending() && !busy() && queue().length) { <span class="hint grow">{{ 'files.queueDone' | t }}</span> }
        @if (busy()) {
          <button mat-button type="button" (click)="cancel()">{{ 'common.cancel' | t }}</button>
        } @else {
          <button mat-button type="button" [mat-dialog-close]="doneCount() > 0" data-testid="upload-close">{{ 'common.close' | t }}</button>
        }
        <button mat-flat-button type="submit" [disabled]="!pending() || form.invalid || busy()" data-testid="upload-submit">
          {{ 'files.uploadN' | t: { n: pending() } }}</button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `.col { display: flex; flex-direction: column; } .col > * { flex-shrink: 0; } .two { display: flex; gap: 12px; } .two > * { flex: 1; min-width: 0; }
           .drop { border: 2px dashed #b8c2d0; border-radius: 8px; padding: 16px; text-align: center; margin-bottom: 12px; display: flex; flex-direction: column; gap: 8px; align-items: center; }
           .drop.over { background: #e8f0fd; border-color: #1f3a5f; }
           .pick { display: flex; gap: 8px; flex-wrap: wrap; justify-content: center; }
           .radios { display: flex; gap: 16px; margin: 12px 0; }
           .summary { display: flex; justify-content: space-between; gap: 8px; flex-wrap: wrap; }
           .progress { display: flex; align-items: center; gap: 8px; margin: 4px 0 8px; } .progress mat-progress-bar { flex: 1; }
           .queue { list-style: none; margin: 0 0 8px; padding: 0; max-height: 220px; overflow: auto; border: 1px solid #e3e5e8; border-radius: 6px; }
           .queue li { padding: 6px 8px; border-bottom: 1px solid #eef0f3; }
           .line { display: flex; align-items: center; gap: 8px; min-height: 28px; }
           .fname { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
           a.fname { font-weight: 600; color: #1f3a5f; }
           .size { white-space: nowrap; } .st { font-size: 12px; white-space: nowrap; }
           li.done .st { color: #1b5e20; } li.failed .st { color: #b3261e; }
           .x { min-width: 32px; padding: 0; } .grow { flex: 1; }
           @media (max-width: 599px) { .two { flex-direction: column; gap: 0; } .size { display: none; } }`,
})
export class UploadDialog implements OnDestroy {
  private readonly api = inject(FilesApi);
  private readonly i18n = inject(I18nService);
  readonly ref = inject(MatDialogRef<UploadDialog, boolean>);
  readonly queue = signal<QueueItem[]>([]);
  readonly busy = signal(false);
  readonly dragOver = signal(false);
  private readonly started = signal(0);
  private readonly sentThisRun = signal(0);
  private readonly now = signal(0);
  private sub: Subscription | null = null;

  readonly pending = computed(() => this.queue().filter((i) => i.state === 'queued').length);
  readonly doneCount = computed(() => this.queue().filter((i) => i.state === 'done').length);
  readonly totalBytes = computed(() => this.queue().reduce((n, i) => n + i.file.size, 0));
  readonly loadedBytes = computed(() => this.queue().reduce((n, i) => n + (i.state === 'done' ? i.file.size : i.loaded), 0));
  readonly totalPercent = computed(() => (this.totalBytes() ? Math.round((100 * this.loadedBytes()) / this.totalBytes()) : 0));
  /** Bytes per second over this run. */
  readonly speed = computed(() => {
    const secs = (this.now() - this.started()) / 1000;
    return secs > 0.5 ? this.sentThisRun() / secs : 0;
  });
  readonly eta = computed(() => {
    const left = this.queue().reduce((n, i) => n + (i.state === 'queued' || i.state === 'uploading' ? i.file.size - i.loaded : 0), 0);
    const s = this.speed() ? Math.ceil(left / this.speed()) : 0;
    return s >= 60 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` : `${s} s`;
  });

  readonly form = inject(FormBuilder).nonNullable.group({
    retention_policy: ['temporary' as 'temporary' | 'permanent'],
    ttl_days: [30, [Validators.required, Validators.min(1), Validators.max(365)]],
    description: ['', Validators.maxLength(2000)],
    tags: [''],
    version: ['', Validators.maxLength(64)],
    metadata: ['', jsonObject],
    compress: [false],
  });

  constructor() {
    // Show the TTL message as soon as the value is out of range, not only after blur.
    this.form.controls.ttl_days.valueChanges.subscribe(() => this.form.controls.ttl_days.markAsTouched());
    this.form.controls.retention_policy.valueChanges.subscribe((v) => {
      const ttl = this.form.controls.ttl_days;
      if (v === 'permanent') ttl.disable();
      else ttl.enable();
    });
  }

  pct(it: QueueItem): number {
    return it.file.size ? Math.round((100 * it.loaded) / it.file.size) : 100;
  }

  add(files: FileList | File[] | null, dirs?: string[]): void {
    const list = [...(files ?? [])];
    if (!list.length) return;
    const items = list.map((file, i) => ({
      file,
      dir: dirs?.[i] ?? ((file as File & { webkitRelativePath?: string }).webkitRelativePath?.replace(/[^/]*$/, '') || ''),
      state: 'queued' as const,
      loaded: 0,
    }));
    this.queue.update((q) => [...q, ...items]);
  }

  onDragOver(e: DragEvent): void {
    e.preventDefault();
    this.dragOver.set(true);
  }

  async onDrop(e: DragEvent): Promise<void> {
    e.preventDefault();
    this.dragOver.set(false);
    if (!e.dataTransfer) return;
    const found = await filesFromDrop(e.dataTransfer);
    this.add(found.map((f) => f.file), found.map((f) => f.dir));
  }

  remove(index: number): void {
    this.queue.update((q) => q.filter((_, i) => i !== index));
  }

  retry(it: QueueItem): void {
    this.patch(it, { state: 'queued', loaded: 0, error: undefined });
    this.start();
  }

  start(): void {
    if (this.busy() || this.form.invalid) return;
    this.busy.set(true);
    this.started.set(Date.now());
    this.now.set(Date.now());
    this.sentThisRun.set(0);
    this.next();
  }

  private next(): void {
    const it = this.queue().find((i) => i.state === 'queued');
    if (!it) {
      this.busy.set(false);
      return;
    }
    const v = this.form.getRawValue();
    this.patch(it, { state: 'uploading', loaded: 0 });
    let sentBefore = this.sentThisRun();
    this.sub = this.api
      .upload({
        file: it.file,
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
            // Progress counts the multipart body, a little more than the file: clamp to the file.
            const loaded = Math.min(it.file.size, ev.loaded);
            this.patch(it, { loaded });
            this.sentThisRun.set(sentBefore + loaded);
            this.now.set(Date.now());
          } else if (ev.type === HttpEventType.Response) {
            this.patch(it, { state: 'done', loaded: it.file.size, result: ev.body ?? undefined });
            sentBefore += it.file.size;
            this.next();
          }
        },
        error: (e) => {
          this.patch(it, { state: 'failed', loaded: 0, error: this.i18n.error(e) });
          this.next();
        },
      });
  }

  private patch(it: QueueItem, change: Partial<QueueItem>): void {
    Object.assign(it, change);
    this.queue.update((q) => [...q]);
  }

  cancel(): void {
    this.sub?.unsubscribe();
    const cur = this.queue().find((i) => i.state === 'uploading');
    if (cur) this.patch(cur, { state: 'queued', loaded: 0 });
    this.busy.set(false);
  }

  ngOnDestroy(): void {
    this.sub?.unsubscribe();
  }
}
