import { Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Observable, catchError, concatMap, from, map, of, tap, toArray } from 'rxjs';

import { I18nService } from '../../core/i18n/i18n.service';
import { TranslatePipe } from '../../core/i18n/pipes';
import { SearchHit } from './files.api';
import { parseTags } from './file-edit.dialog';

export interface BulkData {
  title: string;
  message: string;
  confirm: string;
  danger?: boolean;
  /** Ask for tags first (they are passed to `run`). */
  askTags?: boolean;
  files: SearchHit[];
  run: (file: SearchHit, tags: string[]) => Observable<unknown>;
}

interface Outcome {
  file: SearchHit;
  state: 'waiting' | 'ok' | 'failed';
  error?: string;
}

/** A bulk action after a confirmation, one file after another, with each file's result;
 * closes with the ids that succeeded. */
@Component({
  selector: 'app-bulk-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatProgressBarModule, FormsModule, TranslatePipe],
  template: `
    <h2 mat-dialog-title>{{ data.title }}</h2>
    <mat-dialog-content data-testid="bulk-dialog">
      <p>{{ data.message }}</p>
      @if (data.askTags && !started()) {
        <mat-form-field class="full">
          <mat-label>{{ 'files.tags' | t }}</mat-label>
          <input matInput [(ngModel)]="tags" data-testid="bulk-tags" />
          <mat-hint>{{ 'files.tagsHint' | t }}</mat-hint>
        </mat-form-field>
      }
      @if (running()) { <mat-progress-bar mode="determinate" [value]="(100 * done()) / outcomes().length" /> }
      <ul class="results">
        @for (o of outcomes(); track o.file.file_id) {
          <li [class]="o.state" data-testid="bulk-result" [attr.data-state]="o.state">
            <span class="name">{{ o.file.original_filename }}</span>
            <span class="state">@switch (o.state) {
              @case ('ok') { ✓ {{ 'bulk.ok' | t }} }
              @case ('failed') { ✗ {{ o.error }} }
              @default { {{ started() ? ('bulk.waiting' | t) : '' }} }
            }</span>
          </li>
        }
      </ul>
      @if (finished()) { <p data-testid="bulk-summary"><strong>{{ 'bulk.summary' | t: { ok: okCount(), n: outcomes().length } }}</strong></p> }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      @if (!started()) {
        <button mat-button mat-dialog-close data-testid="bulk-cancel">{{ 'common.cancel' | t }}</button>
        <button mat-flat-button [class.danger]="data.danger" (click)="start()" [disabled]="data.askTags && !parsed().length"
                data-testid="bulk-run">{{ data.confirm }}</button>
      } @else {
        <button mat-flat-button [mat-dialog-close]="succeeded()" [disabled]="running()" data-testid="bulk-close">{{ 'common.close' | t }}</button>
      }
    </mat-dialog-actions>
  `,
  styles: `
    .full { width: 100%; }
    .results { list-style: none; padding: 0; margin: 8px 0; max-height: 320px; overflow: auto; }
    .results li { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 4px 12px; padding: 4px 0; border-bottom: 1px solid #f0f1f3; font-size: 13px; }
    .results .name { overflow-wrap: anywhere; min-width: 0; }
    .results li.ok .state { color: #1b5e20; } .results li.failed .state { color: #b3261e; overflow-wrap: anywhere; }
  `,
})
export class BulkDialog {
  readonly data = inject<BulkData>(MAT_DIALOG_DATA);
  private readonly i18n = inject(I18nService);
  tags = '';
  readonly outcomes = signal<Outcome[]>(this.data.files.map((file) => ({ file, state: 'waiting' })));
  readonly started = signal(false);
  readonly running = signal(false);
  readonly finished = signal(false);
  readonly done = () => this.outcomes().filter((o) => o.state !== 'waiting').length;
  readonly okCount = () => this.outcomes().filter((o) => o.state === 'ok').length;
  readonly succeeded = () => this.outcomes().filter((o) => o.state === 'ok').map((o) => o.file.file_id);
  readonly parsed = () => parseTags(this.tags);

  start(): void {
    const tags = this.parsed();
    this.started.set(true);
    this.running.set(true);
    from(this.data.files)
      .pipe(
        concatMap((file) =>
          this.data.run(file, tags).pipe(
            map(() => ({ file, state: 'ok' }) as Outcome),
            catchError((e) => of({ file, state: 'failed', error: this.i18n.error(e) } as Outcome)),
            tap((o) => this.outcomes.update((all) => all.map((x) => (x.file.file_id === o.file.file_id ? o : x)))),
          ),
        ),
        toArray(),
      )
      .subscribe(() => {
        this.running.set(false);
        this.finished.set(true);
      });
  }
}
