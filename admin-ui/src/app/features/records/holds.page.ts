import { Component, inject, signal } from '@angular/core';
import { FormBuilder, FormsModule, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatPaginatorModule } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';

import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES, TranslatePipe } from '../../core/i18n/pipes';
import { LoadState } from '../../shared/load-state';
import { PagedListPage } from '../../shared/paged-list';
import { StatusChip } from '../../shared/status-chip';
import { LegalHold, RecordsApi } from './records.api';

@Component({
  selector: 'app-legal-holds',
  imports: [FormsModule, RouterLink, MatTableModule, MatButtonModule, MatFormFieldModule, MatSelectModule, MatPaginatorModule,
    MatProgressBarModule, LoadState, StatusChip, ...I18N_PIPES],
  template: `
    <div class="toolbar-row">
      <h1 class="page-title grow">{{ 'holds.title' | t }}</h1>
      @if (canWrite()) {
        <button mat-flat-button (click)="create()" data-testid="hold-add">{{ 'holds.create' | t }}</button>
      }
    </div>
    <div class="toolbar-row">
      <mat-form-field subscriptSizing="dynamic">
        <mat-label>{{ 'common.status' | t }}</mat-label>
        <mat-select [(ngModel)]="status" (selectionChange)="reload()" data-testid="holds-status">
          <mat-option value="">{{ 'common.all' | t }}</mat-option>
          <mat-option value="active">{{ 'holds.status.active' | t }}</mat-option>
          <mat-option value="released">{{ 'holds.status.released' | t }}</mat-option>
        </mat-select>
      </mat-form-field>
    </div>
    <div class="panel">
      @if (loading() && items().length) { <mat-progress-bar mode="indeterminate" /> }
      <app-load-state [loading]="loading() && !items().length" [error]="error()" [empty]="loaded() && !items().length"
                      emptyText="holds.empty" failedText="holds.loadFailed" (retry)="load()" />
      <table mat-table [dataSource]="items()" class="reflow" [class.hidden]="!items().length" data-testid="holds-table">
        <ng-container matColumnDef="name">
          <th mat-header-cell *matHeaderCellDef>{{ 'holds.name' | t }}</th>
          <td mat-cell *matCellDef="let h"><a [routerLink]="['/legal-holds', h.id]"><strong>{{ h.name }}</strong></a>
            <div class="muted reason">{{ h.reason }}</div></td>
        </ng-container>
        <ng-container matColumnDef="owner">
          <th mat-header-cell *matHeaderCellDef>{{ 'holds.owner' | t }}</th>
          <td mat-cell *matCellDef="let h" [attr.data-label]="'holds.owner' | t">{{ h.owner }}</td>
        </ng-container>
        <ng-container matColumnDef="status">
          <th mat-header-cell *matHeaderCellDef>{{ 'common.status' | t }}</th>
          <td mat-cell *matCellDef="let h" [attr.data-label]="'common.status' | t"><app-status [value]="h.status" prefix="holds.status" /></td>
        </ng-container>
        <ng-container matColumnDef="files">
          <th mat-header-cell *matHeaderCellDef>{{ 'holds.files' | t }}</th>
          <td mat-cell *matCellDef="let h" [attr.data-label]="'holds.files' | t" data-testid="hold-file-count">{{ h.file_count | num }}</td>
        </ng-container>
        <ng-container matColumnDef="created">
          <th mat-header-cell *matHeaderCellDef>{{ 'common.created' | t }}</th>
          <td mat-cell *matCellDef="let h" [attr.data-label]="'common.created' | t">{{ h.created_at | dt }}
            @if (h.released_at) { <div class="muted">{{ 'holds.releasedAt' | t: { at: (h.released_at | dt) } }}</div> }</td>
        </ng-container>
        <tr mat-header-row *matHeaderRowDef="columns"></tr>
        <tr mat-row *matRowDef="let row; columns: columns" [attr.data-testid]="'hold-row-' + row.name"></tr>
      </table>
      <mat-paginator [class.hidden]="!total()" [length]="total()" [pageSize]="limit" [pageIndex]="page" [pageSizeOptions]="[20, 50, 100]" (page)="onPage($event)" />
    </div>
  `,
  styles: `.reason { max-width: 480px; overflow-wrap: anywhere; }`,
})
export class HoldsPage extends PagedListPage<LegalHold> {
  private readonly api = inject(RecordsApi);
  private readonly dialog = inject(MatDialog);
  private readonly auth = inject(AuthService);
  readonly columns = ['name', 'owner', 'status', 'files', 'created'];
  readonly canWrite = () => this.auth.can('records:write');
  status = 'active';

  protected fetch(limit: number, offset: number) {
    return this.api.holds({ status: this.status, limit, offset });
  }

  create(): void {
    this.dialog
      .open(HoldDialog, { width: '520px', maxWidth: '96vw' })
      .afterClosed()
      .subscribe((h?: LegalHold) => {
        if (!h) return;
        this.notify.ok('holds.created', { name: h.name });
        this.load();
      });
  }
}

@Component({
  selector: 'app-hold-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, ReactiveFormsModule, TranslatePipe],
  template: `
    <h2 mat-dialog-title>{{ 'holds.create' | t }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()">
      <mat-dialog-content class="col">
        <mat-form-field>
          <mat-label>{{ 'holds.name' | t }}</mat-label>
          <input matInput formControlName="name" data-testid="hold-name" />
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ 'holds.reason' | t }}</mat-label>
          <textarea matInput formControlName="reason" rows="3" data-testid="hold-reason"></textarea>
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ 'holds.ownerOptional' | t }}</mat-label>
          <input matInput formControlName="owner" data-testid="hold-owner" />
        </mat-form-field>
        @if (error()) { <p class="error-text" data-testid="hold-error">{{ error() }}</p> }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>{{ 'common.cancel' | t }}</button>
        <button mat-flat-button type="submit" [disabled]="form.invalid || busy()" data-testid="hold-submit">{{ 'common.create' | t }}</button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `.col { display: flex; flex-direction: column; }`,
})
export class HoldDialog {
  private readonly api = inject(RecordsApi);
  private readonly ref = inject(MatDialogRef<HoldDialog, LegalHold>);
  private readonly i18n = inject(I18nService);
  readonly busy = signal(false);
  readonly error = signal('');
  readonly form = inject(FormBuilder).nonNullable.group({
    name: ['', [Validators.required, Validators.maxLength(200), Validators.pattern(/\S/)]],
    reason: ['', [Validators.required, Validators.maxLength(4000), Validators.pattern(/\S/)]],
    owner: ['', Validators.maxLength(256)],
  });

  submit(): void {
    const v = this.form.getRawValue();
    this.busy.set(true);
    this.error.set('');
    this.api.createHold({ name: v.name.trim(), reason: v.reason.trim(), owner: v.owner.trim() || null }).subscribe({
      next: (h) => this.ref.close(h),
      error: (e) => {
        this.busy.set(false);
        this.error.set(this.i18n.error(e));
      },
    });
  }
}
