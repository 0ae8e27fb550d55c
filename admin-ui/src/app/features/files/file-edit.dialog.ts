import { Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';

import { I18nService } from '../../core/i18n/i18n.service';
import { TranslatePipe } from '../../core/i18n/pipes';
import { FileMeta, FileUpdate, FilesApi } from './files.api';

/** Tags as typed: comma-separated, trimmed, blanks and repeats dropped. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
}

/** Edit a file's description, version, tags and custom metadata; closes with the stored file. */
@Component({
  selector: 'app-file-edit-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, FormsModule, TranslatePipe],
  template: `
    <h2 mat-dialog-title>{{ 'fileEdit.title' | t }}</h2>
    <mat-dialog-content>
      <mat-form-field class="full">
        <mat-label>{{ 'files.description' | t }}</mat-label>
        <textarea matInput [(ngModel)]="description" rows="3" maxlength="2000" data-testid="edit-description"></textarea>
      </mat-form-field>
      <mat-form-field class="full">
        <mat-label>{{ 'files.version' | t }}</mat-label>
        <input matInput [(ngModel)]="version" maxlength="64" data-testid="edit-version" />
      </mat-form-field>
      <mat-form-field class="full">
        <mat-label>{{ 'files.tags' | t }}</mat-label>
        <input matInput [(ngModel)]="tags" data-testid="edit-tags" />
        <mat-hint>{{ 'files.tagsHint' | t }}</mat-hint>
      </mat-form-field>
      <mat-form-field class="full">
        <mat-label>{{ 'files.metadata' | t }}</mat-label>
        <textarea matInput [(ngModel)]="custom" rows="4" class="mono" data-testid="edit-custom"></textarea>
      </mat-form-field>
      @if (customError()) { <p class="error-text" data-testid="edit-custom-error">{{ 'files.metadataInvalid' | t }}</p> }
      @if (error()) { <p class="error-text" role="alert" data-testid="edit-error">{{ error() }}</p> }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button mat-dialog-close data-testid="edit-cancel">{{ 'common.cancel' | t }}</button>
      <button mat-flat-button (click)="save()" [disabled]="saving()" data-testid="edit-save">{{ 'common.save' | t }}</button>
    </mat-dialog-actions>
  `,
  styles: `.full { width: 100%; }`,
})
export class FileEditDialog {
  private readonly file = inject<FileMeta>(MAT_DIALOG_DATA);
  private readonly ref = inject(MatDialogRef<FileEditDialog, FileMeta>);
  private readonly api = inject(FilesApi);
  private readonly i18n = inject(I18nService);
  description = this.file.description ?? '';
  version = this.file.version ?? '';
  tags = this.file.tags.join(', ');
  custom = Object.keys(this.file.custom ?? {}).length ? JSON.stringify(this.file.custom, null, 2) : '';
  readonly saving = signal(false);
  readonly error = signal<string | null>(null);
  readonly customError = signal(false);

  save(): void {
    let custom: Record<string, unknown> = {};
    if (this.custom.trim()) {
      try {
        custom = JSON.parse(this.custom);
      } catch {
        custom = null as unknown as Record<string, unknown>;
      }
      if (!custom || typeof custom !== 'object' || Array.isArray(custom)) {
        this.customError.set(true);
        return;
      }
    }
    this.customError.set(false);
    const changes: FileUpdate = {
      description: this.description.trim() || null,
      version: this.version.trim() || null,
      tags: parseTags(this.tags),
      custom,
    };
    this.saving.set(true);
    this.error.set(null);
    this.api.update(this.file.file_id, changes).subscribe({
      next: () => this.ref.close({ ...this.file, ...changes, description: changes.description ?? null, version: changes.version ?? null } as FileMeta),
      error: (e) => {
        this.saving.set(false);
        this.error.set(this.i18n.error(e));
      },
    });
  }
}
