import { Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatPaginatorModule } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';

import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES, TranslatePipe } from '../../core/i18n/pipes';
import { LoadState } from '../../shared/load-state';
import { PagedListPage } from '../../shared/paged-list';
import { RecordsApi, RetentionSchedule } from './records.api';

@Component({
  selector: 'app-retention-schedules',
  imports: [MatTableModule, MatButtonModule, MatPaginatorModule, MatProgressBarModule, LoadState, ...I18N_PIPES],
  template: `
    <div class="toolbar-row">
      <h1 class="page-title grow">{{ 'schedules.title' | t }}</h1>
      @if (canWrite()) {
        <button mat-flat-button (click)="create()" data-testid="schedule-add">{{ 'schedules.create' | t }}</button>
      }
    </div>
    <p class="muted intro">{{ 'schedules.intro' | t }}</p>
    <div class="panel">
      @if (loading() && items().length) { <mat-progress-bar mode="indeterminate" /> }
      <app-load-state [loading]="loading() && !items().length" [error]="error()" [empty]="loaded() && !items().length"
                      emptyText="schedules.empty" failedText="schedules.loadFailed" (retry)="load()" />
      <table mat-table [dataSource]="items()" class="reflow" [class.hidden]="!items().length" data-testid="schedules-table">
        <ng-container matColumnDef="name">
          <th mat-header-cell *matHeaderCellDef>{{ 'schedules.name' | t }}</th>
          <td mat-cell *matCellDef="let s"><strong>{{ s.name }}</strong><div class="muted">{{ s.description }}</div></td>
        </ng-container>
        <ng-container matColumnDef="period">
          <th mat-header-cell *matHeaderCellDef>{{ 'schedules.period' | t }}</th>
          <td mat-cell *matCellDef="let s" [attr.data-label]="'schedules.period' | t">{{ 'schedules.days' | t: { n: (s.period_days | num) } }}</td>
        </ng-container>
        <ng-container matColumnDef="trigger">
          <th mat-header-cell *matHeaderCellDef>{{ 'schedules.trigger' | t }}</th>
          <td mat-cell *matCellDef="let s" [attr.data-label]="'schedules.trigger' | t">
            {{ 'schedules.trigger.' + s.trigger | t: null : s.trigger }}
            @if (s.date_field) { <code>{{ s.date_field }}</code> }
          </td>
        </ng-container>
        <ng-container matColumnDef="action">
          <th mat-header-cell *matHeaderCellDef>{{ 'schedules.action' | t }}</th>
          <td mat-cell *matCellDef="let s" [attr.data-label]="'schedules.action' | t">{{ 'schedules.action.' + s.action | t: null : s.action }}</td>
        </ng-container>
        <ng-container matColumnDef="created">
          <th mat-header-cell *matHeaderCellDef>{{ 'common.created' | t }}</th>
          <td mat-cell *matCellDef="let s" [attr.data-label]="'common.created' | t">{{ s.created_at | dt }} · {{ s.created_by ?? '' }}</td>
        </ng-container>
        <tr mat-header-row *matHeaderRowDef="columns"></tr>
        <tr mat-row *matRowDef="let row; columns: columns" [attr.data-testid]="'schedule-row-' + row.name"></tr>
      </table>
      <mat-paginator [class.hidden]="!total()" [length]="total()" [pageSize]="limit" [pageIndex]="page" [pageSizeOptions]="[20, 50, 100]" (page)="onPage($event)" />
    </div>
  `,
  styles: `.intro { margin: -8px 0 16px; } code { font-size: 12px; background: #f0f1f3; padding: 1px 4px; border-radius: 3px; }`,
})
export class SchedulesPage extends PagedListPage<RetentionSchedule> {
  private readonly api = inject(RecordsApi);
  private readonly dialog = inject(MatDialog);
  private readonly auth = inject(AuthService);
  readonly columns = ['name', 'period', 'trigger', 'action', 'created'];
  readonly canWrite = () => this.auth.can('records:write');

  protected fetch(limit: number, offset: number) {
    return this.api.schedules(limit, offset);
  }

  create(): void {
    this.dialog
      .open(ScheduleDialog, { width: '520px', maxWidth: '96vw' })
      .afterClosed()
      .subscribe((s?: RetentionSchedule) => {
        if (!s) return;
        this.notify.ok('schedules.created', { name: s.name });
        this.load();
      });
  }
}

@Component({
  selector: 'app-schedule-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, ReactiveFormsModule, TranslatePipe],
  template: `
    <h2 mat-dialog-title>{{ 'schedules.create' | t }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()">
      <mat-dialog-content class="col">
        <mat-form-field>
          <mat-label>{{ 'schedules.name' | t }}</mat-label>
          <input matInput formControlName="name" data-testid="schedule-name" />
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ 'schedules.periodDays' | t }}</mat-label>
          <input matInput type="number" min="1" max="36500" formControlName="period_days" data-testid="schedule-period" />
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ 'schedules.trigger' | t }}</mat-label>
          <mat-select formControlName="trigger" data-testid="schedule-trigger">
            <mat-option value="upload">{{ 'schedules.trigger.upload' | t }}</mat-option>
            <mat-option value="metadata_date">{{ 'schedules.trigger.metadata_date' | t }}</mat-option>
          </mat-select>
        </mat-form-field>
        @if (form.controls.trigger.value === 'metadata_date') {
          <mat-form-field>
            <mat-label>{{ 'schedules.dateField' | t }}</mat-label>
            <input matInput formControlName="date_field" placeholder="fiscal_year_end" data-testid="schedule-date-field" />
            <mat-hint>{{ 'schedules.dateFieldHint' | t }}</mat-hint>
          </mat-form-field>
        }
        <mat-form-field>
          <mat-label>{{ 'schedules.action' | t }}</mat-label>
          <mat-select formControlName="action" data-testid="schedule-action">
            <mat-option value="review">{{ 'schedules.action.review' | t }}</mat-option>
            <mat-option value="destroy">{{ 'schedules.action.destroy' | t }}</mat-option>
          </mat-select>
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ 'schedules.description' | t }}</mat-label>
          <input matInput formControlName="description" data-testid="schedule-description" />
        </mat-form-field>
        @if (error()) { <p class="error-text" data-testid="schedule-error">{{ error() }}</p> }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>{{ 'common.cancel' | t }}</button>
        <button mat-flat-button type="submit" [disabled]="invalid() || busy()" data-testid="schedule-submit">{{ 'common.create' | t }}</button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `.col { display: flex; flex-direction: column; }`,
})
export class ScheduleDialog {
  private readonly api = inject(RecordsApi);
  private readonly ref = inject(MatDialogRef<ScheduleDialog, RetentionSchedule>);
  private readonly i18n = inject(I18nService);
  readonly busy = signal(false);
  readonly error = signal('');
  readonly form = inject(FormBuilder).nonNullable.group({
    name: ['', [Validators.required, Validators.maxLength(200)]],
    period_days: [365 as number, [Validators.required, Validators.min(1), Validators.max(36500)]],
    trigger: ['upload' as 'upload' | 'metadata_date', Validators.required],
    date_field: ['', Validators.maxLength(128)],
    action: ['review' as 'review' | 'destroy', Validators.required],
    description: ['', Validators.maxLength(2000)],
  });

  invalid(): boolean {
    const v = this.form.getRawValue();
    return this.form.invalid || !v.name.trim() || (v.trigger === 'metadata_date' && !v.date_field.trim());
  }

  submit(): void {
    if (this.invalid()) return;
    const v = this.form.getRawValue();
    this.busy.set(true);
    this.error.set('');
    this.api
      .createSchedule({
        name: v.name.trim(),
        period_days: Number(v.period_days),
        trigger: v.trigger,
        date_field: v.trigger === 'metadata_date' ? v.date_field.trim() : null,
        action: v.action,
        description: v.description.trim() || null,
      })
      .subscribe({
        next: (s) => this.ref.close(s),
        error: (e) => {
          this.busy.set(false);
          this.error.set(this.i18n.error(e));
        },
      });
  }
}
