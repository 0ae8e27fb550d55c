import { HttpErrorResponse } from '@angular/common/http';
import { Component, OnChanges, inject, input, signal } from '@angular/core';
import { MatButtonToggleModule } from '@angular/material/button-toggle';

import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { LoadState } from '../../shared/load-state';
import { FileMeta, FileText, FilesApi } from './files.api';
import { PdfPreview } from './pdf-preview';

const TEXT_BYTES = 64 * 1024;
const IMAGE_MAX = 10 * 1024 * 1024;
/** Shown as they are; HTML and RTF are shown as their extracted text instead of their markup. */
const TEXT_TYPES = /^(text\/(?!html|rtf)|application\/(json|xml|x-ndjson|csv|javascript|x-yaml|yaml)\b)/;
const TEXT_CHARS = 200_000;

export type PreviewKind = 'pdf' | 'text' | 'image' | 'extracted' | 'none';

export function previewKind(
  f: Pick<FileMeta, 'content_type' | 'size' | 'storage_element_mode' | 'original_filename' | 'text_extraction'>,
): PreviewKind {
  if (f.storage_element_mode === 'ar') return 'none';
  if (f.content_type === 'application/pdf' || /\.pdf$/i.test(f.original_filename)) return 'pdf';
  if (TEXT_TYPES.test(f.content_type)) return 'text';
  if (f.content_type.startsWith('image/') && f.content_type !== 'image/svg+xml' && f.size <= IMAGE_MAX) return 'image';
  // Office, RTF, HTML, large scans…: the text the query module extracted, where there is some.
  if (f.text_extraction && f.text_extraction.state !== 'skipped') return 'extracted';
  return 'none';
}

/** A look at the file without downloading it: PDF pages (pdf.js, Range requests), the first
 * 64 KiB of text (one Range request through the query module), an image (as a data: URL — the
 * CSP allows no blob: URLs), or the text extracted from other documents (`/files/{id}/text`). */
@Component({
  selector: 'app-file-preview',
  imports: [LoadState, PdfPreview, MatButtonToggleModule, ...I18N_PIPES],
  template: `
    <div class="head">
      <h3>{{ 'preview.title' | t }}</h3>
      @if (kind() === 'pdf' && file().text_extraction?.state === 'done') {
        <mat-button-toggle-group [value]="pdfView()" (change)="showPdf($event.value)" hideSingleSelectionIndicator data-testid="preview-view">
          <mat-button-toggle value="pages" data-testid="preview-pages">{{ 'preview.pages' | t }}</mat-button-toggle>
          <mat-button-toggle value="text" data-testid="preview-text-tab">{{ 'preview.textTab' | t }}</mat-button-toggle>
        </mat-button-toggle-group>
      }
    </div>
    <app-load-state [loading]="loading()" [error]="error()" failedText="preview.failed" (retry)="load()" />
    @if (kind() === 'pdf' && pdfView() === 'pages') {
      <app-pdf-preview [file]="file()" />
    } @else if (extracted(); as x) {
      <p class="muted" data-testid="preview-extracted-method">{{ 'preview.textMethod' | t: { method: x.method ?? '—' } }}</p>
      <pre class="text" data-testid="preview-extracted">{{ x.content }}</pre>
      @if (x.truncated) { <p class="muted">{{ 'preview.textCut' | t: { shown: (x.content.length | num), total: (x.length | num) } }}</p> }
    } @else if (noText(); as why) {
      <p class="muted" data-testid="preview-no-text">{{ why }}</p>
    } @else if (kind() === 'none') {
      <p class="muted" data-testid="preview-none">{{ 'preview.none' | t }}</p>
    } @else if (text() !== null) {
      <pre class="text" data-testid="preview-text">{{ text() }}</pre>
      @if (cut()) { <p class="muted">{{ 'preview.cut' | t: { shown: (shown() | bytes), size: (file().size | bytes) } }}</p> }
    } @else if (image()) {
      <img [src]="image()" [alt]="file().original_filename" class="img" data-testid="preview-image" />
    }
  `,
  styles: `h3 { margin: 0; font-size: 16px; }
           .head { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px; margin-bottom: 8px; }
           .text { background: #f6f7f9; padding: 10px; border-radius: 4px; max-height: 420px; overflow: auto; font-size: 12px;
                   white-space: pre-wrap; overflow-wrap: anywhere; margin: 0 0 8px; }
           .img { max-width: 100%; max-height: 480px; display: block; border: 1px solid #e3e5e8; border-radius: 4px; }`,
})
export class FilePreview implements OnChanges {
  readonly file = input.required<FileMeta>();
  private readonly api = inject(FilesApi);
  private readonly i18n = inject(I18nService);
  readonly kind = signal<PreviewKind>('none');
  readonly loading = signal(false);
  readonly error = signal<string | null>(null);
  readonly text = signal<string | null>(null);
  readonly image = signal<string | null>(null);
  readonly shown = signal(0);
  readonly cut = signal(false);
  readonly extracted = signal<FileText | null>(null);
  readonly noText = signal<string | null>(null);
  readonly pdfView = signal<'pages' | 'text'>('pages');
  private loadedFor: string | null = null;

  ngOnChanges(): void {
    const f = this.file();
    if (this.loadedFor === f.file_id) return;
    this.loadedFor = f.file_id;
    this.kind.set(previewKind(f));
    this.load();
  }

  showPdf(view: 'pages' | 'text'): void {
    this.pdfView.set(view);
    if (view === 'text' && !this.extracted()) this.loadText();
  }

  load(): void {
    const f = this.file();
    const kind = this.kind();
    if (kind === 'none' || kind === 'pdf') return;
    if (kind === 'extracted') return this.loadText();
    this.loading.set(true);
    this.error.set(null);
    this.api.head(f.file_id, kind === 'text' ? TEXT_BYTES : IMAGE_MAX).subscribe({
      next: async (res) => {
        const blob = res.body ?? new Blob();
        if (kind === 'text') {
          // A cut may split a UTF-8 character: decode leniently.
          this.text.set(new TextDecoder('utf-8', { fatal: false }).decode(await blob.arrayBuffer()));
          this.shown.set(blob.size);
          this.cut.set(blob.size < f.size);
        } else {
          const reader = new FileReader();
          reader.onload = () => this.image.set(String(reader.result));
          reader.readAsDataURL(blob.type ? blob : new Blob([blob], { type: f.content_type }));
        }
        this.loading.set(false);
      },
      error: (e) => {
        this.loading.set(false);
        this.error.set(this.i18n.error(e));
      },
    });
  }

  /** 409: not extracted yet; 404 NO_TEXT: none to show (the reason is the extraction's). */
  loadText(): void {
    this.loading.set(true);
    this.error.set(null);
    this.noText.set(null);
    this.api.text(this.file().file_id, TEXT_CHARS).subscribe({
      next: (x) => {
        this.extracted.set(x);
        this.loading.set(false);
      },
      error: (e) => {
        this.loading.set(false);
        const code = e instanceof HttpErrorResponse ? e.error?.error?.code : null;
        if (code === 'TEXT_PENDING') this.noText.set(this.i18n.t('preview.textPending'));
        else if (code === 'NO_TEXT') {
          const reason = e.error.error.details?.reason ?? this.i18n.t(`textState.${e.error.error.details?.state}`);
          this.noText.set(this.i18n.t('preview.noText', { reason }));
        } else this.error.set(this.i18n.error(e));
      },
    });
  }
}
