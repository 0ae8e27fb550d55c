import { Component, DestroyRef, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatExpansionModule } from '@angular/material/expansion';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatPaginatorModule } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { ActivatedRoute, RouterLink } from '@angular/router';
import { interval, map } from 'rxjs';

import { I18N_PIPES } from '../../core/i18n/pipes';
import { LoadState } from '../../shared/load-state';
import { PagedListPage } from '../../shared/paged-list';
import { StatusChip } from '../../shared/status-chip';
import { StorageElementsApi } from '../storage-elements/storage-elements.api';
import { Saga, SagasApi, latestSteps, sagaProgress, sagaSubject } from './sagas.api';

@Component({
  selector: 'app-sagas',
  imports: [FormsModule, RouterLink, MatButtonModule, MatExpansionModule, MatFormFieldModule, MatSelectModule, MatPaginatorModule,
    MatProgressBarModule, StatusChip, LoadState, ...I18N_PIPES],
  template: `
    <div class="toolbar-row">
      <h1 class="page-title grow">{{ 'saga.title' | t }}</h1>
      @if (!only()) {
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ 'saga.typeLabel' | t }}</mat-label>
          <mat-select [(ngModel)]="type" (selectionChange)="reload()">
            <mat-option value="">{{ 'common.all' | t }}</mat-option>
            @for (t of types; track t) { <mat-option [value]="t">{{ 'saga.type.' + t | t }}</mat-option> }
          </mat-select>
        </mat-form-field>
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ 'common.status' | t }}</mat-label>
          <mat-select [(ngModel)]="state" (selectionChange)="reload()">
            <mat-option value="">{{ 'common.all' | t }}</mat-option>
            @for (s of states; track s) { <mat-option [value]="s">{{ 'status.' + s | t }}</mat-option> }
          </mat-select>
        </mat-form-field>
      } @else {
        <a mat-stroked-button routerLink="/sagas" data-testid="saga-all">{{ 'saga.showAll' | t }}</a>
      }
      <button mat-stroked-button (click)="load()">{{ 'common.refresh' | t }}</button>
    </div>
    @if (loading() && items().length) { <mat-progress-bar mode="indeterminate" /> }
    <app-load-state [loading]="loading() && !items().length" [error]="error()" [empty]="loaded() && !items().length"
                    emptyText="saga.empty" failedText="saga.loadFailed" (retry)="load()" />
    <mat-accordion multi>
      @for (s of items(); track s.id) {
        <mat-expansion-panel [attr.data-testid]="'saga-' + s.id" [expanded]="only() === s.id">
          <mat-expansion-panel-header class="hdr">
            <div class="line">
              <app-status [value]="s.state" />
              <strong>{{ 'saga.type.' + s.type | t: null : s.type }}</strong>
              <span class="subject">{{ subjectLabel(s) }}</span>
              <mat-progress-bar class="bar" mode="determinate" [value]="progress(s)" [class.failed]="s.state === 'failed' || s.state === 'compensated'" />
              <span class="muted when">{{ s.created_at | dt }}</span>
            </div>
          </mat-expansion-panel-header>
          <dl class="kv">
            @if (subject(s); as sub) {
              @if (sub.kind === 'file' && sub.id) {
                <dt>{{ 'saga.file' | t }}</dt><dd><a [routerLink]="['/files', sub.id]" data-testid="saga-file-link">{{ sub.name ?? ('saga.openFile' | t) }}</a></dd>
              } @else if (sub.kind === 'se' && sub.id) {
                <dt>{{ 'saga.se' | t }}</dt><dd><a [routerLink]="['/storage-elements', sub.id]">{{ seNames()[sub.id] ?? ('saga.openSe' | t) }}</a></dd>
              }
            }
            <dt>{{ 'saga.currentStep' | t }}</dt><dd>{{ s.current_step ? ('saga.step.' + s.current_step | t: null : s.current_step) : '—' }}</dd>
            <dt>{{ 'saga.attempts' | t }}</dt><dd>{{ s.attempts }}</dd>
            <dt>{{ 'saga.createdBy' | t }}</dt><dd>{{ s.created_by ?? '—' }}</dd>
            <dt>{{ 'common.updated' | t }}</dt><dd>{{ s.updated_at | dt }}</dd>
            <dt>{{ 'saga.completedAt' | t }}</dt><dd>{{ s.completed_at ? (s.completed_at | dt) : '—' }}</dd>
            @if (s.error) { <dt>{{ 'saga.error' | t }}</dt><dd class="error-text">{{ s.error }}</dd> }
            <dt>ID</dt><dd><span class="id" [title]="s.id">{{ s.id }}</span></dd>
          </dl>
          <ol class="steps" data-testid="saga-steps">
            @for (st of steps(s.steps); track $index) {
              <li [class.comp]="st.phase === 'compensate'"><app-status [value]="st.status" /> <strong>{{ 'saga.step.' + st.step | t: null : st.step }}</strong>
                @if (st.phase === 'compensate') { <span class="muted">({{ 'saga.compensation' | t }})</span> }
                <span class="muted">{{ (st.since ?? st.at) | dt }}</span>
                @if (st.detail) { <div [class.error-text]="st.status === 'failed'" class="muted detail">{{ st.detail }}</div> }</li>
            } @empty { <li class="muted">{{ 'saga.noSteps' | t }}</li> }
          </ol>
        </mat-expansion-panel>
      }
    </mat-accordion>
    @if (!only()) {
      <mat-paginator [length]="total()" [pageSize]="limit" [pageIndex]="page" [pageSizeOptions]="[20, 50, 100]" (page)="onPage($event)"
                     [class.hidden]="!total()" />
    }
  `,
  styles: `.line { display: flex; gap: 12px; align-items: center; width: 100%; min-width: 0; flex-wrap: wrap; } .bar { flex: 1; max-width: 240px; min-width: 80px; }
           .subject { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 280px; }
           .hdr { height: auto !important; min-height: 56px; padding-top: 8px; padding-bottom: 8px; } .steps { margin: 12px 0 0; padding-left: 20px; } .steps li { margin-bottom: 6px; } .steps li > app-status, .steps li > strong { margin-right: 8px; }
           .detail { overflow-wrap: anywhere; } .hidden { display: none; }
           .failed { --mat-progress-bar-active-indicator-color: #c62828; --mdc-linear-progress-active-indicator-color: #c62828; }
           @media (max-width: 599px) { .line { gap: 6px; } .bar { flex-basis: 100%; max-width: none; order: 9; } .when { font-size: 11px; } }`,
})
export class SagasPage extends PagedListPage<Saga> {
  private readonly api = inject(SagasApi);
  private readonly seApi = inject(StorageElementsApi);
  private readonly route = inject(ActivatedRoute);
  private readonly destroyRef = inject(DestroyRef);
  readonly types = ['mode_transition', 'finalize', 'retention_cleanup'];
  readonly states = ['running', 'compensating', 'completed', 'compensated', 'failed'];
  readonly progress = sagaProgress;
  readonly steps = latestSteps;
  readonly subject = sagaSubject;
  readonly seNames = signal<Record<string, string | undefined>>({});
  /** `?id=` shows that one saga, opened (the link a finalize snackbar gives). */
  readonly only = signal<string | null>(null);
  type = '';
  state = '';

  override ngOnInit(): void {
    this.seApi.list().subscribe({
      next: (p) => this.seNames.set(Object.fromEntries(p.items.map((s) => [s.id, s.name]))),
      error: () => undefined,
    });
    this.route.queryParamMap.pipe(takeUntilDestroyed(this.destroyRef)).subscribe((q) => {
      this.only.set(q.get('id'));
      this.reload();
    });
    // Running sagas move on their own; poll while any is visible.
    interval(5000)
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe(() => {
        if (this.items().some((s) => s.state === 'running' || s.state === 'compensating')) this.load(true);
      });
  }

  subjectLabel(s: Saga): string {
    const sub = sagaSubject(s);
    if (sub.name) return sub.name;
    if (sub.kind === 'se' && sub.id && this.seNames()[sub.id]) return this.seNames()[sub.id]!;
    return sub.id ? sub.id.slice(0, 8) + '…' : '';
  }

  protected fetch(limit: number, offset: number) {
    const id = this.only();
    if (id) return this.api.get(id).pipe(map((s) => ({ items: [s], total: 1, limit, offset })));
    return this.api.list({ type: this.type, state: this.state, limit, offset });
  }
}
