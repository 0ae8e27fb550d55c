import { Component, DestroyRef, OnInit, computed, inject, input, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { RouterLink } from '@angular/router';
import { switchMap, takeWhile, timer } from 'rxjs';

import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { LoadState } from '../../shared/load-state';
import { Notifier } from '../../shared/notify';
import { StatusChip } from '../../shared/status-chip';
import { SagasApi } from '../sagas/sagas.api';
import { StorageElement } from '../storage-elements/storage-elements.api';
import { CopiesApi, CopiesReport, CopyEntry } from './copies.api';

const POLL_MS = 2000;
const TERMINAL = ['completed', 'compensated', 'failed'];

/** The repairer's last scan (issue 10): files below their copy target or lost, the SEs that
 * hold the only healthy copy of some files, the last run's repairs, and "Repair now". */
@Component({
  selector: 'app-copies-panel',
  imports: [MatButtonModule, MatProgressBarModule, RouterLink, StatusChip, LoadState, ...I18N_PIPES],
  template: `
    <section class="panel" data-testid="copies-panel">
      <div class="section-head">
        <h2>{{ 'copies.title' | t }}</h2>
        @if (auth.can('storage:admin')) {
          <button mat-stroked-button (click)="repair()" [disabled]="running() !== null" data-testid="copies-repair">{{ 'copies.repairNow' | t }}</button>
        }
      </div>
      @if (running(); as id) {
        <div class="running" data-testid="copies-running">
          <mat-progress-bar mode="indeterminate" />
          <span>{{ 'copies.running' | t }}</span> <a [routerLink]="['/sagas']" [queryParams]="{ id }">{{ 'files.openSaga' | t }}</a>
        </div>
      }
      <app-load-state [loading]="!report() && !error()" [error]="error()" failedText="copies.failed" (retry)="load()" />
      @if (report(); as r) {
        <div class="counts">
          <div class="count" [class.bad]="r.lost_count > 0" data-testid="copies-lost">
            <span class="n">{{ r.lost_count | num }}</span><span class="muted">{{ 'copies.lost' | t }}</span></div>
          <div class="count" [class.warn]="r.under_replicated_count > 0" data-testid="copies-under">
            <span class="n">{{ r.under_replicated_count | num }}</span><span class="muted">{{ 'copies.under' | t }}</span></div>
          <div class="count" data-testid="copies-seen">
            <span class="n">{{ r.files_seen | num }}</span><span class="muted">{{ 'copies.seen' | t }}</span></div>
        </div>
        <p class="muted" data-testid="copies-scanned">
          @if (r.scanned_at) {
            {{ 'copies.scannedAt' | t: { at: (r.scanned_at | dt) } }}
            @if (r.saga_state) { <app-status [value]="r.saga_state" /> }
            @if (r.storage_element_id) { <span class="scope" data-testid="copies-scope">{{ 'copies.scopedTo' | t: { name: name(r.storage_element_id) } }}</span> }
            @if (r.saga_id) { <a [routerLink]="['/sagas']" [queryParams]="{ id: r.saga_id }">{{ 'files.openSaga' | t }}</a> }
          } @else { {{ 'copies.neverScanned' | t }} }
        </p>
        @if (r.unseen_storage_elements.length) {
          <p class="warn-text" data-testid="copies-unseen">{{ 'copies.unseen' | t: { names: names(r.unseen_storage_elements) } }}</p>
        }

        <h3>{{ 'copies.sole' | t }}</h3>
        @if (sole().length) {
          <table class="list" data-testid="copies-sole">
            @for (s of sole(); track s.name) {
              <tr [attr.data-testid]="'sole-' + s.name"><td>{{ s.name }}</td><td class="num">{{ s.count | num }}</td>
                @if (auth.can('storage:admin') && s.id) {
                  <td><button mat-button (click)="repair(s.id)" [disabled]="running() !== null" [attr.data-testid]="'sole-repair-' + s.name"
                              [attr.aria-label]="'copies.repairSe' | t: { name: s.name }">{{ 'copies.repairNow' | t }}</button></td>
                }</tr>
            }
          </table>
        } @else { <p class="muted" data-testid="copies-sole-none">{{ 'copies.soleNone' | t }}</p> }

        @for (group of groups(r); track group.key) {
          @if (group.items.length) {
            <h3>{{ group.key | t }}</h3>
            <ul class="files" [attr.data-testid]="group.testid">
              @for (e of group.items; track e.file_id) {
                <li><a [routerLink]="['/files', e.file_id]" class="id" [title]="e.file_id">{{ e.file_id }}</a>
                  <span class="muted">{{ 'copies.healthyOf' | t: { n: e.healthy.length, target: e.target } }}</span>
                  @if (e.quarantined.length) { <span class="warn-text">{{ 'copies.quarantinedOn' | t: { names: names(e.quarantined) } }}</span> }
                  @if (e.missing.length) { <span class="warn-text">{{ 'copies.missingOn' | t: { names: names(e.missing) } }}</span> }
                </li>
              }
            </ul>
            @if (group.total > group.items.length) { <p class="muted">{{ 'copies.more' | t: { n: group.total - group.items.length } }}</p> }
          }
        }

        @if (r.repaired || r.failed) {
          <h3>{{ 'copies.lastRun' | t }}</h3>
          <p data-testid="copies-last-run">{{ 'copies.lastRunLine' | t: { ok: r.repaired?.length ?? 0, bad: r.failed?.length ?? 0 } }}</p>
          <ul class="files" data-testid="copies-repaired">
            @for (o of r.repaired ?? []; track o.file_id) {
              <li><a [routerLink]="['/files', o.file_id]" class="id" [title]="o.file_id">{{ o.file_id }}</a>
                <span class="muted">{{ (o.rewritten ? 'copies.rewritten' : 'copies.copied') | t: { from: name(o.source), to: name(o.target) } }}</span></li>
            }
            @for (o of r.failed ?? []; track o.file_id) {
              <li class="failed" data-testid="copies-failure"><a [routerLink]="['/files', o.file_id]" class="id" [title]="o.file_id">{{ o.file_id }}</a>
                <span class="error-text">{{ o.error }}</span></li>
            }
          </ul>
        }
      }
    </section>
  `,
  styles: `
    :host { display: block; margin-bottom: 16px; }
    h2 { font-size: 16px; margin: 0 0 12px; }
    a { color: #1f3a5f; }
    .section-head { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
    h3 { font-size: 14px; margin: 14px 0 6px; }
    .counts { display: flex; flex-wrap: wrap; gap: 24px; margin: 4px 0 8px; }
    .count { display: flex; flex-direction: column; }
    .count .n { font-size: 26px; font-weight: 600; color: #1f3a5f; }
    .count.warn .n { color: #7a5300; } .count.bad .n { color: #b3261e; }
    .scope { margin-right: 6px; }
    .warn-text { color: #7a5300; } .files .warn-text, .files .error-text { font-size: 12px; }
    .running { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 8px; }
    .running mat-progress-bar { flex-basis: 100%; }
    .list { border-collapse: collapse; min-width: 240px; }
    .list td { padding: 2px 8px; border-bottom: 1px solid #f0f1f3; }
    .num { text-align: right; font-variant-numeric: tabular-nums; }
    .files { list-style: none; padding: 0; margin: 0; max-height: 264px; overflow: auto; }
    .files li { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; padding: 4px 0; border-bottom: 1px solid #f0f1f3; min-width: 0; }
    .files .id { max-width: 100%; }
  `,
})
export class CopiesPanel implements OnInit {
  /** The registry, to show SE names instead of ids (null while it loads). */
  readonly ses = input<StorageElement[] | null>(null);
  readonly auth = inject(AuthService);
  private readonly api = inject(CopiesApi);
  private readonly sagas = inject(SagasApi);
  private readonly i18n = inject(I18nService);
  private readonly notify = inject(Notifier);
  private readonly destroyRef = inject(DestroyRef);
  readonly report = signal<CopiesReport | null>(null);
  readonly error = signal<string | null>(null);
  /** The saga id of a repair run this page started and follows. */
  readonly running = signal<string | null>(null);

  readonly sole = computed(() =>
    Object.entries(this.report()?.sole_copies ?? {})
      .map(([name, count]) => ({ name, count, id: this.ses()?.find((s) => s.name === name)?.id }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
  );

  ngOnInit(): void {
    this.load();
  }

  load(): void {
    this.error.set(null);
    this.report.set(null);
    this.api.report().subscribe({ next: (r) => this.report.set(r), error: (e) => this.error.set(this.i18n.error(e)) });
  }

  groups(r: CopiesReport): { key: string; testid: string; items: CopyEntry[]; total: number }[] {
    return [
      { key: 'copies.lostList', testid: 'copies-lost-list', items: r.lost, total: r.lost_count },
      { key: 'copies.underList', testid: 'copies-under-list', items: r.under_replicated, total: r.under_replicated_count },
    ];
  }

  name(id: string | undefined): string {
    if (!id) return '—';
    return this.ses()?.find((s) => s.id === id)?.name ?? id.slice(0, 8) + '…';
  }

  names(ids: string[]): string {
    return ids.map((id) => this.name(id)).join(', ');
  }

  /** A run over every file, or (with an SE id) over only the files of that SE. */
  repair(storageElementId?: string): void {
    this.api.repair(storageElementId).subscribe({
      next: (saga) => {
        this.running.set(saga.id);
        this.notify.ok('copies.started');
        timer(POLL_MS, POLL_MS)
          .pipe(
            switchMap(() => this.sagas.get(saga.id)),
            takeWhile((s) => !TERMINAL.includes(s.state), true),
            takeUntilDestroyed(this.destroyRef),
          )
          .subscribe({
            next: (s) => {
              if (!TERMINAL.includes(s.state)) return;
              this.running.set(null);
              this.load();
            },
            error: (e) => {
              this.running.set(null);
              this.notify.error(e);
            },
          });
      },
      error: (e) => this.notify.error(e),
    });
  }
}
