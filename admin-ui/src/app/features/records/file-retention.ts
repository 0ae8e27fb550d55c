import { HttpErrorResponse } from '@angular/common/http';
import { Component, OnInit, WritableSignal, computed, inject, input, output, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDatepickerModule } from '@angular/material/datepicker';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { RouterLink } from '@angular/router';
import { Observable, filter, switchMap } from 'rxjs';

import { errorCode } from '../../core/api/api-error';
import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { confirm } from '../../shared/confirm-dialog';
import { Notifier } from '../../shared/notify';
import { FileMeta } from '../files/files.api';
import { LegalHold, RecordsApi, RetentionSchedule } from './records.api';

/**
 * A file's retention class, retain_until and legal holds, with the records manager's actions.
 * The SEs' sidecars are the truth and the catalogue follows them a moment later, so the
 * section keeps what the admin module answered until the page reloads.
 */
@Component({
  selector: 'app-file-retention',
  imports: [FormsModule, RouterLink, MatButtonModule, MatDatepickerModule, MatFormFieldModule, MatInputModule, MatSelectModule, ...I18N_PIPES],
  template: `
    <h3>{{ 'fileRecords.title' | t }}</h3>
    @if (listError()) { <p class="error-text" data-testid="file-records-error">{{ listError() }}</p> }
    <dl class="kv">
      <dt>{{ 'fileRecords.class' | t }}</dt><dd data-testid="file-retention-class">{{ retentionClass() ?? '—' }}</dd>
      <dt>{{ 'fileRecords.retainUntil' | t }}</dt>
      <dd data-testid="file-retain-until">{{ retainUntil() ? (retainUntil() | dt) : ('fileRecords.noDate' | t) }}</dd>
      <dt>{{ 'fileRecords.holds' | t }}</dt>
      <dd data-testid="file-holds">
        @for (id of holdIds(); track id) {
          <div class="hold" [attr.data-testid]="'file-hold-' + id">
            <a [routerLink]="['/legal-holds', id]">{{ holdName(id) }}</a>
            @if (canWrite() && isActive(id)) {
              <button mat-button class="warn" (click)="releaseHold(id)" [attr.data-testid]="'file-hold-release-' + id">{{ 'holds.releaseFile' | t }}</button>
            }
          </div>
        } @empty { <span class="muted">{{ 'fileRecords.noHolds' | t }}</span> }
      </dd>
    </dl>
    @if (canWrite() && file().status === 'active') {
      <div class="forms">
        <div class="row">
          <mat-form-field subscriptSizing="dynamic">
            <mat-label>{{ 'fileRecords.setClass' | t }}</mat-label>
            <mat-select [(ngModel)]="schedule" data-testid="file-class-select">
              @for (s of schedules(); track s.id) {
                <mat-option [value]="s.name">{{ s.name }} · {{ 'schedules.days' | t: { n: s.period_days } }}</mat-option>
              }
            </mat-select>
          </mat-form-field>
          <button mat-stroked-button (click)="setClass()" [disabled]="!schedule || busy()" data-testid="file-class-apply">{{ 'fileRecords.apply' | t }}</button>
        </div>
        @if (classError()) { <p class="error-text" data-testid="file-class-error">{{ classError() }}</p> }
        <div class="row">
          <mat-form-field subscriptSizing="dynamic">
            <mat-label>{{ 'fileRecords.extend' | t }}</mat-label>
            <input matInput [matDatepicker]="untilPicker" [(ngModel)]="until" data-testid="file-retain-input" />
            <mat-datepicker-toggle matIconSuffix [for]="untilPicker"><span matDatepickerToggleIcon>▦</span></mat-datepicker-toggle>
            <mat-datepicker #untilPicker />
          </mat-form-field>
          <button mat-stroked-button (click)="extend()" [disabled]="!until || busy()" data-testid="file-retain-apply">{{ 'fileRecords.apply' | t }}</button>
        </div>
        <p class="muted hint">{{ 'fileRecords.laterOnly' | t }}</p>
        @if (untilError()) { <p class="error-text" data-testid="file-retain-error">{{ untilError() }}</p> }
        <div class="row">
          <mat-form-field subscriptSizing="dynamic">
            <mat-label>{{ 'fileRecords.placeHold' | t }}</mat-label>
            <mat-select [(ngModel)]="holdToPlace" data-testid="file-hold-select">
              @for (h of placeable(); track h.id) { <mat-option [value]="h.id">{{ h.name }}</mat-option> }
            </mat-select>
          </mat-form-field>
          <button mat-stroked-button (click)="placeHold()" [disabled]="!holdToPlace || busy()" data-testid="file-hold-apply">{{ 'fileRecords.place' | t }}</button>
        </div>
        @if (holdError()) { <p class="error-text" data-testid="file-hold-error">{{ holdError() }}</p> }
      </div>
    }
  `,
  styles: `h3 { margin-top: 0; font-size: 16px; } .forms { margin-top: 12px; display: flex; flex-direction: column; gap: 4px; }
           .row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; } .row mat-form-field { flex: 1 1 220px; max-width: 360px; }
           .hold { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; } .hint { margin: 0 0 6px; font-size: 12px; }
           .error-text { overflow-wrap: anywhere; } button.warn:not(:disabled) { color: #b3261e; }`,
})
export class FileRetention implements OnInit {
  readonly file = input.required<FileMeta>();
  /** Something was recorded (the page reloads the file's history). */
  readonly changed = output<void>();
  private readonly api = inject(RecordsApi);
  private readonly auth = inject(AuthService);
  private readonly i18n = inject(I18nService);
  private readonly notify = inject(Notifier);
  private readonly dialog = inject(MatDialog);
  readonly canWrite = () => this.auth.can('records:write');
  readonly schedules = signal<RetentionSchedule[]>([]);
  readonly holds = signal<LegalHold[]>([]);
  readonly busy = signal(false);
  readonly classError = signal<string | null>(null);
  readonly untilError = signal<string | null>(null);
  readonly holdError = signal<string | null>(null);
  /** The holds or schedules could not be listed: names and choices below are incomplete. */
  readonly listError = signal<string | null>(null);
  /** What the admin module answered; null = as the catalogue says. */
  private readonly answered = signal<{ retain_until?: string; retention_class?: string; holds?: string[] }>({});
  readonly retainUntil = computed(() => this.answered().retain_until ?? this.file().retain_until ?? null);
  readonly retentionClass = computed(() => this.answered().retention_class ?? this.file().retention_class ?? null);
  readonly holdIds = computed(() => this.answered().holds ?? this.file().legal_holds ?? []);
  readonly placeable = computed(() => this.holds().filter((h) => h.status === 'active' && !this.holdIds().includes(h.id)));
  schedule = '';
  until: Date | null = null;
  holdToPlace = '';

  ngOnInit(): void {
    const failed = (what: string) => (e: unknown) => this.listError.set(`${this.i18n.t(what)}: ${this.i18n.error(e)}`);
    this.api.holds({ limit: 100 }).subscribe({ next: (p) => this.holds.set(p.items), error: failed('holds.loadFailed') });
    if (this.canWrite()) {
      this.api.schedules().subscribe({ next: (p) => this.schedules.set(p.items), error: failed('schedules.loadFailed') });
    }
  }

  holdName(id: string): string {
    return this.holds().find((h) => h.id === id)?.name ?? id;
  }

  isActive(id: string): boolean {
    return this.holds().find((h) => h.id === id)?.status === 'active';
  }

  setClass(): void {
    this.run(this.classError, this.api.setClass(this.file().file_id, this.schedule), (r) => {
      this.answered.update((a) => ({ ...a, retain_until: r.retain_until, retention_class: r.schedule }));
      this.notify.ok('fileRecords.classSet', { name: r.schedule });
    });
  }

  /** A date means the end of that day, UTC (as a schedule's metadata date does). */
  extend(): void {
    this.run(this.untilError, this.api.setRetainUntil(this.file().file_id, endOfDayUtc(this.until!)), (r) => {
      this.answered.update((a) => ({ ...a, retain_until: r.retain_until }));
      this.notify.ok('fileRecords.extended');
    });
  }

  placeHold(): void {
    const id = this.holdToPlace;
    this.run(this.holdError, this.api.place(id, { file_ids: [this.file().file_id] }), (r) => {
      if (!r.placed.length) {
        this.holdError.set(this.i18n.t('fileRecords.notPlaced', { failed: r.failed.map((f) => f.error).join(', ') }));
        return;
      }
      this.answered.update((a) => ({ ...a, holds: [...this.holdIds(), id] }));
      this.holdToPlace = '';
      this.notify.ok('fileRecords.placed', { name: this.holdName(id) });
    });
  }

  releaseHold(id: string): void {
    confirm(this.dialog, {
      title: this.i18n.t('holds.releaseFileTitle'),
      message: this.i18n.t('holds.releaseFileMessage', { name: this.holdName(id), file: this.file().original_filename }),
      confirm: this.i18n.t('holds.releaseFile'),
      danger: true,
      reasonLabel: this.i18n.t('holds.releaseReason'),
      reasonRequired: true,
    })
      .pipe(filter((r): r is string => typeof r === 'string'), switchMap((reason) => this.api.releaseFile(id, this.file().file_id, reason)))
      .subscribe({
        next: () => {
          this.answered.update((a) => ({ ...a, holds: this.holdIds().filter((h) => h !== id) }));
          this.notify.ok('holds.fileReleasedOk');
          this.changed.emit();
        },
        error: (e) => this.notify.error(e),
      });
  }

  private run<T>(errorSignal: WritableSignal<string | null>, call: Observable<T>, done: (r: T) => void): void {
    this.busy.set(true);
    errorSignal.set(null);
    call.subscribe({
      next: (r) => {
        this.busy.set(false);
        done(r);
        this.changed.emit();
      },
      error: (e) => {
        this.busy.set(false);
        errorSignal.set(this.explain(e));
      },
    });
  }

  /** The server's refusal in the user's language, with the date it holds on to. */
  private explain(e: unknown): string {
    if (errorCode(e) === 'RETAIN_UNTIL_EARLIER' && e instanceof HttpErrorResponse) {
      const current = e.error?.error?.details?.retain_until;
      return this.i18n.t('fileRecords.earlier', { date: current ? this.i18n.formatDate(current) : '—' });
    }
    return this.i18n.error(e);
  }
}

/** The picked calendar day (local) as the last second of that day in UTC. */
function endOfDayUtc(day: Date): string {
  return new Date(Date.UTC(day.getFullYear(), day.getMonth(), day.getDate(), 23, 59, 59)).toISOString().replace('.000Z', 'Z');
}
