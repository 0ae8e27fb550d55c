import { HttpEventType, HttpResponse } from '@angular/common/http';
import { JsonPipe } from '@angular/common';
import { Component, OnInit, inject, input, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { RouterLink } from '@angular/router';
import { filter, switchMap } from 'rxjs';

import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { confirm } from '../../shared/confirm-dialog';
import { Notifier } from '../../shared/notify';
import { StatusChip } from '../../shared/status-chip';
import { StorageElementsApi } from '../storage-elements/storage-elements.api';
import { saveBlob } from '../../shared/download';
import { FileMeta, FilesApi } from './files.api';

@Component({
  selector: 'app-file-details',
  imports: [MatButtonModule, MatProgressBarModule, RouterLink, StatusChip, JsonPipe, ...I18N_PIPES],
  template: `
    <a routerLink="/files" class="muted">← {{ 'files.title' | t }}</a>
    @if (file(); as f) {
      <div class="toolbar-row">
        <h1 class="page-title grow" data-testid="file-name">{{ f.original_filename }}</h1>
        <button mat-flat-button (click)="download(f)" [disabled]="downloading() !== null || f.storage_element_mode === 'ar'" data-testid="file-download">{{ 'files.download' | t }}</button>
        @if (canFinalize(f)) {
          <button mat-stroked-button (click)="finalize(f)" data-testid="file-finalize">{{ 'files.finalize' | t }}</button>
        }
      </div>
      @if (downloading() !== null) {
        <mat-progress-bar [mode]="downloading()! < 0 ? 'indeterminate' : 'determinate'" [value]="downloading()!" />
      }
      @if (f.storage_element_mode === 'ar') { <p class="muted">{{ 'files.archived' | t }}</p> }
      <div class="grid">
        <div class="panel">
          <dl class="kv">
            <dt>file_id</dt><dd class="mono">{{ f.file_id }}</dd>
            <dt>{{ 'files.size' | t }}</dt><dd>{{ f.size | bytes }} ({{ f.size | num }})</dd>
            <dt>{{ 'files.contentType' | t }}</dt><dd>{{ f.content_type }}</dd>
            <dt>SHA-256</dt><dd class="mono">{{ f.sha256 }}</dd>
            <dt>{{ 'common.status' | t }}</dt><dd><app-status [value]="f.status" /></dd>
            <dt>{{ 'files.retention' | t }}</dt><dd>{{ 'retention.' + f.retention_policy | t }}
              @if (f.ttl_days) { · {{ 'files.ttl' | t: { days: f.ttl_days } }} }</dd>
            <dt>{{ 'files.expiresAt' | t }}</dt><dd>{{ f.expires_at | dt }}</dd>
            <dt>{{ 'files.description' | t }}</dt><dd>{{ f.description ?? '—' }}</dd>
            <dt>{{ 'files.version' | t }}</dt><dd>{{ f.version ?? '—' }}</dd>
            <dt>{{ 'files.tags' | t }}</dt><dd>{{ f.tags.length ? f.tags.join(', ') : '—' }}</dd>
            <dt>{{ 'files.uploadedBy' | t }}</dt><dd>{{ f.uploaded_by.name }} <span class="muted mono">{{ f.uploaded_by.id }}</span></dd>
            <dt>{{ 'common.created' | t }}</dt><dd>{{ f.created_at | dt }}</dd>
            <dt>{{ 'common.updated' | t }}</dt><dd>{{ f.updated_at | dt }}</dd>
          </dl>
        </div>
        <div class="panel">
          <dl class="kv">
            <dt>{{ 'files.storageElement' | t }}</dt><dd><a [routerLink]="['/storage-elements', f.storage_element_id]" [class.mono]="!seName()">{{ seName() ?? f.storage_element_id }}</a>
              @if (f.storage_element_mode) { <app-status [value]="f.storage_element_mode" prefix="mode" /> }</dd>
            <dt>{{ 'files.compression' | t }}</dt><dd>{{ f.compressed ? (f.compression_algorithm + ' · ' + (f.stored_size | bytes)) : ('common.no' | t) }}</dd>
            <dt>{{ 'files.finalizedAt' | t }}</dt><dd>{{ f.finalized_at | dt }}</dd>
            <dt>{{ 'files.lastVerified' | t }}</dt><dd>{{ f.last_verified_at | dt }}</dd>
          </dl>
          <h4>{{ 'files.custom' | t }}</h4>
          <pre class="json">{{ f.custom | json }}</pre>
        </div>
      </div>
    }
  `,
  styles: `.grid { display: grid; grid-template-columns: 3fr 2fr; gap: 16px; margin-top: 8px; }
           .json { background: #f6f7f9; padding: 8px; border-radius: 4px; overflow: auto; max-height: 300px; font-size: 12px; }`,
})
export class FileDetailsPage implements OnInit {
  readonly id = input.required<string>();
  private readonly api = inject(FilesApi);
  private readonly notify = inject(Notifier);
  private readonly dialog = inject(MatDialog);
  private readonly i18n = inject(I18nService);
  private readonly auth = inject(AuthService);
  private readonly seApi = inject(StorageElementsApi);
  readonly file = signal<FileMeta | null>(null);
  readonly seName = signal<string | null>(null);
  /** null when idle, -1 while the size is unknown, else a percentage. */
  readonly downloading = signal<number | null>(null);

  ngOnInit(): void {
    this.api.get(this.id()).subscribe({
      next: (f) => {
        this.file.set(f);
        if (this.auth.can('storage:read')) {
          this.seApi.get(f.storage_element_id).subscribe({ next: (se) => this.seName.set(se.name), error: () => undefined });
        }
      },
      error: (e) => this.notify.error(e),
    });
  }

  canFinalize(f: FileMeta): boolean {
    return f.retention_policy === 'temporary' && !f.finalized_at && f.status === 'active' && this.auth.can('files:write');
  }

  download(f: FileMeta): void {
    this.downloading.set(-1);
    this.api.download(f.file_id).subscribe({
      next: (ev) => {
        if (ev.type === HttpEventType.DownloadProgress && ev.total) {
          this.downloading.set(Math.round((100 * ev.loaded) / ev.total));
        } else if (ev.type === HttpEventType.Response) {
          saveBlob(ev as HttpResponse<Blob>, f.original_filename);
          this.downloading.set(null);
        }
      },
      error: (e) => {
        this.downloading.set(null);
        this.notify.error(e);
      },
    });
  }

  finalize(f: FileMeta): void {
    confirm(this.dialog, {
      title: this.i18n.t('files.finalizeTitle'),
      message: this.i18n.t('files.finalizeMessage', { name: f.original_filename }),
      confirm: this.i18n.t('files.finalize'),
    })
      .pipe(filter((ok) => ok === true), switchMap(() => this.api.finalize(f.file_id)))
      .subscribe({
        next: (r) => this.notify.ok('files.finalizeStarted', { saga: r.id }),
        error: (e) => this.notify.error(e),
      });
  }
}
