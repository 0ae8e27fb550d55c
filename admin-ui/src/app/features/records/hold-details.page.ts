import { Component, OnInit, inject, input, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { RouterLink } from '@angular/router';
import { filter, switchMap } from 'rxjs';

import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { confirm } from '../../shared/confirm-dialog';
import { LoadState } from '../../shared/load-state';
import { Notifier } from '../../shared/notify';
import { StatusChip } from '../../shared/status-chip';
import { FilesApi } from '../files/files.api';
import { HoldFile, LegalHold, Placement, RecordsApi } from './records.api';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** One hold: what it is, the files it covers, placing it (ids or a tag) and releasing it. */
@Component({
  selector: 'app-hold-details',
  imports: [FormsModule, RouterLink, MatButtonModule, MatButtonToggleModule, MatFormFieldModule, MatInputModule, MatPaginatorModule,
    MatProgressBarModule, LoadState, StatusChip, ...I18N_PIPES],
  template: `
    <a routerLink="/legal-holds" class="muted back" data-testid="hold-back">← {{ 'holds.title' | t }}</a>
    @if (hold(); as h) {
      <div class="toolbar-row">
        <h1 class="page-title grow" data-testid="hold-title">{{ h.name }}</h1>
        <app-status [value]="h.status" prefix="holds.status" />
        @if (canWrite() && h.status === 'active') {
          <button mat-stroked-button class="warn" (click)="release(h)" data-testid="hold-release">{{ 'holds.release' | t }}</button>
        }
      </div>
      <div class="panel">
        <dl class="kv" data-testid="hold-facts">
          <dt>{{ 'holds.reason' | t }}</dt><dd>{{ h.reason }}</dd>
          <dt>{{ 'holds.owner' | t }}</dt><dd>{{ h.owner }}</dd>
          <dt>{{ 'common.created' | t }}</dt><dd>{{ h.created_at | dt }} · {{ h.created_by ?? '' }}</dd>
          <dt>{{ 'holds.files' | t }}</dt><dd data-testid="hold-count">{{ h.file_count | num }}</dd>
          @if (h.released_at) {
            <dt>{{ 'holds.released' | t }}</dt><dd data-testid="hold-released">{{ h.released_at | dt }} · {{ h.released_by ?? '' }} — {{ h.release_reason }}</dd>
          }
        </dl>
      </div>
      @if (canWrite() && h.status === 'active') {
        <div class="panel" data-testid="hold-place">
          <h3>{{ 'holds.place' | t }}</h3>
          <mat-button-toggle-group [(ngModel)]="by" hideSingleSelectionIndicator data-testid="hold-place-by">
            <mat-button-toggle value="ids" data-testid="hold-by-ids">{{ 'holds.byIds' | t }}</mat-button-toggle>
            <mat-button-toggle value="tag" data-testid="hold-by-tag">{{ 'holds.byTag' | t }}</mat-button-toggle>
          </mat-button-toggle-group>
          @if (by === 'ids') {
            <mat-form-field class="full" subscriptSizing="dynamic">
              <mat-label>{{ 'holds.fileIds' | t }}</mat-label>
              <textarea matInput rows="3" [(ngModel)]="idsText" data-testid="hold-ids"></textarea>
              <mat-hint>{{ 'holds.fileIdsHint' | t: { n: ids().length } }}</mat-hint>
            </mat-form-field>
          } @else {
            <mat-form-field class="full" subscriptSizing="dynamic">
              <mat-label>{{ 'holds.tag' | t }}</mat-label>
              <input matInput [(ngModel)]="tag" data-testid="hold-tag" />
              <mat-hint>{{ 'holds.tagHint' | t }}</mat-hint>
            </mat-form-field>
          }
          <div class="actions">
            <button mat-flat-button (click)="place(h)" [disabled]="placing() || (by === 'ids' ? !ids().length : !tag.trim())"
                    data-testid="hold-place-submit">{{ 'holds.placeSubmit' | t }}</button>
          </div>
          @if (placing()) { <mat-progress-bar mode="indeterminate" /> }
          @if (placeError()) { <p class="error-text" data-testid="hold-place-error">{{ placeError() }}</p> }
          @if (result(); as r) {
            <div class="result" data-testid="hold-place-result">
              <div>{{ 'holds.placed' | t: { n: r.placed.length } }}</div>
              @if (r.not_found.length) { <div class="warn-text">{{ 'holds.notFound' | t: { ids: r.not_found.join(', ') } }}</div> }
              @for (f of r.failed; track $index) {
                <div class="error-text">{{ 'holds.failed' | t: { file: f.file_id ?? '', error: f.error ?? '' } }}</div>
              }
            </div>
          }
        </div>
      }
      <div class="panel" data-testid="hold-files">
        <h3>{{ (h.status === 'released' ? 'holds.filesCovered' : 'holds.filesTitle') | t }}</h3>
        <app-load-state [loading]="files() === null && !filesError()" [error]="filesError()" [empty]="!!files() && !files()!.length"
                        emptyText="holds.noFiles" (retry)="loadFiles()" />
        @for (f of files() ?? []; track f.file_id) {
          <div class="file" data-testid="hold-file">
            @if (names()[f.file_id]; as name) {
              <a [routerLink]="['/files', f.file_id]" [attr.data-testid]="'hold-file-name-' + f.file_id">{{ name }}</a>
              <span class="id muted">{{ f.file_id }}</span>
            } @else {
              <a [routerLink]="['/files', f.file_id]" class="id">{{ f.file_id }}</a>
            }
            <span class="muted">{{ 'holds.placedBy' | t: { at: (f.placed_at | dt), by: f.placed_by ?? '' } }}</span>
            @if (canWrite() && h.status === 'active') {
              <button mat-button class="warn" (click)="releaseFile(h, f)" [attr.data-testid]="'hold-file-release-' + f.file_id">{{ 'holds.releaseFile' | t }}</button>
            }
          </div>
        }
        <mat-paginator [class.hidden]="filesTotal() <= limit" [length]="filesTotal()" [pageSize]="limit" [pageIndex]="page"
                       [hidePageSize]="true" (page)="onPage($event)" />
      </div>
    } @else {
      <app-load-state [loading]="loading()" [error]="error()" failedText="holds.loadOneFailed" (retry)="load()" />
    }
  `,
  styles: `.back { display: inline-block; margin-bottom: 8px; } h3 { margin-top: 0; font-size: 16px; }
           .full { width: 100%; margin-top: 12px; } .actions { margin: 8px 0; }
           .file { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 4px 0; border-bottom: 1px solid #f0f1f3; }
           .file .id { overflow-wrap: anywhere; } .result { display: flex; flex-direction: column; gap: 4px; }
           .warn-text { color: #7a5300; overflow-wrap: anywhere; } .error-text { overflow-wrap: anywhere; }
           button.warn:not(:disabled) { color: #b3261e; }`,
})
export class HoldDetailsPage implements OnInit {
  readonly id = input.required<string>();
  private readonly api = inject(RecordsApi);
  private readonly filesApi = inject(FilesApi);
  private readonly auth = inject(AuthService);
  private readonly dialog = inject(MatDialog);
  private readonly i18n = inject(I18nService);
  private readonly notify = inject(Notifier);
  readonly hold = signal<LegalHold | null>(null);
  readonly loading = signal(true);
  readonly error = signal<string | null>(null);
  readonly files = signal<HoldFile[] | null>(null);
  readonly filesError = signal<string | null>(null);
  readonly filesTotal = signal(0);
  readonly placing = signal(false);
  readonly placeError = signal<string | null>(null);
  readonly result = signal<Placement | null>(null);
  readonly canWrite = () => this.auth.can('records:write');
  by: 'ids' | 'tag' = 'ids';
  idsText = '';
  tag = '';
  limit = 50;
  page = 0;

  ngOnInit(): void {
    this.load();
  }

  /** Ids pasted in any layout (lines, commas, spaces); each once. */
  ids(): string[] {
    return [...new Set((this.idsText.match(UUID) ?? []).map((s) => s.toLowerCase()))];
  }

  load(): void {
    this.loading.set(true);
    this.error.set(null);
    this.api.hold(this.id()).subscribe({
      next: (h) => {
        this.hold.set(h);
        this.loading.set(false);
        this.loadFiles();
      },
      error: (e) => {
        this.loading.set(false);
        this.error.set(this.i18n.error(e));
      },
    });
  }

  /** File names from the catalogue (one search by hold); a file it does not know yet keeps its
   * id. The hold's own list stays the truth for which files are held. */
  readonly names = signal<Record<string, string>>({});
  private loadNames(): void {
    this.filesApi.search({ legal_hold: this.id(), limit: 200 }).subscribe({
      next: (p) => this.names.set(Object.fromEntries(p.items.map((f) => [f.file_id, f.original_filename]))),
      error: () => this.names.set({}),
    });
  }

  loadFiles(): void {
    this.filesError.set(null);
    this.files.set(null);
    this.api.holdFiles(this.id(), this.limit, this.page * this.limit).subscribe({
      next: (p) => {
        this.files.set(p.items);
        this.filesTotal.set(p.total);
        this.loadNames();
      },
      error: (e) => this.filesError.set(this.i18n.error(e)),
    });
  }

  onPage(e: PageEvent): void {
    this.page = e.pageIndex;
    this.loadFiles();
  }

  place(h: LegalHold): void {
    this.placing.set(true);
    this.placeError.set(null);
    this.result.set(null);
    this.api.place(h.id, this.by === 'ids' ? { file_ids: this.ids() } : { tag: this.tag.trim() }).subscribe({
      next: (r) => {
        this.placing.set(false);
        this.result.set(r);
        this.idsText = '';
        this.refresh();
      },
      error: (e) => {
        this.placing.set(false);
        this.placeError.set(this.i18n.error(e));
      },
    });
  }

  release(h: LegalHold): void {
    confirm(this.dialog, {
      title: this.i18n.t('holds.releaseTitle', { name: h.name }),
      message: this.i18n.t('holds.releaseMessage', { n: h.file_count }),
      confirm: this.i18n.t('holds.release'),
      danger: true,
      reasonLabel: this.i18n.t('holds.releaseReason'),
      reasonRequired: true,
    })
      .pipe(filter((r): r is string => typeof r === 'string'), switchMap((reason) => this.api.release(h.id, reason)))
      .subscribe({
        next: (released) => {
          this.hold.set(released);
          this.notify.ok('holds.releasedOk', { name: h.name });
        },
        error: (e) => this.notify.error(e),
      });
  }

  releaseFile(h: LegalHold, f: HoldFile): void {
    confirm(this.dialog, {
      title: this.i18n.t('holds.releaseFileTitle'),
      message: this.i18n.t('holds.releaseFileMessage', { name: h.name, file: f.file_id }),
      confirm: this.i18n.t('holds.releaseFile'),
      danger: true,
      reasonLabel: this.i18n.t('holds.releaseReason'),
      reasonRequired: true,
    })
      .pipe(filter((r): r is string => typeof r === 'string'), switchMap((reason) => this.api.releaseFile(h.id, f.file_id, reason)))
      .subscribe({
        next: () => {
          this.notify.ok('holds.fileReleasedOk');
          this.refresh();
        },
        error: (e) => this.notify.error(e),
      });
  }

  private refresh(): void {
    this.api.hold(this.id()).subscribe({ next: (h) => this.hold.set(h), error: () => undefined });
    this.loadFiles();
  }
}
