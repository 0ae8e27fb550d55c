import { Component, OnInit, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatTableModule } from '@angular/material/table';
import { MatTooltipModule } from '@angular/material/tooltip';
import { RouterLink } from '@angular/router';

import { I18nService } from '../../core/i18n/i18n.service';
import { LoadState } from '../../shared/load-state';

import { AuthService } from '../../core/auth/auth.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { Notifier } from '../../shared/notify';
import { StatusChip } from '../../shared/status-chip';
import { UsageBar } from '../../shared/usage-bar';
import { RetentionCountdown } from './retention-countdown';
import { SeActions } from './se-actions';
import { SeWizardDialog } from './se-wizard.dialog';
import { NEXT_MODE, StorageElement, StorageElementsApi, usagePercent } from './storage-elements.api';

@Component({
  selector: 'app-se-list',
  imports: [MatTableModule, MatButtonModule, MatProgressBarModule, MatTooltipModule, RouterLink, StatusChip, UsageBar, RetentionCountdown, LoadState, ...I18N_PIPES],
  template: `
    <div class="toolbar-row">
      <h1 class="page-title grow">{{ 'se.title' | t }}</h1>
      <button mat-stroked-button (click)="load()">{{ 'common.refresh' | t }}</button>
      @if (canAdmin()) {
        <button mat-stroked-button (click)="syncAll()">{{ 'se.syncAll' | t }}</button>
        <button mat-flat-button (click)="openWizard()" data-testid="se-add">{{ 'se.add' | t }}</button>
      }
    </div>
    <div class="panel">
      @if (loading() && items().length) { <mat-progress-bar mode="indeterminate" /> }
      <app-load-state [loading]="loading() && !items().length" [error]="error()" [empty]="loaded() && !items().length"
                      emptyText="se.empty" failedText="se.loadFailed" (retry)="load()" />
      @if (items().length) {
      <table mat-table [dataSource]="items()" class="reflow" data-testid="se-table">
        <ng-container matColumnDef="name">
          <th mat-header-cell *matHeaderCellDef>{{ 'se.name' | t }}</th>
          <td mat-cell *matCellDef="let se">
            <a [routerLink]="['/storage-elements', se.id]" class="name">{{ se.name }}</a>
            <div class="muted">{{ se.backend }} · {{ 'se.priority' | t }} {{ se.priority }}</div>
          </td>
        </ng-container>
        <ng-container matColumnDef="mode">
          <th mat-header-cell *matHeaderCellDef>{{ 'se.mode' | t }}</th>
          <td mat-cell *matCellDef="let se" [attr.data-label]="'se.mode' | t" [attr.data-testid]="'se-modecell-' + se.name">
            <app-status [value]="se.mode" prefix="mode" />
            @if (se.draining) { <app-status value="draining" /> }
          </td>
        </ng-container>
        <ng-container matColumnDef="status">
          <th mat-header-cell *matHeaderCellDef>{{ 'se.health' | t }}</th>
          <td mat-cell *matCellDef="let se" [attr.data-label]="'se.health' | t"><app-status [value]="se.status" [matTooltip]="se.last_error ?? ''" /></td>
        </ng-container>
        <ng-container matColumnDef="usage">
          <th mat-header-cell *matHeaderCellDef>{{ 'se.usage' | t }}</th>
          <td mat-cell *matCellDef="let se" [attr.data-label]="'se.usage' | t">
            <div class="grow"><app-usage-bar [percent]="pct(se)" />
            <div class="muted">{{ se.used_bytes | bytes }} / {{ se.capacity_bytes | bytes }} · {{ 'se.files' | t: { n: (se.file_count | num) } }}</div></div>
          </td>
        </ng-container>
        <ng-container matColumnDef="retention">
          <th mat-header-cell *matHeaderCellDef>{{ 'se.retention' | t }}</th>
          <td mat-cell *matCellDef="let se" [attr.data-label]="'se.retention' | t"><app-retention [se]="se" /></td>
        </ng-container>
        <ng-container matColumnDef="actions">
          <th mat-header-cell *matHeaderCellDef></th>
          <td mat-cell *matCellDef="let se">
            <div class="row-actions">
              @if (canAdmin()) {
                <button mat-button (click)="sync(se)">{{ 'se.sync' | t }}</button>
                @if (nextMode(se); as target) {
                  <button mat-button (click)="changeMode(se)" [attr.data-testid]="'se-mode-' + se.name">{{ 'se.switchTo' | t: { to: ('mode.' + target | t) } }}</button>
                }
              }
            </div>
          </td>
        </ng-container>
        <tr mat-header-row *matHeaderRowDef="columns"></tr>
        <tr mat-row *matRowDef="let row; columns: columns" [attr.data-testid]="'se-row-' + row.name"></tr>
      </table>
      }
    </div>
  `,
  styles: `.name { font-weight: 600; color: #1f3a5f; } .grow { flex: 1; min-width: 0; }`,
})
export class SeListPage implements OnInit {
  private readonly api = inject(StorageElementsApi);
  private readonly actions = inject(SeActions);
  private readonly dialog = inject(MatDialog);
  private readonly notify = inject(Notifier);
  private readonly auth = inject(AuthService);
  readonly items = signal<StorageElement[]>([]);
  readonly loading = signal(false);
  readonly loaded = signal(false);
  readonly error = signal<string | null>(null);
  private readonly i18n = inject(I18nService);
  readonly columns = ['name', 'mode', 'status', 'usage', 'retention', 'actions'];
  readonly canAdmin = () => this.auth.can('storage:admin');
  readonly pct = usagePercent;

  ngOnInit(): void {
    this.load();
  }

  load(): void {
    this.loading.set(true);
    this.error.set(null);
    this.api.list().subscribe({
      next: (p) => {
        this.items.set(p.items);
        this.loading.set(false);
        this.loaded.set(true);
      },
      error: (e) => {
        this.loading.set(false);
        // Never show an old or empty list as if it were the registry's answer.
        this.items.set([]);
        this.error.set(this.i18n.error(e));
      },
    });
  }

  nextMode(se: StorageElement): string | undefined {
    return NEXT_MODE[se.mode];
  }

  openWizard(): void {
    this.dialog.open(SeWizardDialog, { width: '640px' }).afterClosed().subscribe((r) => r && this.load());
  }

  sync(se: StorageElement): void {
    this.actions.sync(se).subscribe({ next: () => this.load(), error: () => undefined });
  }

  syncAll(): void {
    this.api.syncAll().subscribe({ next: () => { this.notify.ok('se.syncedAll'); this.load(); }, error: (e) => this.notify.error(e) });
  }

  changeMode(se: StorageElement): void {
    this.actions.changeMode(se).subscribe({ next: () => this.load(), error: () => undefined });
  }
}
