import { Component, OnInit, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { RouterLink } from '@angular/router';

import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { StatusChip } from '../../shared/status-chip';
import { UsageBar } from '../../shared/usage-bar';
import { AuditApi, AuditEvent } from '../audit/audit.api';
import { FilesApi } from '../files/files.api';
import { StorageElement, StorageElementsApi, usagePercent } from '../storage-elements/storage-elements.api';
import { MatDialog } from '@angular/material/dialog';
import { filter, switchMap } from 'rxjs';

import { confirm } from '../../shared/confirm-dialog';
import { Notifier } from '../../shared/notify';
import { KeyStatus, KeysApi } from './keys.api';
import { TrendDay, trendDays, trendStart } from './trend';
import { LoadState } from '../../shared/load-state';
import { ActionPipe } from '../../shared/audit-action';
import { CopiesPanel } from '../copies/copies-panel';
import { DashFigures } from './dash-figures';
import { RecordsApi } from '../records/records.api';

const TREND_DAYS = 14;

@Component({
  selector: 'app-dashboard',
  imports: [RouterLink, MatButtonModule, StatusChip, UsageBar, LoadState, ActionPipe, CopiesPanel, DashFigures, ...I18N_PIPES],
  templateUrl: './dashboard.page.html',
  styleUrl: './dashboard.page.scss',
})
export class DashboardPage implements OnInit {
  private readonly seApi = inject(StorageElementsApi);
  private readonly auditApi = inject(AuditApi);
  private readonly filesApi = inject(FilesApi);
  private readonly i18n = inject(I18nService);
  private readonly keysApi = inject(KeysApi);
  private readonly dialog = inject(MatDialog);
  private readonly notify = inject(Notifier);
  private readonly recordsApi = inject(RecordsApi);
  readonly auth = inject(AuthService);
  readonly keys = signal<KeyStatus | null>(null);

  readonly ses = signal<StorageElement[] | null>(null);
  readonly seError = signal<string | null>(null);
  readonly activity = signal<AuditEvent[] | null>(null);
  readonly activityError = signal<string | null>(null);
  readonly trend = signal<TrendDay[] | null>(null);
  readonly trendError = signal<string | null>(null);
  readonly catalogTotal = signal<number | null>(null);
  /** Files due for disposition (records:read); a failure shows "—", not zero. */
  readonly dueCount = signal<number | null>(null);
  readonly dueFailed = signal(false);
  readonly trendDays = TREND_DAYS;
  readonly pct = usagePercent;

  readonly totals = computed(() => {
    const list = this.ses() ?? [];
    const sum = (f: (s: StorageElement) => number) => list.reduce((n, s) => n + (f(s) || 0), 0);
    const capacity = sum((s) => s.capacity_bytes);
    const used = sum((s) => s.used_bytes);
    return {
      count: list.length,
      online: list.filter((s) => s.status === 'online').length,
      degraded: list.filter((s) => s.status === 'degraded').length,
      offline: list.filter((s) => s.status === 'offline').length,
      files: sum((s) => s.file_count),
      capacity,
      used,
      percent: capacity ? (100 * used) / capacity : 0,
      writable: {
        edit: list.filter((s) => s.mode === 'edit' && s.status === 'online' && !s.draining).length,
        rw: list.filter((s) => s.mode === 'rw' && s.status === 'online' && !s.draining).length,
      },
    };
  });
  readonly trendMax = computed(() => Math.max(1, ...(this.trend() ?? []).map((d) => d.count)));

  ngOnInit(): void {
    if (this.auth.can('storage:read')) this.loadSes();
    if (this.auth.can('audit:read')) this.loadActivity();
    if (this.auth.can('files:read')) this.loadTrend();
    if (this.auth.can('keys:admin')) this.loadKeys();
    if (this.auth.can('records:read')) {
      this.recordsApi.candidateCount().subscribe({ next: (c) => this.dueCount.set(c.count), error: () => this.dueFailed.set(true) });
    }
  }

  loadSes(): void {
    this.seError.set(null);
    this.ses.set(null);
    this.seApi.list().subscribe({ next: (p) => this.ses.set(p.items), error: (e) => this.seError.set(this.i18n.error(e)) });
  }

  loadActivity(): void {
    this.activityError.set(null);
    this.activity.set(null);
    this.auditApi.list({ limit: 10 }).subscribe({
      next: (p) => this.activity.set(p.items),
      error: (e) => this.activityError.set(this.i18n.error(e)),
    });
  }

  private loadKeys(): void {
    this.keysApi.status().subscribe({ next: (k) => this.keys.set(k), error: () => undefined });
  }

  rotateKey(): void {
    confirm(this.dialog, {
      title: this.i18n.t('keys.rotateTitle'),
      message: this.i18n.t('keys.rotateMessage'),
      confirm: this.i18n.t('keys.rotate'),
    })
      .pipe(filter((ok) => ok === true), switchMap(() => this.keysApi.rotate()))
      .subscribe({
        next: (r) => {
          this.notify.ok('keys.rotated', { kid: r.kid });
          this.loadKeys();
        },
        error: (e) => this.notify.error(e),
      });
  }

  /** Uploads per UTC day = catalogue files created that day (files deleted since are not
   * counted): one search with the `created_day` facet, plus one count for the total. */
  loadTrend(): void {
    const now = new Date();
    this.trendError.set(null);
    this.trend.set(null);
    this.filesApi.count({}).subscribe({ next: (p) => this.catalogTotal.set(p.total), error: () => undefined });
    this.filesApi.search({ created_from: trendStart(now, TREND_DAYS), facets: true, limit: 1 }).subscribe({
      next: (p) => this.trend.set(trendDays(now, TREND_DAYS, p.facets?.['created_day'] ?? [])),
      error: (e) => this.trendError.set(this.i18n.error(e)),
    });
  }

  dayLabel(d: TrendDay): string {
    return new Intl.DateTimeFormat(this.i18n.locale(), { day: '2-digit', month: '2-digit', timeZone: 'UTC' }).format(new Date(d.day + 'T00:00:00Z'));
  }
}
