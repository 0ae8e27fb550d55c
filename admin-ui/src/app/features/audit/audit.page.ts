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

import { I18N_PIPES } from '../../core/i18n/pipes';
import { saveBlob } from '../../shared/download';
import { StatusChip } from '../../shared/status-chip';
import { AuditApi, AuditEvent, AuditFilter, AuditVerify } from './audit.api';
import { PagedListPage } from '../../shared/paged-list';

@Component({
  selector: 'app-audit',
  imports: [FormsModule, JsonPipe, MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, MatTableModule, MatPaginatorModule, MatProgressBarModule, StatusChip, ...I18N_PIPES],
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
        @if (!v.valid) { <span class="error-text">{{ 'audit.brokenAt' | t: { pos: v.position ?? '?', id: v.first_broken_id ?? '?' } }} {{ v.reason }}</span> }
      } @else if (verifying()) { <span class="muted">{{ 'audit.verifying' | t }}</span> }
      <span class="grow"></span>
      <button mat-button (click)="runVerify()" [disabled]="verifying()">{{ 'audit.verify' | t }}</button>
    </div>
    <form class="toolbar-row" (ngSubmit)="reload()">
      <mat-form-field subscriptSizing="dynamic"><mat-label>{{ 'audit.action' | t }}</mat-label><input matInput name="action" [(ngModel)]="f.action" /></mat-form-field>
      <mat-form-field subscriptSizing="dynamic"><mat-label>{{ 'audit.actor' | t }}</mat-label><input matInput name="actor" [(ngModel)]="f.actor" /></mat-form-field>
      <mat-form-field subscriptSizing="dynamic"><mat-label>{{ 'audit.resourceType' | t }}</mat-label><input matInput name="rt" [(ngModel)]="f.resource_type" /></mat-form-field>
      <mat-form-field subscriptSizing="dynamic">
        <mat-label>{{ 'audit.outcome' | t }}</mat-label>
        <mat-select name="outcome" [(ngModel)]="f.outcome">
          <mat-option value="">{{ 'common.all' | t }}</mat-option>
          @for (o of outcomes; track o) { <mat-option [value]="o">{{ 'status.' + o | t }}</mat-option> }
        </mat-select>
      </mat-form-field>
      <mat-form-field subscriptSizing="dynamic"><mat-label>{{ 'audit.since' | t }}</mat-label><input matInput type="date" name="since" [(ngModel)]="since" /></mat-form-field>
      <mat-form-field subscriptSizing="dynamic"><mat-label>{{ 'audit.until' | t }}</mat-label><input matInput type="date" name="until" [(ngModel)]="until" /></mat-form-field>
      <button mat-flat-button type="submit">{{ 'common.search' | t }}</button>
    </form>
    <div class="panel">
      @if (loading() || exporting()) { <mat-progress-bar mode="indeterminate" /> }
      <table mat-table [dataSource]="items()" multiTemplateDataRows data-testid="audit-table">
        <ng-container matColumnDef="seq"><th mat-header-cell *matHeaderCellDef>#</th><td mat-cell *matCellDef="let e">{{ e.seq }}</td></ng-container>
        <ng-container matColumnDef="time"><th mat-header-cell *matHeaderCellDef>{{ 'audit.time' | t }}</th><td mat-cell *matCellDef="let e">{{ e.created_at | dt }}</td></ng-container>
        <ng-container matColumnDef="action"><th mat-header-cell *matHeaderCellDef>{{ 'audit.action' | t }}</th><td mat-cell *matCellDef="let e" class="mono">{{ e.action }}</td></ng-container>
        <ng-container matColumnDef="actor"><th mat-header-cell *matHeaderCellDef>{{ 'audit.actor' | t }}</th><td mat-cell *matCellDef="let e">{{ e.actor ?? '—' }}</td></ng-container>
        <ng-container matColumnDef="resource"><th mat-header-cell *matHeaderCellDef>{{ 'audit.resource' | t }}</th>
          <td mat-cell *matCellDef="let e">{{ e.resource_type ?? '' }} <span class="mono">{{ e.resource_id ?? '' }}</span></td></ng-container>
        <ng-container matColumnDef="outcome"><th mat-header-cell *matHeaderCellDef>{{ 'audit.outcome' | t }}</th><td mat-cell *matCellDef="let e"><app-status [value]="e.outcome" /></td></ng-container>
        <ng-container matColumnDef="detail">
          <td mat-cell *matCellDef="let e" [attr.colspan]="columns.length" class="detail-cell">
            @if (expanded() === e.id) {
              <pre class="json">{{ e.details | json }}</pre>
              <div class="muted mono">request {{ e.request_id ?? '—' }} · mac {{ e.mac }}</div>
            }
          </td>
        </ng-container>
        <tr mat-header-row *matHeaderRowDef="columns"></tr>
        <tr mat-row *matRowDef="let row; columns: columns" class="clickable" (click)="toggle(row)"></tr>
        <tr mat-row *matRowDef="let row; columns: ['detail']" class="detail-row" [class.open]="expanded() === row.id"></tr>
      </table>
      <mat-paginator [length]="total()" [pageSize]="limit" [pageIndex]="page" [pageSizeOptions]="[25, 50, 100]" (page)="onPage($event)" />
    </div>
  `,
  styles: `.verify { display: flex; gap: 16px; align-items: center; } .grow { flex: 1; }
           .badge { padding: 4px 10px; border-radius: 12px; font-weight: 600; } .good { background: #e3f4e4; color: #1b5e20; } .bad { background: #fde2e1; color: #8e1b17; }
           .clickable { cursor: pointer; } .detail-row { height: 0; } .detail-row:not(.open) td { border-bottom-width: 0; padding: 0; }
           .json { background: #f6f7f9; padding: 8px; border-radius: 4px; font-size: 12px; overflow: auto; }`,
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
  since = '';
  until = '';
  override limit = 25;

  override ngOnInit(): void {
    super.ngOnInit();
    this.runVerify();
  }

  filter(): AuditFilter {
    return {
      ...this.f,
      action: this.f.action?.trim(),
      actor: this.f.actor?.trim(),
      resource_type: this.f.resource_type?.trim(),
      since: this.since ? new Date(this.since).toISOString() : undefined,
      until: this.until ? new Date(this.until + 'T23:59:59').toISOString() : undefined,
    };
  }

  toggle(e: AuditEvent): void {
    this.expanded.update((cur) => (cur === e.id ? null : e.id));
  }

  protected fetch(limit: number, offset: number) {
    return this.api.list({ ...this.filter(), limit, offset });
  }

  runVerify(): void {
    this.verifying.set(true);
    this.api.verify().subscribe({
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
