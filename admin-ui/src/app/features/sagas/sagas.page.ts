import { Component, DestroyRef, inject } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatExpansionModule } from '@angular/material/expansion';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatPaginatorModule } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { interval } from 'rxjs';

import { I18N_PIPES } from '../../core/i18n/pipes';
import { StatusChip } from '../../shared/status-chip';
import { Saga, SagasApi, sagaProgress } from './sagas.api';
import { PagedListPage } from '../../shared/paged-list';

@Component({
  selector: 'app-sagas',
  imports: [FormsModule, MatButtonModule, MatExpansionModule, MatFormFieldModule, MatSelectModule, MatPaginatorModule, MatProgressBarModule, StatusChip, ...I18N_PIPES],
  template: `
    <div class="toolbar-row">
      <h1 class="page-title grow">{{ 'saga.title' | t }}</h1>
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
      <button mat-stroked-button (click)="load()">{{ 'common.refresh' | t }}</button>
    </div>
    @if (loading()) { <mat-progress-bar mode="indeterminate" /> }
    <mat-accordion multi>
      @for (s of items(); track s.id) {
        <mat-expansion-panel [attr.data-testid]="'saga-' + s.id">
          <mat-expansion-panel-header class="hdr">
            <div class="line">
              <app-status [value]="s.state" />
              <strong>{{ 'saga.type.' + s.type | t: null : s.type }}</strong>
              <span class="mono muted">{{ s.resource_id }}</span>
              <mat-progress-bar class="bar" mode="determinate" [value]="progress(s)" [class.failed]="s.state === 'failed' || s.state === 'compensated'" />
              <span class="muted">{{ s.created_at | dt }}</span>
            </div>
          </mat-expansion-panel-header>
          <dl class="kv">
            <dt>ID</dt><dd class="mono">{{ s.id }}</dd>
            <dt>{{ 'saga.currentStep' | t }}</dt><dd>{{ s.current_step ?? '—' }}</dd>
            <dt>{{ 'saga.attempts' | t }}</dt><dd>{{ s.attempts }}</dd>
            <dt>{{ 'saga.createdBy' | t }}</dt><dd>{{ s.created_by ?? '—' }}</dd>
            <dt>{{ 'saga.completedAt' | t }}</dt><dd>{{ s.completed_at | dt }}</dd>
            @if (s.error) { <dt>{{ 'saga.error' | t }}</dt><dd class="error-text">{{ s.error }}</dd> }
          </dl>
          <ol class="steps">
            @for (st of s.steps; track $index) {
              <li [class.comp]="st.phase === 'compensate'"><app-status [value]="st.status" /> <strong>{{ st.step }}</strong>
                @if (st.phase === 'compensate') { <span class="muted">({{ 'saga.compensation' | t }})</span> }
                <span class="muted">{{ (st.since ?? st.at) | dt }}</span>
                @if (st.detail) { <div [class.error-text]="st.status === 'failed'" class="muted">{{ st.detail }}</div> }</li>
            } @empty { <li class="muted">{{ 'saga.noSteps' | t }}</li> }
          </ol>
        </mat-expansion-panel>
      } @empty {
        <div class="panel muted">{{ 'saga.empty' | t }}</div>
      }
    </mat-accordion>
    <mat-paginator [length]="total()" [pageSize]="limit" [pageIndex]="page" [pageSizeOptions]="[20, 50, 100]" (page)="onPage($event)" />
  `,
  styles: `.line { display: flex; gap: 12px; align-items: center; width: 100%; } .bar { flex: 1; max-width: 240px; }
           .hdr { height: auto !important; min-height: 56px; } .steps { margin: 12px 0 0; padding-left: 20px; } .steps li { margin-bottom: 6px; } .steps li > app-status, .steps li > strong { margin-right: 8px; }
           .failed { --mat-progress-bar-active-indicator-color: #c62828; --mdc-linear-progress-active-indicator-color: #c62828; }`,
})
export class SagasPage extends PagedListPage<Saga> {
  private readonly api = inject(SagasApi);
  private readonly destroyRef = inject(DestroyRef);
  readonly types = ['mode_transition', 'finalize', 'retention_cleanup'];
  readonly states = ['running', 'compensating', 'completed', 'compensated', 'failed'];
  readonly progress = sagaProgress;
  type = '';
  state = '';

  override ngOnInit(): void {
    super.ngOnInit();
    // Running sagas move on their own; poll while any is visible.
    interval(5000)
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe(() => {
        if (this.items().some((s) => s.state === 'running' || s.state === 'compensating')) this.load(true);
      });
  }

  protected fetch(limit: number, offset: number) {
    return this.api.list({ type: this.type, state: this.state, limit, offset });
  }
}
