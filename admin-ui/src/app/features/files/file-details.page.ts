import { HttpErrorResponse, HttpEventType, HttpResponse } from '@angular/common/http';
import { JsonPipe } from '@angular/common';
import { Component, DestroyRef, OnInit, inject, input, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Router, RouterLink } from '@angular/router';
import { filter, interval, switchMap } from 'rxjs';

import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { confirm } from '../../shared/confirm-dialog';
import { saveBlob, withJsonError } from '../../shared/download';
import { LoadState } from '../../shared/load-state';
import { Notifier } from '../../shared/notify';
import { StatusChip } from '../../shared/status-chip';
import { Saga, SagasApi } from '../sagas/sagas.api';
import { StorageElementsApi } from '../storage-elements/storage-elements.api';
import { FileMeta, FilesApi } from './files.api';
import { FilePreview } from './preview';
import { FileEditDialog } from './file-edit.dialog';
import { AuditEvent } from '../audit/audit.api';
import { ActionPipe } from '../../shared/audit-action';
import { FileRetention } from '../records/file-retention';
import { FileIntegrity } from './file-integrity';
import { ExtendKind, ExtendResult, ExtendRetentionDialog } from './extend-retention.dialog';

const POLL_MS = 3000;
const HISTORY_LIMIT = 100;

@Component({
  selector: 'app-file-details',
  imports: [MatButtonModule, MatProgressBarModule, RouterLink, StatusChip, JsonPipe, LoadState, FilePreview, ActionPipe, FileRetention, FileIntegrity, ...I18N_PIPES],
  template: `
    <a (click)="back($event)" href="/files" class="muted back" data-testid="file-back">← {{ 'files.title' | t }}</a>
    @if (file(); as f) {
      <div class="toolbar-row">
        <h1 class="page-title grow" data-testid="file-name">{{ f.original_filename }}</h1>
        <button mat-flat-button (click)="download(f)" [disabled]="downloading() !== null || f.storage_element_mode === 'ar'" data-testid="file-download">{{ 'files.download' | t }}</button>
        @if (canFinalize(f)) {
          <button mat-stroked-button (click)="finalize(f)" data-testid="file-finalize">{{ 'files.finalize' | t }}</button>
        }
        @if (canEdit(f)) {
          <button mat-stroked-button (click)="edit(f)" data-testid="file-edit">{{ 'common.edit' | t }}</button>
        }
        @if (extendKinds(f).length) {
          <button mat-stroked-button (click)="extend(f)" data-testid="file-extend">{{ 'extend.open' | t }}</button>
        }
        @if (canDelete(f)) {
          <button mat-stroked-button class="warn" (click)="remove(f)" data-testid="file-delete">{{ 'common.delete' | t }}</button>
        }
      </div>
      @if (mayDelete(f) && deleteBlock(f); as why) {
        <p class="muted" data-testid="file-delete-blocked">{{ 'files.deleteBlocked.' + why | t }}</p>
      }
      @if (downloading() !== null) {
        <mat-progress-bar [mode]="downloading()! < 0 ? 'indeterminate' : 'determinate'" [value]="downloading()!" />
      }
      @if (f.storage_element_mode === 'ar') { <p class="muted">{{ 'files.archived' | t }}</p> }
      @if (saga(); as sg) {
        @if (!finalizedAt(f) || sg.state === 'running') {
          <div class="panel banner" data-testid="finalize-banner">
            @if (!finalizedAt(f) && (sg.state === 'running' || sg.state === 'compensating')) { <mat-progress-bar mode="indeterminate" /> }
            <span>{{ (finalizedAt(f) ? 'files.finalizeState.waiting' : 'files.finalizeState.' + sg.state) | t: null : sg.state }}</span>
            <a [routerLink]="['/sagas']" [queryParams]="{ id: sg.id }" data-testid="finalize-saga-link">{{ 'files.openSaga' | t }}</a>
          </div>
        }
      }
      <div class="grid">
        <div class="panel">
          <dl class="kv">
            <dt>{{ 'files.id' | t }}</dt><dd><span class="id" [title]="f.file_id">{{ f.file_id }}</span></dd>
            <dt>{{ 'files.size' | t }}</dt><dd>{{ f.size | bytes }} ({{ f.size | num }} {{ 'files.bytes' | t }})</dd>
            <dt>{{ 'files.contentType' | t }}</dt><dd>{{ f.content_type }}</dd>
            <dt>SHA-256</dt><dd><span class="id" [title]="f.sha256">{{ f.sha256 }}</span></dd>
            <dt>{{ 'common.status' | t }}</dt><dd><app-status [value]="f.status" /></dd>
            <dt>{{ 'files.retention' | t }}</dt><dd>{{ 'retention.' + f.retention_policy | t }}
              @if (f.ttl_days && f.retention_policy === 'temporary') { · {{ 'files.ttl' | t: { days: f.ttl_days } }} }</dd>
            <dt>{{ 'files.expiresAt' | t }}</dt><dd>{{ f.expires_at ? (f.expires_at | dt) : ('files.never' | t) }}</dd>
            <dt>{{ 'files.description' | t }}</dt><dd>{{ f.description || '—' }}</dd>
            <dt>{{ 'files.version' | t }}</dt><dd>{{ f.version || '—' }}</dd>
            <dt>{{ 'files.tags' | t }}</dt><dd>{{ f.tags.length ? f.tags.join(', ') : '—' }}</dd>
            <dt>{{ 'files.uploadedBy' | t }}</dt><dd>{{ f.uploaded_by.name }}</dd>
            <dt>{{ 'common.created' | t }}</dt><dd>{{ f.created_at | dt }}</dd>
            <dt>{{ 'common.updated' | t }}</dt><dd>{{ f.updated_at | dt }}</dd>
          </dl>
        </div>
        <div class="panel">
          <dl class="kv">
            <dt>{{ 'files.storageElement' | t }}</dt><dd><a [routerLink]="['/storage-elements', f.storage_element_id]">@if (seNames()[f.storage_element_id]; as n) {{{ n }}} @else {<span class="id" [title]="f.storage_element_id">{{ f.storage_element_id }}</span>}</a>
              @if (f.storage_element_mode) { <app-status [value]="f.storage_element_mode" prefix="mode" /> }</dd>
            <dt>{{ 'files.compression' | t }}</dt><dd>{{ f.compressed ? (f.compression_algorithm + ' · ' + (f.stored_size | bytes)) : ('common.no' | t) }}</dd>
            <dt>{{ 'files.finalizedAt' | t }}</dt>
            <dd data-testid="file-finalized">
              @if (finalizedAt(f); as at) { {{ at | dt }} }
              @else if (saga() && (saga()!.state === 'running' || saga()!.state === 'compensating')) { {{ 'files.finalizing' | t }} }
              @else if (f.retention_policy === 'permanent') { {{ 'files.permanentFromUpload' | t }} }
              @else { {{ 'files.notFinalized' | t }} }
            </dd>
            <dt>{{ 'files.lastVerified' | t }}</dt><dd>{{ f.last_verified_at ? (f.last_verified_at | dt) : ('files.notVerified' | t) }}</dd>
            @if (f.text_extraction; as tx) {
              <dt>{{ 'textState.label' | t }}</dt>
              <dd data-testid="file-text-state" [attr.data-state]="tx.state">{{ 'textState.' + tx.state | t: null : tx.state }}@if (tx.reason) { <span class="muted">· {{ tx.reason }}</span>}</dd>
            }
          </dl>
          <h4>{{ 'copies.fileTitle' | t }}</h4>
          @if (f.copies?.length) {
            <table class="copies" data-testid="file-copies">
              @for (c of f.copies; track c.storage_element_id) {
                <tr [attr.data-testid]="'copy-' + (seNames()[c.storage_element_id] ?? c.storage_element_id)">
                  <td><a [routerLink]="['/storage-elements', c.storage_element_id]">@if (seNames()[c.storage_element_id]; as n) {{{ n }}} @else {<span class="id" [title]="c.storage_element_id">{{ c.storage_element_id }}</span>}</a></td>
                  <td><span class="chip" [class]="'chip ' + c.state">{{ 'copies.state.' + c.state | t: null : c.state }}</span></td>
                  <td class="muted">{{ c.last_verified_at ? ('copies.verified' | t: { at: (c.last_verified_at | dt) }) : ('files.notVerified' | t) }}</td>
                </tr>
              }
            </table>
          } @else { <p class="muted" data-testid="file-copies-none">{{ 'copies.none' | t }}</p> }
          @if (auth.can('storage:admin') && f.status === 'active') { <app-file-integrity [fileId]="f.file_id" (checked)="afterCheck()" data-testid="file-integrity" /> }
          <h4>{{ 'files.custom' | t }}</h4>
          @if (hasCustom(f)) { <pre class="json">{{ f.custom | json }}</pre> } @else { <p class="muted">—</p> }
        </div>
      </div>
      <div class="panel" data-testid="file-preview"><app-file-preview [file]="f" /></div>
      @if (canRecords()) {
        <div class="panel" data-testid="file-records"><app-file-retention [file]="f" (changed)="canAudit() && loadHistory()" /></div>
      }
      @if (canAudit()) {
        <div class="panel" data-testid="file-history">
          <h3>{{ 'files.history' | t }}</h3>
          <app-load-state [loading]="history() === null && !historyError()" [error]="historyError()" [empty]="!!history() && !history()!.length"
                          emptyText="files.historyEmpty" (retry)="loadHistory()" />
          @for (e of history() ?? []; track e.id) {
            <div class="event" data-testid="file-history-entry"><span class="muted">{{ happenedAt(e) | dt }}</span> <span [title]="e.action">{{ e.action | action }}</span>
              <span class="muted">{{ e.actor ?? '' }}</span>
              @if (sourceOf(e); as source) { <span class="muted">{{ 'files.historyFrom' | t: { source } }}</span> }
              <app-status [value]="e.outcome" /></div>
          }
          @if (history() && historyTotal() > history()!.length) {
            <p class="muted" data-testid="file-history-more">{{ 'files.historyMore' | t: { shown: history()!.length, total: historyTotal() } }}</p>
          }
        </div>
      }
    } @else {
      <app-load-state [loading]="loading()" [error]="error()" [failedText]="notFound() ? 'files.notFoundTitle' : 'files.loadFailed'"
                      (retry)="load()" />
    }
  `,
  styles: `button.warn:not(:disabled) { color: #b3261e; }
           .grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; margin-top: 8px; }
           h3 { margin-top: 0; font-size: 16px; } .event { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 4px 0; border-bottom: 1px solid #f0f1f3; }
           .back { display: inline-block; margin-bottom: 8px; cursor: pointer; }
           .banner { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; } .banner mat-progress-bar { flex-basis: 100%; }
           .json { background: #f6f7f9; padding: 8px; border-radius: 4px; overflow: auto; max-height: 300px; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
           .copies { border-collapse: collapse; width: 100%; } .copies td { padding: 4px 6px 4px 0; border-bottom: 1px solid #f0f1f3; font-size: 13px; }
           .chip { display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 12px; background: #ececec; }
           .chip.active { background: #e3f4e4; color: #1b5e20; } .chip.expected { background: #fff4d6; color: #7a5300; } .chip.deleted { background: #fde2e1; color: #8e1b17; }
           @media (max-width: 599px) { .copies tr { display: grid; grid-template-columns: 1fr auto; } .copies td:last-child { grid-column: 1 / -1; } }
           @media (max-width: 959px) { .grid { grid-template-columns: minmax(0, 1fr); } }`,
})
export class FileDetailsPage implements OnInit {
  readonly id = input.required<string>();
  private readonly api = inject(FilesApi);
  private readonly notify = inject(Notifier);
  private readonly dialog = inject(MatDialog);
  private readonly i18n = inject(I18nService);
  readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  private readonly seApi = inject(StorageElementsApi);
  private readonly sagasApi = inject(SagasApi);
  private readonly destroyRef = inject(DestroyRef);
  readonly file = signal<FileMeta | null>(null);
  readonly loading = signal(true);
  readonly error = signal<string | null>(null);
  readonly notFound = signal(false);
  /** SE id → name, from the registry (ids are shown while it loads or without storage:read). */
  readonly seNames = signal<Record<string, string | undefined>>({});
  readonly canAudit = () => this.auth.can('audit:read');
  readonly canRecords = () => this.auth.can('records:read');
  /** The file's own audit trail, oldest first (uploads, reads, downloads, changes, …). */
  readonly history = signal<AuditEvent[] | null>(null);
  readonly historyError = signal<string | null>(null);
  readonly historyTotal = signal(0);
  /** The latest finalize saga of this file, when there is one. */
  readonly saga = signal<Saga | null>(null);
  /** null when idle, -1 while the size is unknown, else a percentage. */
  readonly downloading = signal<number | null>(null);

  ngOnInit(): void {
    this.load();
    // While a finalization runs, follow it until the catalogue shows the file as finalized.
    interval(POLL_MS)
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe(() => {
        const sg = this.saga();
        const f = this.file();
        if (sg && f && !this.finalizedAt(f) && sg.state !== 'failed' && sg.state !== 'compensated') this.refresh();
      });
  }

  load(): void {
    this.loading.set(true);
    this.error.set(null);
    this.api.get(this.id()).subscribe({
      next: (f) => {
        this.file.set(f);
        this.loading.set(false);
        if (this.canAudit()) this.loadHistory();
        if (this.auth.can('storage:read')) {
          this.seApi.list().subscribe({
            next: (p) => this.seNames.set(Object.fromEntries(p.items.map((se) => [se.id, se.name]))),
            error: () => undefined,
          });
          this.loadSaga();
        }
      },
      error: (e) => {
        this.loading.set(false);
        this.notFound.set(e instanceof HttpErrorResponse && e.status === 404);
        this.error.set(this.i18n.error(e));
      },
    });
  }

  loadHistory(): void {
    this.historyError.set(null);
    this.history.set(null);
    this.api.history(this.id(), HISTORY_LIMIT).subscribe({
      next: (p) => {
        this.history.set(p.items);
        this.historyTotal.set(p.total);
      },
      error: (e) => this.historyError.set(this.i18n.error(e)),
    });
  }

  /** Accesses reported by the ingester and the query module carry their own time. */
  happenedAt(e: AuditEvent): string {
    return typeof e.details['occurred_at'] === 'string' ? e.details['occurred_at'] : e.created_at;
  }

  sourceOf(e: AuditEvent): string | null {
    return typeof e.details['source'] === 'string' ? e.details['source'] : null;
  }

  private refresh(): void {
    this.loadSaga();
    this.api.get(this.id()).subscribe({ next: (f) => this.file.set(f), error: () => undefined });
  }

  private loadSaga(): void {
    this.sagasApi.list({ type: 'finalize', resource_id: this.id(), limit: 1 }).subscribe({
      next: (p) => this.saga.set(p.items[0] ?? null),
      error: () => undefined,
    });
  }

  /** When the file became permanent: the catalogue's date, else the saga's step that marked it
   * (the saga itself runs on for a safety margin before removing the temporary copy). */
  finalizedAt(f: FileMeta): string | null {
    if (f.finalized_at) return f.finalized_at;
    const marked = this.saga()?.steps?.find((st) => st.step === 'mark_source_finalized' && st.phase === 'run' && st.status === 'done');
    return marked?.at ?? null;
  }

  hasCustom(f: FileMeta): boolean {
    return !!f.custom && Object.keys(f.custom).length > 0;
  }

  /** Back to the search the user came from (its state is in the URL), else to the file list. */
  back(e: Event): void {
    e.preventDefault();
    if (history.length > 1 && this.router.lastSuccessfulNavigation()?.previousNavigation) history.back();
    else void this.router.navigate(['/files']);
  }

  /** Changes go to every copy; the admin module checks again (owner or storage:admin, SE modes). */
  private mayChange(f: FileMeta): boolean {
    return f.status === 'active' && (this.auth.can('storage:admin') || f.uploaded_by.id === this.auth.claims()?.sub);
  }

  canEdit(f: FileMeta): boolean {
    return this.auth.can('files:write') && this.mayChange(f) && ['edit', 'rw'].includes(f.storage_element_mode ?? '');
  }

  /** Only files on edit storage elements can be deleted; permanent ones leave by retention. */
  canDelete(f: FileMeta): boolean {
    return this.mayDelete(f) && !this.deleteBlock(f);
  }

  mayDelete(f: FileMeta): boolean {
    return this.auth.can('files:delete') && this.mayChange(f) && f.storage_element_mode === 'edit' && !this.finalizedAt(f);
  }

  /** A legal hold or a retain-until date ahead: every SE refuses the delete, so none is offered. */
  deleteBlock(f: FileMeta): 'held' | 'retained' | null {
    if (f.legal_holds?.length) return 'held';
    if (f.retain_until && new Date(f.retain_until).getTime() > Date.now()) return 'retained';
    return null;
  }

  edit(f: FileMeta): void {
    this.dialog
      .open<FileEditDialog, FileMeta, FileMeta>(FileEditDialog, { data: f, width: '560px', maxWidth: '96vw' })
      .afterClosed()
      .subscribe((changed) => {
        if (!changed) return;
        this.file.set(changed);
        this.notify.ok('fileEdit.saved');
        if (this.canAudit()) this.loadHistory();
      });
  }

  afterCheck(): void {
    setTimeout(() => this.refresh(), POLL_MS);
  }

  /** Extend retention: a temporary file's expiry (files:write, owner or storage:admin, on
   * writable SEs) and the date it is kept until (records:write). */
  extendKinds(f: FileMeta): ExtendKind[] {
    if (f.status !== 'active') return [];
    const kinds: ExtendKind[] = [];
    if (f.retention_policy === 'temporary' && f.expires_at && !this.finalizedAt(f) && this.canEdit(f)) kinds.push('expiry');
    if (this.auth.can('records:write')) kinds.push('retain');
    return kinds;
  }

  extend(f: FileMeta): void {
    this.dialog
      .open<ExtendRetentionDialog, unknown, ExtendResult>(ExtendRetentionDialog, { data: { file: f, kinds: this.extendKinds(f) }, width: '480px', maxWidth: '96vw' })
      .afterClosed()
      .subscribe((done) => {
        if (!done) return;
        // What every copy now holds (the catalogue follows by event).
        this.file.set({ ...f, ...(done.kind === 'expiry' ? { expires_at: done.value } : { retain_until: done.value }) });
        this.notify.ok(done.kind === 'expiry' ? 'extend.doneExpiry' : 'extend.doneRetain', { at: this.i18n.formatDate(done.value, true) });
        if (this.canAudit()) this.loadHistory();
      });
  }

  remove(f: FileMeta): void {
    confirm(this.dialog, {
      title: this.i18n.t('fileDelete.title'),
      message: this.i18n.t('fileDelete.message', { name: f.original_filename }),
      confirm: this.i18n.t('common.delete'),
      danger: true,
    })
      .pipe(filter((ok) => ok === true), switchMap(() => this.api.remove(f.file_id)))
      .subscribe({
        next: () => {
          this.notify.ok('fileDelete.done', { name: f.original_filename });
          void this.router.navigate(['/files']);
        },
        error: (e) => this.notify.error(e),
      });
  }

  canFinalize(f: FileMeta): boolean {
    const running = this.saga() && ['running', 'compensating'].includes(this.saga()!.state);
    return f.retention_policy === 'temporary' && !this.finalizedAt(f) && !running && f.status === 'active' && this.auth.can('files:write');
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
        void withJsonError(e).then((err) => this.notify.error(err));
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
        next: (r) => {
          this.notify.okWithAction('files.finalizeStarted', { saga: r.id.slice(0, 8) }, 'files.openSaga', () =>
            void this.router.navigate(['/sagas'], { queryParams: { id: r.id } }),
          );
          this.loadSaga();
        },
        error: (e) => this.notify.error(e),
      });
  }
}
