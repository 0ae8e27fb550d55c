import { Component, OnDestroy, OnInit, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatDialog } from '@angular/material/dialog';
import { MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatTableModule } from '@angular/material/table';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { filter, switchMap } from 'rxjs';

import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { confirm } from '../../shared/confirm-dialog';
import { saveBlob, withJsonError } from '../../shared/download';
import { LoadState } from '../../shared/load-state';
import { Notifier } from '../../shared/notify';
import { PagedListPage } from '../../shared/paged-list';
import { StatusChip } from '../../shared/status-chip';
import { DispositionBatch, DispositionCandidate, RecordsApi } from './records.api';

/** Files whose retention ended, proposed for destruction in batches a second person decides. */
@Component({
  selector: 'app-disposition',
  imports: [RouterLink, MatTableModule, MatButtonModule, MatCheckboxModule, MatPaginatorModule, LoadState, StatusChip, ...I18N_PIPES],
  template: `
    <h1 class="page-title">{{ 'disposition.title' | t }}</h1>
    <p class="muted intro">{{ 'disposition.intro' | t }}</p>
    <div class="panel" data-testid="disposition-candidates">
      <div class="toolbar-row">
        <h3 class="grow">{{ 'disposition.candidates' | t }}
          @if (loaded()) { <span class="muted" data-testid="disposition-count">· {{ total() | num }}</span> }</h3>
        @if (canWrite()) {
          <button mat-flat-button [disabled]="!selected().size" (click)="propose()" data-testid="disposition-propose">
            {{ 'disposition.propose' | t: { n: selected().size } }}</button>
        }
      </div>
      <app-load-state [loading]="loading() && !items().length" [error]="error()" [empty]="loaded() && !items().length"
                      emptyText="disposition.noCandidates" failedText="disposition.loadFailed" (retry)="load()" />
      <table mat-table [dataSource]="items()" class="reflow" [class.hidden]="!items().length">
        <ng-container matColumnDef="pick">
          <th mat-header-cell *matHeaderCellDef></th>
          <td mat-cell *matCellDef="let c">
            @if (canWrite()) {
              <mat-checkbox [checked]="selected().has(c.file_id)" (change)="toggle(c.file_id)" [attr.data-testid]="'candidate-pick-' + c.file_id" />
            }
          </td>
        </ng-container>
        <ng-container matColumnDef="name">
          <th mat-header-cell *matHeaderCellDef>{{ 'files.name' | t }}</th>
          <td mat-cell *matCellDef="let c"><a [routerLink]="['/files', c.file_id]">{{ c.original_filename ?? c.file_id }}</a></td>
        </ng-container>
        <ng-container matColumnDef="class">
          <th mat-header-cell *matHeaderCellDef>{{ 'disposition.class' | t }}</th>
          <td mat-cell *matCellDef="let c" [attr.data-label]="'disposition.class' | t">{{ c.retention_class ?? '—' }}
            <span class="muted">· {{ 'schedules.action.' + c.action | t }}</span></td>
        </ng-container>
        <ng-container matColumnDef="until">
          <th mat-header-cell *matHeaderCellDef>{{ 'disposition.retainUntil' | t }}</th>
          <td mat-cell *matCellDef="let c" [attr.data-label]="'disposition.retainUntil' | t">{{ c.retain_until | dt }}</td>
        </ng-container>
        <ng-container matColumnDef="size">
          <th mat-header-cell *matHeaderCellDef>{{ 'files.size' | t }}</th>
          <td mat-cell *matCellDef="let c" [attr.data-label]="'files.size' | t">{{ c.size === null ? '—' : (c.size | bytes) }}</td>
        </ng-container>
        <tr mat-header-row *matHeaderRowDef="columns"></tr>
        <tr mat-row *matRowDef="let row; columns: columns" [attr.data-testid]="'candidate-' + row.file_id"></tr>
      </table>
      <mat-paginator [class.hidden]="!total()" [length]="total()" [pageSize]="limit" [pageIndex]="page" [pageSizeOptions]="[20, 50, 100]" (page)="onPage($event)" />
    </div>

    <div class="panel" data-testid="disposition-batches">
      <h3>{{ 'disposition.batches' | t }}</h3>
      <app-load-state [loading]="batches() === null && !batchesError()" [error]="batchesError()" [empty]="!!batches() && !batches()!.length"
                      emptyText="disposition.noBatches" (retry)="loadBatches()" />
      @for (b of batches() ?? []; track b.id) {
        <div class="batch" [attr.data-testid]="'batch-' + b.id">
          <a [routerLink]="['/disposition', b.id]"><strong>{{ b.proposed_at | dt }}</strong></a>
          <app-status [value]="b.status" prefix="disposition.status" />
          <span>{{ 'disposition.byWhom' | t: { proposer: b.proposed_by, approver: b.decided_by ?? '—' } }}</span>
          <span class="muted">{{ 'disposition.counts' | t: { files: countOf(b, 'files'), destroyed: countOf(b, 'destroyed'), skipped: countOf(b, 'skipped') } }}</span>
        </div>
      }
      <mat-paginator [class.hidden]="batchesTotal() <= batchLimit" [length]="batchesTotal()" [pageSize]="batchLimit" [pageIndex]="batchPage" (page)="onBatchPage($event)" />
    </div>
  `,
  styles: `.intro { max-width: 760px; } .batch { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; padding: 6px 0; border-bottom: 1px solid #f0f1f3; }`,
})
export class DispositionPage extends PagedListPage<DispositionCandidate> implements OnInit {
  private readonly api = inject(RecordsApi);
  private readonly auth = inject(AuthService);
  private readonly dialog = inject(MatDialog);
  private readonly router = inject(Router);
  readonly columns = ['pick', 'name', 'class', 'until', 'size'];
  readonly canWrite = () => this.auth.can('records:write');
  readonly selected = signal<ReadonlySet<string>>(new Set());
  readonly batches = signal<DispositionBatch[] | null>(null);
  readonly batchesError = signal<string | null>(null);
  readonly batchesTotal = signal(0);
  readonly batchLimit = 20;
  batchPage = 0;

  protected fetch(limit: number, offset: number) {
    return this.api.candidates(limit, offset);
  }

  override ngOnInit(): void {
    super.ngOnInit();
    this.loadBatches();
  }

  loadBatches(): void {
    this.batchesError.set(null);
    this.batches.set(null);
    this.api.batches(this.batchLimit, this.batchPage * this.batchLimit).subscribe({
      next: (p) => {
        this.batches.set(p.items);
        this.batchesTotal.set(p.total);
      },
      error: (e) => this.batchesError.set(this.i18n.error(e)),
    });
  }

  onBatchPage(e: PageEvent): void {
    this.batchPage = e.pageIndex;
    this.loadBatches();
  }

  /** counts: files per outcome (pending, destroyed, skipped); 'files' is their sum. */
  countOf(b: DispositionBatch, key: string): number {
    const counts = b.counts ?? {};
    return key === 'files' ? Object.values(counts).reduce((a, n) => a + n, 0) : counts[key] ?? 0;
  }

  toggle(id: string): void {
    const next = new Set(this.selected());
    if (!next.delete(id)) next.add(id);
    this.selected.set(next);
  }

  propose(): void {
    const ids = [...this.selected()];
    confirm(this.dialog, {
      title: this.i18n.t('disposition.proposeTitle'),
      message: this.i18n.t('disposition.proposeMessage', { n: ids.length }),
      confirm: this.i18n.t('disposition.proposeOk'),
      danger: true,
      reasonLabel: this.i18n.t('disposition.reason'),
      reasonRequired: true,
    })
      .pipe(filter((r): r is string => typeof r === 'string'), switchMap((reason) => this.api.propose(ids, reason)))
      .subscribe({
        next: (b) => {
          this.notify.ok('disposition.proposed');
          void this.router.navigate(['/disposition', b.id]);
        },
        error: (e) => this.notify.error(e),
      });
  }
}

/** One batch: its files, the second person's decision, and the certificate once executed. */
@Component({
  selector: 'app-disposition-batch',
  imports: [RouterLink, MatButtonModule, LoadState, StatusChip, ...I18N_PIPES],
  template: `
    <a routerLink="/disposition" class="muted back">← {{ 'disposition.title' | t }}</a>
    <app-load-state [loading]="!batch() && !error()" [error]="error()" (retry)="load()" />
    @if (batch(); as b) {
      <div class="toolbar-row">
        <h1 class="page-title grow">{{ 'disposition.batchTitle' | t: { at: (b.proposed_at | dt) } }}</h1>
        <app-status [value]="b.status" prefix="disposition.status" data-testid="batch-status" />
      </div>
      <div class="panel">
        <dl class="kv">
          <dt>{{ 'disposition.reason' | t }}</dt><dd>{{ b.reason }}</dd>
          <dt>{{ 'disposition.proposedBy' | t }}</dt><dd>{{ b.proposed_by }} · {{ b.proposed_at | dt }}</dd>
          <dt>{{ 'disposition.decidedBy' | t }}</dt>
          <dd>{{ b.decided_by ?? '—' }}@if (b.decided_at) { · {{ b.decided_at | dt }} }@if (b.decision_reason) { · {{ b.decision_reason }} }</dd>
          @if (b.saga_id) { <dt>{{ 'disposition.saga' | t }}</dt><dd><a [routerLink]="['/sagas']" [queryParams]="{ id: b.saga_id }" class="id">{{ b.saga_id }}</a></dd> }
          @if (b.executed_at) { <dt>{{ 'disposition.executedAt' | t }}</dt><dd>{{ b.executed_at | dt }}</dd> }
        </dl>
        @if (b.status === 'proposed' && canWrite()) {
          @if (isProposer(b)) {
            <p class="muted" data-testid="batch-four-eyes">{{ 'disposition.fourEyes' | t }}</p>
          } @else {
            <div class="actions">
              <button mat-flat-button class="danger" (click)="decide(b, 'approve')" data-testid="batch-approve">{{ 'disposition.approve' | t }}</button>
              <button mat-stroked-button (click)="decide(b, 'reject')" data-testid="batch-reject">{{ 'disposition.reject' | t }}</button>
            </div>
          }
        }
        @if (b.certificate_file_id) {
          <div class="actions" data-testid="batch-certificate">
            <button mat-stroked-button (click)="download(b, 'pdf')" data-testid="certificate-pdf">{{ 'disposition.certificatePdf' | t }}</button>
            <button mat-stroked-button (click)="download(b, 'json')" data-testid="certificate-json">{{ 'disposition.certificateJson' | t }}</button>
            <button mat-button (click)="verify(b)" data-testid="certificate-verify">{{ 'disposition.verify' | t }}</button>
          </div>
          @if (verification(); as v) {
            <p [class.ok-text]="v.valid" [class.error-text]="!v.valid" data-testid="certificate-verified">
              {{ (v.valid ? 'disposition.verifiedOk' : 'disposition.verifiedBad') | t: { from: v.seq_from, to: v.seq_to, n: v.checked, reason: v.reason ?? '' } }}</p>
          }
        }
      </div>
      <div class="panel" data-testid="batch-files">
        <h3>{{ 'disposition.files' | t }}</h3>
        @for (i of b.items ?? []; track i.file_id) {
          <div class="item" [attr.data-testid]="'batch-item-' + i.file_id">
            <span>{{ i.record?.original_filename ?? i.file_id }}</span>
            <app-status [value]="i.outcome" prefix="disposition.outcome" />
            @if (i.reason) { <span class="muted">{{ i.reason }}</span> }
            @if (i.record?.sha256) { <span class="id muted" [title]="i.record!.sha256!">{{ i.record!.sha256 }}</span> }
          </div>
        }
      </div>
    }
  `,
  styles: `.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
           .item { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; padding: 4px 0; border-bottom: 1px solid #f0f1f3; }
           .item .id { max-width: 240px; } .back { display: inline-block; margin-bottom: 8px; }`,
})
export class DispositionBatchPage implements OnInit, OnDestroy {
  private readonly api = inject(RecordsApi);
  private readonly auth = inject(AuthService);
  private readonly dialog = inject(MatDialog);
  private readonly i18n = inject(I18nService);
  private readonly notify = inject(Notifier);
  readonly batch = signal<DispositionBatch | null>(null);
  readonly error = signal<string | null>(null);
  readonly verification = signal<{ valid: boolean; seq_from: number; seq_to: number; checked: number; reason: string | null } | null>(null);
  readonly canWrite = () => this.auth.can('records:write');
  private readonly id = inject(ActivatedRoute).snapshot.paramMap.get('id') ?? '';
  private timer: ReturnType<typeof setTimeout> | null = null;

  ngOnInit(): void {
    this.load();
  }

  load(): void {
    this.error.set(null);
    this.api.batch(this.id).subscribe({
      next: (b) => {
        this.batch.set(b);
        // An approved batch runs as a saga: follow it until it is executed.
        if (['approved', 'executing'].includes(b.status)) this.timer = setTimeout(() => this.load(), 2000);
      },
      error: (e) => this.error.set(this.i18n.error(e)),
    });
  }

  isProposer(b: DispositionBatch): boolean {
    return b.proposed_by_subject === this.auth.claims()?.sub;
  }

  decide(b: DispositionBatch, decision: 'approve' | 'reject'): void {
    confirm(this.dialog, {
      title: this.i18n.t(`disposition.${decision}Title`),
      message: this.i18n.t(`disposition.${decision}Message`, { n: Object.values(b.counts ?? {}).reduce((a, n) => a + n, 0) }),
      confirm: this.i18n.t(`disposition.${decision}`),
      danger: decision === 'approve',
      reasonLabel: this.i18n.t('disposition.decisionReason'),
      reasonRequired: decision === 'reject',
    })
      .pipe(filter((r) => r !== false), switchMap((r) => this.api.decide(b.id, decision, typeof r === 'string' && r.trim() ? r.trim() : null)))
      .subscribe({
        next: (next) => {
          this.batch.set(next);
          this.notify.ok(decision === 'approve' ? 'disposition.approved' : 'disposition.rejected');
          this.load();
        },
        error: (e) => this.notify.error(e),
      });
  }

  download(b: DispositionBatch, format: 'json' | 'pdf'): void {
    this.api.certificate(b.id, format).subscribe({
      next: (res) => saveBlob(res, `certificate-${b.id}.${format}`),
      error: (e) => void withJsonError(e).then((err) => this.notify.error(err)),
    });
  }

  verify(b: DispositionBatch): void {
    this.api.verifyCertificate(b.id).subscribe({
      next: (v) => this.verification.set(v),
      error: (e) => this.notify.error(e),
    });
  }

  ngOnDestroy(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
