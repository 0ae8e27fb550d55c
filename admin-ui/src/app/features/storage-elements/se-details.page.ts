import { Component, OnInit, inject, input, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { Router, RouterLink } from '@angular/router';

import { AuthService } from '../../core/auth/auth.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { Notifier } from '../../shared/notify';
import { LoadState } from '../../shared/load-state';
import { I18nService } from '../../core/i18n/i18n.service';
import { StatusChip } from '../../shared/status-chip';
import { UsageBar } from '../../shared/usage-bar';
import { SagasApi, Saga } from '../sagas/sagas.api';
import { CopiesApi } from '../copies/copies.api';
import { RetentionCountdown } from './retention-countdown';
import { SeActions } from './se-actions';
import { NEXT_MODE, StorageElement, StorageElementsApi, usagePercent } from './storage-elements.api';

@Component({
  selector: 'app-se-details',
  imports: [ReactiveFormsModule, MatButtonModule, MatFormFieldModule, MatInputModule, RouterLink, StatusChip, UsageBar, RetentionCountdown, LoadState, ...I18N_PIPES],
  template: `
    <a routerLink="/storage-elements" class="muted">← {{ 'se.title' | t }}</a>
    @if (se(); as s) {
      <div class="toolbar-row">
        <h1 class="page-title grow">{{ s.name }} <app-status [value]="s.mode" prefix="mode" /> <app-status [value]="s.status" /></h1>
        @if (canAdmin()) {
          <button mat-stroked-button (click)="sync(s)">{{ 'se.sync' | t }}</button>
          <button mat-stroked-button (click)="repair(s)" [disabled]="repairing()" data-testid="se-repair">{{ 'se.repairNow' | t }}</button>
          @if (next(s); as target) {
            <button mat-flat-button class="danger" (click)="changeMode(s)">{{ 'se.switchTo' | t: { to: ('mode.' + target | t) } }}</button>
          }
          <button mat-stroked-button (click)="remove(s)" [disabled]="s.file_count > 0" data-testid="se-delete"
                  [attr.aria-describedby]="s.file_count > 0 ? 'se-delete-why' : null">{{ 'common.delete' | t }}</button>
          @if (!s.lost_at) {
            <button mat-stroked-button class="danger-text" (click)="declareLost(s)" data-testid="se-declare-lost">{{ 'se.declareLost' | t }}</button>
          }
        }
      </div>
      @if (canAdmin() && s.file_count > 0) {
        <p class="hint why" id="se-delete-why" data-testid="se-delete-why">{{ 'se.deleteWhy' | t: { n: (s.file_count | num) } }}</p>
      }
      @if (repairSaga(); as id) {
        <p class="hint" data-testid="se-repair-started">{{ 'se.repairStarted' | t: { name: s.name } }} ·
          <a [routerLink]="['/sagas']" [queryParams]="{ id }">{{ 'files.openSaga' | t }}</a></p>
      }
      <div class="grid">
        <div class="panel">
          <dl class="kv">
            <dt>ID</dt><dd><span class="id" [title]="s.id">{{ s.id }}</span></dd>
            <dt>{{ 'se.apiUrl' | t }}</dt><dd class="mono url">{{ s.api_url }}</dd>
            <dt>{{ 'se.backend' | t }}</dt><dd>{{ s.backend }}</dd>
            <dt>{{ 'se.usage' | t }}</dt><dd><app-usage-bar [percent]="pct(s)" />{{ s.used_bytes | bytes }} / {{ s.capacity_bytes | bytes }}</dd>
            <dt>{{ 'se.fileCount' | t }}</dt><dd>{{ s.file_count | num }}</dd>
            <dt>{{ 'se.retention' | t }}</dt><dd><app-retention [se]="s" /></dd>
            @if (s.lost_at) {
              <dt>{{ 'se.lostAt' | t }}</dt><dd class="error-text" data-testid="se-lost-at">{{ s.lost_at | dt }}</dd>
              <dt>{{ 'se.lostReason' | t }}</dt><dd data-testid="se-lost-reason">{{ s.lost_reason }}</dd>
            }
            <dt>{{ 'se.draining' | t }}</dt><dd>{{ (s.draining ? 'common.yes' : 'common.no') | t }}</dd>
            <dt>{{ 'se.lastSeen' | t }}</dt><dd>{{ s.last_seen_at | dt }}</dd>
            <dt>{{ 'se.lastChecked' | t }}</dt><dd>{{ s.last_checked_at | dt }}</dd>
            @if (s.last_error) { <dt>{{ 'se.lastError' | t }}</dt><dd class="error-text">{{ s.last_error }}</dd> }
            <dt>{{ 'se.version' | t }}</dt><dd>{{ s.se_version ?? '—' }}</dd>
            <dt>{{ 'common.created' | t }}</dt><dd>{{ s.created_at | dt }}</dd>
          </dl>
        </div>
        <div class="panel">
          <h3>{{ 'common.edit' | t }}</h3>
          <form [formGroup]="form" (ngSubmit)="save(s)" class="col">
            <mat-form-field><mat-label>{{ 'se.name' | t }}</mat-label><input matInput formControlName="name" /></mat-form-field>
            <mat-form-field><mat-label>{{ 'se.description' | t }}</mat-label><input matInput formControlName="description" /></mat-form-field>
            <mat-form-field><mat-label>{{ 'se.priority' | t }}</mat-label><input matInput type="number" formControlName="priority" /></mat-form-field>
            <mat-form-field><mat-label>{{ 'se.retentionDays' | t }}</mat-label><input matInput type="number" formControlName="retention_days" /></mat-form-field>
            @if (canAdmin()) {
              <div><button mat-flat-button type="submit" [disabled]="form.invalid || form.pristine">{{ 'common.save' | t }}</button></div>
            }
          </form>
        </div>
      </div>
      <div class="panel">
        <h3>{{ 'nav.sagas' | t }}</h3>
        @for (sg of sagas(); track sg.id) {
          <div class="saga"><app-status [value]="sg.state" /> <a [routerLink]="['/sagas']" [queryParams]="{ id: sg.id }">{{ 'saga.type.' + sg.type | t: null : sg.type }}</a>
            @if (sg.current_step) { · {{ 'saga.step.' + sg.current_step | t: null : sg.current_step }} } · {{ sg.created_at | dt }}
            @if (sg.error) { <span class="error-text">{{ sg.error }}</span> }</div>
        } @empty { <p class="muted">{{ 'saga.empty' | t }}</p> }
      </div>
    } @else {
      <app-load-state [loading]="!error()" [error]="error()" failedText="se.loadOneFailed" (retry)="load()" />
    }
  `,
  styles: `.grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; } .why { margin: -8px 0 12px; text-align: right; }
           .url { overflow-wrap: anywhere; } @media (max-width: 959px) { .grid { grid-template-columns: minmax(0, 1fr); } .why { text-align: left; } } .col { display: flex; flex-direction: column; }
           h3 { margin-top: 0; font-size: 16px; } .danger-text:not(:disabled) { color: #b3261e; } .saga { padding: 4px 0; }`,
})
export class SeDetailsPage implements OnInit {
  readonly id = input.required<string>();
  private readonly api = inject(StorageElementsApi);
  private readonly sagasApi = inject(SagasApi);
  private readonly copiesApi = inject(CopiesApi);
  /** A repair run for this SE was asked for and is being started. */
  readonly repairing = signal(false);
  readonly repairSaga = signal<string | null>(null);
  private readonly actions = inject(SeActions);
  private readonly notify = inject(Notifier);
  private readonly router = inject(Router);
  private readonly auth = inject(AuthService);
  readonly se = signal<StorageElement | null>(null);
  readonly error = signal<string | null>(null);
  private readonly i18n = inject(I18nService);
  readonly sagas = signal<Saga[]>([]);
  readonly pct = usagePercent;
  readonly canAdmin = () => this.auth.can('storage:admin');
  readonly form = inject(FormBuilder).nonNullable.group({
    name: ['', Validators.required],
    description: [''],
    priority: [100, [Validators.required, Validators.min(0)]],
    retention_days: [null as number | null, Validators.min(1)],
  });

  ngOnInit(): void {
    this.load();
  }

  next(s: StorageElement): string | undefined {
    return NEXT_MODE[s.mode];
  }

  load(): void {
    this.error.set(null);
    this.api.get(this.id()).subscribe({
      next: (s) => {
        this.se.set(s);
        this.form.reset({ name: s.name, description: s.description ?? '', priority: s.priority, retention_days: s.retention_days ?? null });
        if (!this.canAdmin()) this.form.disable();
      },
      error: (e) => {
        if (this.se()) this.notify.error(e);
        else this.error.set(this.i18n.error(e));
      },
    });
    this.sagasApi.list({ resource_id: this.id(), limit: 20 }).subscribe({ next: (p) => this.sagas.set(p.items), error: () => undefined });
  }

  save(s: StorageElement): void {
    const v = this.form.getRawValue();
    this.api
      .update(s.id, { name: v.name, description: v.description || null, priority: Number(v.priority), retention_days: v.retention_days ? Number(v.retention_days) : null })
      .subscribe({ next: (u) => { this.se.set(u); this.form.markAsPristine(); this.notify.ok('common.saved'); }, error: (e) => this.notify.error(e) });
  }

  sync(s: StorageElement): void {
    this.actions.sync(s).subscribe({ next: () => this.load(), error: () => undefined });
  }

  changeMode(s: StorageElement): void {
    this.actions.changeMode(s).subscribe({ next: () => this.load(), error: () => undefined });
  }

  /** A copy_repair run over only the files that have (or should have) a copy on this SE. */
  repair(s: StorageElement): void {
    this.repairing.set(true);
    this.copiesApi.repair(s.id).subscribe({
      next: (saga) => {
        this.repairing.set(false);
        this.notify.ok('se.repairStarted', { name: s.name });
        this.repairSaga.set(saga.id);
      },
      error: (e) => { this.repairing.set(false); this.notify.error(e); },
    });
  }

  declareLost(s: StorageElement): void {
    this.actions.declareLost(s).subscribe({ next: (u) => this.se.set(u), error: () => undefined });
  }

  remove(s: StorageElement): void {
    this.actions.remove(s).subscribe({ next: () => void this.router.navigate(['/storage-elements']), error: () => undefined });
  }
}
