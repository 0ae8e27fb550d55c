import { Component, inject } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatDialog } from '@angular/material/dialog';
import { MatPaginatorModule } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatTableModule } from '@angular/material/table';
import { filter, switchMap } from 'rxjs';

import { AuthService } from '../../core/auth/auth.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { confirm } from '../../shared/confirm-dialog';
import { StatusChip } from '../../shared/status-chip';
import { AdminUserDialog } from './admin-user.dialog';
import { ADMIN_ROLES, AdminUser, AdminUsersApi } from './admin-users.api';
import { PagedListPage } from '../../shared/paged-list';
import { LoadState } from '../../shared/load-state';

@Component({
  selector: 'app-admin-users',
  imports: [FormsModule, MatFormFieldModule, MatInputModule, MatSelectModule, MatTableModule, MatButtonModule, MatPaginatorModule, MatProgressBarModule, StatusChip, LoadState, ...I18N_PIPES],
  template: `
    <div class="toolbar-row">
      <h1 class="page-title grow">{{ 'users.title' | t }}</h1>
      @if (canAdmin()) { <button mat-flat-button (click)="edit(null)" data-testid="user-add">{{ 'users.create' | t }}</button> }
    </div>
    <div class="toolbar-row">
      <mat-form-field subscriptSizing="dynamic" class="grow">
        <mat-label>{{ 'common.search' | t }}</mat-label>
        <input matInput [(ngModel)]="q" (keyup.enter)="reload()" />
      </mat-form-field>
      <mat-form-field subscriptSizing="dynamic">
        <mat-label>{{ 'users.role' | t }}</mat-label>
        <mat-select [(ngModel)]="role" (selectionChange)="reload()">
          <mat-option value="">{{ 'common.all' | t }}</mat-option>
          @for (r of roles; track r) { <mat-option [value]="r">{{ 'role.' + r | t }}</mat-option> }
        </mat-select>
      </mat-form-field>
      <mat-form-field subscriptSizing="dynamic">
        <mat-label>{{ 'common.status' | t }}</mat-label>
        <mat-select [(ngModel)]="status" (selectionChange)="reload()">
          <mat-option value="">{{ 'common.all' | t }}</mat-option>
          @for (s of statuses; track s) { <mat-option [value]="s">{{ 'status.' + s | t }}</mat-option> }
        </mat-select>
      </mat-form-field>
      <button mat-stroked-button (click)="reload()">{{ 'common.search' | t }}</button>
    </div>
    <div class="panel">
      @if (loading() && items().length) { <mat-progress-bar mode="indeterminate" /> }
      <app-load-state [loading]="loading() && !items().length" [error]="error()" [empty]="loaded() && !items().length"
                      emptyText="users.empty" failedText="users.loadFailed" (retry)="load()" />
      <table mat-table [dataSource]="items()" class="reflow" [class.hidden]="!items().length">
        <ng-container matColumnDef="username">
          <th mat-header-cell *matHeaderCellDef>{{ 'users.username' | t }}</th>
          <td mat-cell *matCellDef="let u"><strong>{{ u.username }}</strong>
            @if (u.is_system) { <span class="muted"> · {{ 'sa.system' | t }}</span> }
            <div class="muted">{{ u.full_name }} {{ u.email }}</div></td>
        </ng-container>
        <ng-container matColumnDef="role">
          <th mat-header-cell *matHeaderCellDef>{{ 'users.role' | t }}</th>
          <td mat-cell *matCellDef="let u" [attr.data-label]="'users.role' | t">{{ 'role.' + u.role | t: null : u.role }}</td>
        </ng-container>
        <ng-container matColumnDef="status">
          <th mat-header-cell *matHeaderCellDef>{{ 'common.status' | t }}</th>
          <td mat-cell *matCellDef="let u" [attr.data-label]="'common.status' | t"><app-status [value]="u.status" />
            @if (u.locked_until) { <div class="muted">{{ 'users.lockedUntil' | t: { when: (u.locked_until | dt) } }}</div> }</td>
        </ng-container>
        <ng-container matColumnDef="last_login">
          <th mat-header-cell *matHeaderCellDef>{{ 'users.lastLogin' | t }}</th>
          <td mat-cell *matCellDef="let u" [attr.data-label]="'users.lastLogin' | t">{{ u.last_login_at | dt }}</td>
        </ng-container>
        <ng-container matColumnDef="actions">
          <th mat-header-cell *matHeaderCellDef></th>
          <td mat-cell *matCellDef="let u">
            @if (canAdmin() && u.status !== 'deleted') {
              <div class="row-actions">
                <button mat-button (click)="edit(u)">{{ 'common.edit' | t }}</button>
                @if (u.locked_until) { <button mat-button (click)="unlock(u)">{{ 'users.unlock' | t }}</button> }
                <button mat-button (click)="remove(u)" [disabled]="u.is_system" [attr.title]="u.is_system ? ('users.systemProtected' | t) : null">{{ 'common.delete' | t }}</button>
              </div>
            }
          </td>
        </ng-container>
        <tr mat-header-row *matHeaderRowDef="columns"></tr>
        <tr mat-row *matRowDef="let row; columns: columns"></tr>
      </table>
      <mat-paginator [class.hidden]="!total()" [length]="total()" [pageSize]="limit" [pageIndex]="page" [pageSizeOptions]="[20, 50, 100]" (page)="onPage($event)" />
    </div>
  `,
})
export class AdminUsersPage extends PagedListPage<AdminUser> {
  private readonly api = inject(AdminUsersApi);
  private readonly dialog = inject(MatDialog);
  private readonly auth = inject(AuthService);
  readonly columns = ['username', 'role', 'status', 'last_login', 'actions'];
  readonly canAdmin = () => this.auth.can('accounts:admin');
  readonly roles = ADMIN_ROLES;
  readonly statuses = ['active', 'disabled', 'deleted'];
  q = '';
  role = '';
  status = '';

  protected fetch(limit: number, offset: number) {
    return this.api.list({ q: this.q.trim(), role: this.role, status: this.status, limit, offset });
  }

  edit(u: AdminUser | null): void {
    this.dialog.open(AdminUserDialog, { data: u }).afterClosed().subscribe((r) => {
      if (r) {
        this.notify.ok('common.saved');
        this.load();
      }
    });
  }

  unlock(u: AdminUser): void {
    this.api.unlock(u.id).subscribe({ next: () => { this.notify.ok('common.saved'); this.load(); }, error: (e) => this.notify.error(e) });
  }

  remove(u: AdminUser): void {
    confirm(this.dialog, {
      title: this.i18n.t('users.deleteTitle', { name: u.username }),
      message: this.i18n.t('users.deleteMessage'),
      confirm: this.i18n.t('common.delete'),
      danger: true,
    })
      .pipe(filter((ok) => ok === true), switchMap(() => this.api.remove(u.id)))
      .subscribe({ next: () => { this.notify.ok('common.deleted'); this.load(); }, error: (e) => this.notify.error(e) });
  }
}
