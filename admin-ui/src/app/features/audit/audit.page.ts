import { JsonPipe } from '@angular/common';
import { Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatPaginatorModule } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { MatAutocompleteModule } from '@angular/material/autocomplete';
import { MatDatepickerModule } from '@angular/material/datepicker';
import { ActionPipe, AUDIT_ACTIONS, actionLabel } from '../../shared/audit-action';
import { LoadState } from '../../shared/load-state';

import { I18N_PIPES } from '../../core/i18n/pipes';
import { saveBlob } from '../../shared/download';
import { StatusChip } from '../../shared/status-chip';
import { AuditApi, AuditEvent, AuditFilter, AuditVerify } from './audit.api';
import { PagedListPage } from '../../shared/paged-list';

@Component({
  selector: 'app-audit',
  imports: [FormsModule, JsonPipe, MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, MatTableModule, MatPaginatorModule, MatProgressBarModule, MatAutocompleteModule, MatDatepickerModule, StatusChip, LoadState, ActionPipe, ...I18N_PIPES],
  template: `
    <div class="toolbar-row">
      <h1 class="page-title grow">{{ 'audit.title' | t }}</h1>
      <button mat-stroked-button (click)="export('csv')" [disabled]="exporting()" data-testid="audit-export-csv">{{ 'audit.exportCsv' | t }}</button>
      <button mat-stroked-button (click)="export('jsonl')" data-testid="audit-export-jsonl" [disabled]="exporting()">{{ 'audit.exportJson' | t }}</button>
    </div>
    <div class="panel verify" data-testid="audit-verify">
      @if (verify(); as v) {
        <span class="badge" [class.good]="v.valid" [class.bad]="!v.valid">{{ (v.valid ? 'audit.chainValid' : 'audit.chainBroken') | t }}</span>
        <span>{{ 'audit.checked' | t: { n: v.checked } }}</span>
        @if (v.mode === 'checkpoint' && v.start_seq) { <span class="muted" data-testid="audit-verify-since">{{ 'audit.sinceCheckpoint' | t: { seq: v.start_seq } }}</span> }
        @if (!v.valid) { <span class="error-text">{{ 'audit.brokenAt' | t: { pos: v.position ?? '?', id: v.first_broken_id ?? '?' } }} {{ v.reason }}</span> }
      } @else if (verifying()) { <span class="muted">{{ 'audit.verifying' | t }}</span> }
      <span class="grow"></span>
      <button mat-button (click)="runVerify()" [disabled]="verifying()">{{ 'audit.verify' | t }}</button>
      <button mat-button (click)="runVerify('full')" [disabled]="verifying()" data-testid="audit-verify-full">{{ 'audit.verifyFull' | t }}</button>
    </div>
    <form class="toolbar-row" (ngSubmit)="reload()">
      <mat-form-field subscriptSizing="dynamic" class="action">
        <mat-label>{{ 'audit.action' | t }}</mat-label>
        <input matInput name="action" [(ngModel)]="f.action" [matAutocomplete]="acts" data-testid="audit-action" />
        <mat-autocomplete #acts="matAutocomplete">
          @for (a of actionOptions(); track a) { <mat-option [value]="a"><span>{{ a | action }}</span> <span class="muted mono">{{ a }}</span></mat-option> }
        </mat-autocomplete>
        <mat-hint>{{ 'audit.actionHint' | t }}</mat-hint>
      </mat-form-field>
      <mat-form-field subscriptSizing="dynamic"><mat-label>{{ 'audit.actor' | t }}</mat-label><input matInput name="actor" [(ngModel)]="f.actor" /></mat-form-field>
      <mat-form-field subscriptSizing="dynamic"><mat-label>{{ 'audit.resourceType' | t }}</mat-label><input matInput name="rt" [(ngModel)]="f.resource_type" /></mat-form-field>
      <mat-form-field subscriptSizing="dynamic">
        <mat-label>{{ 'audit.outcome' | t }}</mat-label>
        <mat-select name="outcome" [(ngModel)]="f.outcome">
          <mat-option value="">{{ 'common.all' | t }}</mat-option>
          @for (o of outcomes; track o) { <mat-option [value]="o">{{ 'status.' + o | t }}</mat-option> }
        </mat-select>
      </mat-form-field>
      <mat-form-field subscriptSizing="dynamic" data-testid="audit-dates">
        <mat-label>{{ 'audit.period' | t }}</mat-label>
        <mat-date-range-input [rangePicker]="range">
          <input matStartDate name="since" [(ngModel)]="since" [placeholder]="'audit.since' | t" data-testid="audit-since" />
          <input matEndDate name="until" [(ngModel)]="until" [placeholder]="'audit.until' | t" />
        </mat-date-range-input>
        <mat-datepicker-toggle matIconSuffix [for]="range"><span matDatepickerToggleIcon>▦</span></mat-datepicker-toggle>
        <mat-date-range-picker #range />
      </mat-form-field>
      <button mat-flat-button type="submit">{{ 'common.search' | t }}</button>
    </form>
    <div class="panel">
      @if ((loading() && items().length) || exporting()) { <mat-progress-bar mode="indeterminate" /> }
      <app-load-state [loading]="loading() && !items().length" [error]="error()" [empty]="loaded() && !items().length"
                      emptyText="audit.empty" failedText="audit.loadFailed" (retry)="load()" />
      <table mat-table [dataSource]="items()" multiTemplateDataRows class="reflow" [class.hidden]="!items().length" data-testid="audit-table">
        <ng-container matColumnDef="seq"><th mat-header-cell *matHeaderCellDef>#</th><td mat-cell *matCellDef="let e" data-label="#">{{ e.seq }}</td></ng-container>
        <ng-container matColumnDef="time"><th mat-header-cell *matHeaderCellDef>{{ 'audit.time' | t }}</th><td mat-cell *matCellDef="let e" [attr.data-label]="'audit.time' | t">{{ e.created_at | dt }}</td></ng-container>
        <ng-container matColumnDef="action"><th mat-header-cell *matHeaderCellDef>{{ 'audit.action' | t }}</th><td mat-cell *matCellDef="let e" [attr.data-label]="'audit.action' | t" [title]="e.action">{{ e.action | action }}</td></ng-container>
        <ng-container matColumnDef="actor"><th mat-header-cell *matHeaderCellDef>{{ 'audit.actor' | t }}</th><td mat-cell *matCellDef="let e" [attr.data-label]="'audit.actor' | t" class="wrap">{{ e.actor ?? '—' }}</td></ng-container>
        <ng-container matColumnDef="resource"><th mat-header-cell *matHeaderCellDef>{{ 'audit.resource' | t }}</th>
          <td mat-cell *matCellDef="let e" [attr.data-label]="'audit.resource' | t"><span class="res">{{ e.resource_type ?? '' }} @if (e.resource_id) {<span class="id" [title]="e.resource_id">{{ e.resource_id }}</span>}</span></td></ng-container>
        <ng-container matColumnDef="outcome"><th mat-header-cell *matHeaderCellDef>{{ 'audit.outcome' | t }}</th><td mat-cell *matCellDef="let e" [attr.data-label]="'audit.outcome' | t"><app-status [value]="e.outcome" /></td></ng-container>
        <ng-container matColumnDef="detail">
          <td mat-cell *matCellDef="let e" [attr.colspan]="columns.length" class="detail-cell">
            @if (expanded() === e.id) {
              <pre class="json">{{ e.details | json }}</pre>
              <div class="muted"><span class="id" [title]="e.action">{{ e.action }}</span> · request <span class="id" [title]="e.request_id ?? ''">{{ e.request_id ?? '—' }}</span> · mac <span class="id mac" [title]="e.mac">{{ e.mac }}</span></div>
            }
          </td>
        </ng-container>
        <tr mat-header-row *matHeaderRowDef="columns"></tr>
        <tr mat-row *matRowDef="let row; columns: columns" class="clickable" (click)="toggle(row)"></tr>
        <tr mat-row *matRowDef="let row; columns: ['detail']" class="detail-row" [class.open]="expanded() === row.id"></tr>
      </table>
      <mat-paginator [class.hidden]="!total()" [length]="total()" [pageSize]="limit" [pageIndex]="page" [pageSizeOptions]="[25, 50, 100]" (page)="onPage($event)" />
    </div>
  `,
  styles: `.verify { display: flex; gap: 16px; align-items: center; } .grow { flex: 1; }
           .badge { padding: 4px 10px; border-radius: 12px; font-weight: 600; } .good { background: #e3f4e4; color: #1b5e20; } .bad { background: #fde2e1; color: #8e1b17; }
           .clickable { cursor: pointer; } .detail-row { height: 0; } .detail-row:not(.open) td { border-bottom-width: 0; padding: 0; }
           .json { background: #f6f7f9; padding: 8px; border-radius: 4px; font-size: 12px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
           .action { min-width: 260px; } .res { display: inline-flex; gap: 6px; max-width: 260px; min-width: 0; } .mac { max-width: 180px; } .wrap { overflow-wrap: anywhere; }
           @media (max-width: 599px) { .detail-row:not(.open) { display: none !important; } .verify { flex-wrap: wrap; gap: 8px; } .action { min-width: 0; } .res { max-width: 100%; flex-wrap: wrap; } }`,
})
export class AuditPage extends PagedListPage<AuditEvent> {
  private readonly api = inject(AuditApi);
  readonly columns = ['seq', 'time', 'action', 'actor', 'resource', 'outcome'];
  readonly outcomes = ['success', 'failure', 'denied'];
  readonly exporting = signal(false);
  readonly verify = signal<AuditVerify | null>(null);
  readonly verifying = signal(false);
  readonly expanded = signal<string | null>(null);
  f: AuditFilter = { action: '', actor: '', resource_type: '', outcome: '' };
  since: Date | null = null;
  until: Date | null = null;
  override limit = 25;

  override ngOnInit(): void {
    super.ngOnInit();
    this.runVerify();
  }

  /** Known actions whose code or label contains what is typed. */
  actionOptions(): string[] {
    const q = (this.f.action ?? '').trim().toLowerCase();
    return AUDIT_ACTIONS.filter((a) => !q || a.includes(q) || actionLabel(this.i18n, a).toLowerCase().includes(q));
  }

  /** A known code is an exact filter; anything else matches the action codes by substring. */
  filter(): AuditFilter {
    const action = this.f.action?.trim() ?? '';
    const exact = (AUDIT_ACTIONS as readonly string[]).includes(action);
    return {
      ...this.f,
      action: exact ? action : undefined,
      action_contains: !exact && action ? action : undefined,
      actor: this.f.actor?.trim(),
      resource_type: this.f.resource_type?.trim(),
      since: this.since ? this.since.toISOString() : undefined,
      // the whole last day: up to the start of the next one
      until: this.until ? new Date(this.until.getFullYear(), this.until.getMonth(), this.until.getDate() + 1).toISOString() : undefined,
    };
  }

  toggle(e: AuditEvent): void {
    this.expanded.update((cur) => (cur === e.id ? null : e.id));
  }

  protected fetch(limit: number, offset: number) {
    return this.api.list({ ...this.filter(), limit, offset });
  }

  /** From the newest checkpoint (fast at any length); ``full`` walks every record. */
  runVerify(mode: 'full' | 'checkpoint' = 'checkpoint'): void {
    this.verifying.set(true);
    this.api.verify(mode).subscribe({
      next: (v) => {
        this.verify.set(v);
        this.verifying.set(false);
      },
      error: (e) => {
        this.verifying.set(false);
        this.notify.error(e);
      },
    });
  }

  /** Exports every row matching the filters (server-side stream), not just the visible page. */
  export(kind: 'csv' | 'jsonl'): void {
    this.exporting.set(true);
    this.api.export(this.filter(), kind).subscribe({
      next: (res) => {
        this.exporting.set(false);
        saveBlob(res, `artstore-audit.${kind}`);
      },
      error: (e) => {
        this.exporting.set(false);
        this.notify.error(e);
      },
    });
  }
}
