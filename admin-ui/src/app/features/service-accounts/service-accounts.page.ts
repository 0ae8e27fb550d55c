import { Component, inject } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatMenuModule } from '@angular/material/menu';
import { MatPaginatorModule } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { Observable, filter, switchMap } from 'rxjs';

import { AuthService } from '../../core/auth/auth.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { confirm } from '../../shared/confirm-dialog';
import { StatusChip } from '../../shared/status-chip';
import { SaCreateDialog } from './sa-create.dialog';
import { SecretDialog } from './secret.dialog';
import { SA_ROLES, ServiceAccount, ServiceAccountWithSecret, ServiceAccountsApi } from './service-accounts.api';
import { PagedListPage } from '../../shared/paged-list';
import { LoadState } from '../../shared/load-state';

@Component({
  selector: 'app-service-accounts',
  imports: [
    FormsModule, MatTableModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, MatMenuModule,
    MatPaginatorModule, MatProgressBarModule, StatusChip, LoadState, ...I18N_PIPES,
  ],
  template: `
    <div class="toolbar-row">
      <h1 class="page-title grow">{{ 'sa.title' | t }}</h1>
      @if (canAdmin()) {
        <button mat-flat-button (click)="create()" data-testid="sa-add">{{ 'sa.create' | t }}</button>
      }
    </div>
    <div class="toolbar-row">
      <mat-form-field subscriptSizing="dynamic" class="grow">
        <mat-label>{{ 'common.search' | t }}</mat-label>
        <input matInput [(ngModel)]="q" (keyup.enter)="reload()" data-testid="sa-search" />
      </mat-form-field>
      <mat-form-field subscriptSizing="dynamic">
        <mat-label>{{ 'sa.role' | t }}</mat-label>
        <mat-select [(ngModel)]="role" (selectionChange)="reload()">
          <mat-option value="">{{ 'common.all' | t }}</mat-option>
          @for (r of roles; track r) { <mat-option [value]="r">{{ 'saRole.' + r | t }}</mat-option> }
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
                      emptyText="sa.empty" failedText="sa.loadFailed" (retry)="load()" />
      <table mat-table [dataSource]="items()" class="reflow" [class.hidden]="!items().length" data-testid="sa-table">
        <ng-container matColumnDef="name">
          <th mat-header-cell *matHeaderCellDef>{{ 'sa.name' | t }}</th>
          <td mat-cell *matCellDef="let a"><strong>{{ a.name }}</strong>
            @if (a.is_system) { <span class="muted"> · {{ 'sa.system' | t }}</span> }
            <div class="muted">{{ a.description }}</div></td>
        </ng-container>
        <ng-container matColumnDef="client_id">
          <th mat-header-cell *matHeaderCellDef>client_id</th>
          <td mat-cell *matCellDef="let a" data-label="client_id"><span class="id" [title]="a.client_id">{{ a.client_id }}</span></td>
        </ng-container>
        <ng-container matColumnDef="role">
          <th mat-header-cell *matHeaderCellDef>{{ 'sa.role' | t }}</th>
          <td mat-cell *matCellDef="let a" [attr.data-label]="'sa.role' | t">{{ 'saRole.' + a.role | t: null : a.role }}</td>
        </ng-container>
        <ng-container matColumnDef="status">
          <th mat-header-cell *matHeaderCellDef>{{ 'common.status' | t }}</th>
          <td mat-cell *matCellDef="let a" [attr.data-label]="'common.status' | t"><app-status [value]="a.status" /></td>
        </ng-container>
        <ng-container matColumnDef="secret">
          <th mat-header-cell *matHeaderCellDef>{{ 'sa.secretExpires' | t }}</th>
          <td mat-cell *matCellDef="let a" [attr.data-label]="'sa.secretExpires' | t">{{ a.secret_expires_at | dt: false }}</td>
        </ng-container>
        <ng-container matColumnDef="last_used">
          <th mat-header-cell *matHeaderCellDef>{{ 'sa.lastUsed' | t }}</th>
          <td mat-cell *matCellDef="let a" [attr.data-label]="'sa.lastUsed' | t">{{ a.last_used_at | dt }}</td>
        </ng-container>
        <ng-container matColumnDef="actions">
          <th mat-header-cell *matHeaderCellDef></th>
          <td mat-cell *matCellDef="let a">
            @if (canAdmin() && a.status !== 'deleted') {
              <button mat-button [matMenuTriggerFor]="menu" [attr.data-testid]="'sa-actions-' + a.client_id">{{ 'common.actions' | t }} ▾</button>
              <mat-menu #menu="matMenu">
                <button mat-menu-item (click)="rotate(a)">{{ 'sa.rotate' | t }}</button>
                @if (a.status === 'active') {
                  <button mat-menu-item (click)="suspend(a)" [disabled]="a.is_system">{{ 'sa.suspend' | t }}</button>
                } @else {
                  <button mat-menu-item (click)="activate(a)">{{ 'sa.activate' | t }}</button>
                }
                <button mat-menu-item (click)="remove(a)" [disabled]="a.is_system">{{ 'common.delete' | t }}</button>
              </mat-menu>
            }
          </td>
        </ng-container>
        <tr mat-header-row *matHeaderRowDef="columns"></tr>
        <tr mat-row *matRowDef="let row; columns: columns" [attr.data-testid]="'sa-row-' + row.client_id"></tr>
        <tr class="mat-row" *matNoDataRow><td class="mat-cell empty" [attr.colspan]="columns.length">{{ 'common.noData' | t }}</td></tr>
      </table>
      <mat-paginator [class.hidden]="!total()" [length]="total()" [pageSize]="limit" [pageIndex]="page" [pageSizeOptions]="[20, 50, 100]" (page)="onPage($event)" />
    </div>
  `,
  styles: `.empty { padding: 24px; text-align: center; color: #6b6f76; }`,
})
export class ServiceAccountsPage extends PagedListPage<ServiceAccount> {
  private readonly api = inject(ServiceAccountsApi);
  private readonly dialog = inject(MatDialog);
  private readonly auth = inject(AuthService);
  readonly roles = SA_ROLES;
  readonly statuses = ['active', 'suspended', 'deleted'];
  readonly columns = ['name', 'client_id', 'role', 'status', 'secret', 'last_used', 'actions'];
  readonly canAdmin = () => this.auth.can('accounts:admin');
  q = '';
  role = '';
  status = '';

  protected fetch(limit: number, offset: number) {
    return this.api.list({ q: this.q.trim(), role: this.role, status: this.status, limit, offset });
  }

  create(): void {
    this.dialog
      .open(SaCreateDialog)
      .afterClosed()
      .subscribe((acc?: ServiceAccountWithSecret) => {
        if (!acc) return;
        this.showSecret(acc);
        this.load();
      });
  }

  rotate(a: ServiceAccount): void {
    this.confirmThen('sa.rotateTitle', 'sa.rotateMessage', 'sa.rotate', a, () => this.api.rotateSecret(a.id)).subscribe({
      next: (acc) => {
        this.showSecret(acc as ServiceAccountWithSecret);
        this.load();
      },
      error: (e) => this.notify.error(e),
    });
  }

  suspend(a: ServiceAccount): void {
    this.confirmThen('sa.suspendTitle', 'sa.suspendMessage', 'sa.suspend', a, () => this.api.suspend(a.id)).subscribe(this.done('sa.suspended', a));
  }

  activate(a: ServiceAccount): void {
    this.api.activate(a.id).subscribe(this.done('sa.activated', a));
  }

  remove(a: ServiceAccount): void {
    this.confirmThen('sa.deleteTitle', 'sa.deleteMessage', 'common.delete', a, () => this.api.remove(a.id)).subscribe(this.done('sa.deleted', a));
  }

  private showSecret(acc: ServiceAccountWithSecret): void {
    this.dialog.open(SecretDialog, {
      data: { client_id: acc.client_id, client_secret: acc.client_secret, name: acc.name },
      disableClose: true,
      width: '560px',
    });
  }

  private done(key: string, a: ServiceAccount) {
    return { next: () => { this.notify.ok(key, { name: a.name }); this.load(); }, error: (e: unknown) => this.notify.error(e) };
  }

  private confirmThen<T>(title: string, message: string, action: string, a: ServiceAccount, call: () => Observable<T>): Observable<T> {
    return confirm(this.dialog, {
      title: this.i18n.t(title, { name: a.name }),
      message: this.i18n.t(message, { name: a.name }),
      confirm: this.i18n.t(action),
      danger: true,
    }).pipe(filter((ok) => ok === true), switchMap(call));
  }
}
