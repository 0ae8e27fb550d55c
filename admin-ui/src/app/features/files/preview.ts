import { Component, OnChanges, inject, input, signal } from '@angular/core';

import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { LoadState } from '../../shared/load-state';
import { FileMeta, FilesApi } from './files.api';

const TEXT_BYTES = 64 * 1024;
const IMAGE_MAX = 10 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(json|xml|x-ndjson|csv|javascript|x-yaml|yaml)\b)/;

export type PreviewKind = 'text' | 'image' | 'none';

export function previewKind(f: Pick<FileMeta, 'content_type' | 'size' | 'storage_element_mode'>): PreviewKind {
  if (f.storage_element_mode === 'ar') return 'none';
  if (TEXT_TYPES.test(f.content_type)) return 'text';
  if (f.content_type.startsWith('image/') && f.content_type !== 'image/svg+xml' && f.size <= IMAGE_MAX) return 'image';
  return 'none';
}

/** A look at the file without downloading it: the first 64 KiB of text (one Range request
 * through the query module), or an image (as a data: URL — the CSP allows no blob: URLs). */
@Component({
  selector: 'app-file-preview',
  imports: [LoadState, ...I18N_PIPES],
  template: `
    <h3>{{ 'preview.title' | t }}</h3>
    <app-load-state [loading]="loading()" [error]="error()" failedText="preview.failed" (retry)="load()" />
    @if (kind() === 'none') {
      <p class="muted" data-testid="preview-none">{{ 'preview.none' | t }}</p>
    } @else if (text() !== null) {
      <pre class="text" data-testid="preview-text">{{ text() }}</pre>
      @if (cut()) { <p class="muted">{{ 'preview.cut' | t: { shown: (shown() | bytes), size: (file().size | bytes) } }}</p> }
    } @else if (image()) {
      <img [src]="image()" [alt]="file().original_filename" class="img" data-testid="preview-image" />
    }
  `,
  styles: `h3 { margin-top: 0; font-size: 16px; }
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
  private loadedFor: string | null = null;

  ngOnChanges(): void {
    const f = this.file();
    if (this.loadedFor === f.file_id) return;
    this.loadedFor = f.file_id;
    this.kind.set(previewKind(f));
    this.load();
  }

  load(): void {
    const f = this.file();
    const kind = this.kind();
    if (kind === 'none') return;
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
}
