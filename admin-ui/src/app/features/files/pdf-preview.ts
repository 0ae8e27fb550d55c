import { Component, ElementRef, OnDestroy, OnInit, inject, input, signal, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { firstValueFrom } from 'rxjs';
import type { PDFDocumentProxy, RenderTask } from 'pdfjs-dist';

import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { LoadState } from '../../shared/load-state';
import { FileMeta, FilesApi } from './files.api';

/** pdf.js asks for the chunks it needs to draw a page (neighbouring ones in one request). Small,
 * because it also reads every page object of a flat page tree once (to check the last page). */
const CHUNK = 16 * 1024;
const MAX_WIDTH = 820;

/**
 * PDF pages drawn by pdf.js (loaded on first use). The bytes come through the query module's
 * download endpoint as Range requests made by our HttpClient (so the bearer token rides in a
 * header and a refreshed token is used): pdf.js's range transport asks for the chunks it needs,
 * so a page of a large PDF is shown without downloading the whole file. The worker is served
 * from our own origin (CSP `script-src 'self'`); eval and WebAssembly stay off.
 */
@Component({
  selector: 'app-pdf-preview',
  imports: [MatButtonModule, LoadState, ...I18N_PIPES],
  template: `
    <app-load-state [loading]="loading()" [error]="error()" failedText="preview.pdfFailed" (retry)="open()" />
    @if (pages()) {
      <div class="nav">
        <button mat-stroked-button type="button" (click)="go(page() - 1)" [disabled]="page() <= 1 || rendering()"
                [attr.aria-label]="'preview.prev' | t" data-testid="pdf-prev">‹</button>
        <span data-testid="pdf-page">{{ 'preview.page' | t: { n: page(), total: pages() } }}</span>
        <button mat-stroked-button type="button" (click)="go(page() + 1)" [disabled]="page() >= pages() || rendering()"
                [attr.aria-label]="'preview.next' | t" data-testid="pdf-next">›</button>
      </div>
    }
    <div class="sheet" [class.hidden]="!pages()"><canvas #canvas data-testid="pdf-canvas" [attr.data-rendered]="rendered()"></canvas></div>
  `,
  styles: `:host { display: block; }
           .nav { display: flex; align-items: center; gap: 12px; margin-bottom: 8px; }
           .sheet { overflow: auto; max-height: 75vh; background: #eef0f3; padding: 8px; border-radius: 4px; }
           .sheet.hidden { display: none; }
           canvas { display: block; margin: 0 auto; max-width: 100%; height: auto; background: #fff; box-shadow: 0 1px 3px rgba(0,0,0,.2); }`,
})
export class PdfPreview implements OnInit, OnDestroy {
  readonly file = input.required<FileMeta>();
  private readonly api = inject(FilesApi);
  private readonly i18n = inject(I18nService);
  private readonly host = inject(ElementRef<HTMLElement>);
  private readonly canvas = viewChild.required<ElementRef<HTMLCanvasElement>>('canvas');
  readonly loading = signal(false);
  readonly error = signal<string | null>(null);
  readonly pages = signal(0);
  readonly page = signal(1);
  readonly rendering = signal(false);
  /** The page last drawn (the browser test waits for it). */
  readonly rendered = signal(0);
  private doc: PDFDocumentProxy | null = null;
  private task: RenderTask | null = null;

  ngOnInit(): void {
    void this.open();
  }

  ngOnDestroy(): void {
    this.task?.cancel();
    void this.doc?.destroy();
  }

  async open(): Promise<void> {
    const f = this.file();
    this.loading.set(true);
    this.error.set(null);
    try {
      const pdfjs = await import('pdfjs-dist');
      pdfjs.GlobalWorkerOptions.workerSrc = '/pdfjs/pdf.worker.min.mjs';
      const transport = new pdfjs.PDFDataRangeTransport(f.size, null);
      transport.requestDataRange = (begin: number, end: number) => {
        firstValueFrom(this.api.range(f.file_id, begin, end)).then(
          (buf) => transport.onDataRange(begin, new Uint8Array(buf)),
          (e) => this.fail(e),
        );
      };
      await this.doc?.destroy();
      this.doc = await pdfjs.getDocument({
        range: transport,
        length: f.size,
        rangeChunkSize: CHUNK,
        disableAutoFetch: true,
        disableStream: true,
        isEvalSupported: false,
        useWasm: false,
        standardFontDataUrl: '/pdfjs/standard_fonts/',
      }).promise;
      this.pages.set(this.doc.numPages);
      this.loading.set(false);
      await this.go(1);
    } catch (e) {
      this.fail(e);
    }
  }

  async go(n: number): Promise<void> {
    if (!this.doc || n < 1 || n > this.doc.numPages) return;
    this.page.set(n);
    this.rendering.set(true);
    try {
      this.task?.cancel();
      const page = await this.doc.getPage(n);
      const width = Math.max(240, Math.min(MAX_WIDTH, (this.host.nativeElement as HTMLElement).clientWidth - 16));
      const base = page.getViewport({ scale: 1 });
      const ratio = window.devicePixelRatio || 1;
      const viewport = page.getViewport({ scale: (width / base.width) * ratio });
      const canvas = this.canvas().nativeElement;
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
      this.task = page.render({ canvas, viewport });
      await this.task.promise;
      this.rendered.set(n);
    } catch (e) {
      if ((e as { name?: string })?.name !== 'RenderingCancelledException') this.fail(e);
    } finally {
      this.rendering.set(false);
    }
  }

  private fail(e: unknown): void {
    this.loading.set(false);
    this.error.set(e instanceof Error && !('status' in e) ? e.message : this.i18n.error(e));
  }
}
