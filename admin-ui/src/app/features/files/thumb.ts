import { Component, ElementRef, OnDestroy, OnInit, inject, input, signal } from '@angular/core';

import { FilesApi, SearchHit } from './files.api';

const IMAGE = /^image\/(jpeg|png|gif|webp|tiff|bmp)$/;
/** The query module refuses larger sources (THUMBNAIL_MAX_SOURCE_BYTES); don't ask. */
const MAX_SOURCE = 50 * 1024 * 1024;
const SIZE = 96;

export function hasThumbnail(f: Pick<SearchHit, 'content_type' | 'size' | 'storage_element_mode' | 'status'>): boolean {
  return IMAGE.test(f.content_type) && f.size <= MAX_SOURCE && f.storage_element_mode !== 'ar' && f.status === 'active';
}

/**
 * A small picture of an image file in the list. The query module makes it (a JPEG of at most
 * 96 px, once per file, kept in Redis), so a page of 50 large scans costs 50 small answers, not 50
 * full images; it is fetched only when the row scrolls into view, and shown as a data: URL
 * because the CSP allows no blob: URLs.
 */
@Component({
  selector: 'app-thumb',
  template: `@if (src(); as s) {<img [src]="s" alt="" data-testid="thumb" />} @else {<span class="ph" [class.failed]="failed()"></span>}`,
  styles: `:host { display: inline-flex; width: 40px; height: 40px; flex: none; align-items: center; justify-content: center;
                   background: #f1f3f5; border-radius: 4px; overflow: hidden; }
           img { max-width: 40px; max-height: 40px; object-fit: contain; }
           .ph.failed::after { content: '⊘'; color: #9aa0a6; }`,
})
export class Thumb implements OnInit, OnDestroy {
  readonly file = input.required<SearchHit>();
  private readonly api = inject(FilesApi);
  private readonly host = inject(ElementRef<HTMLElement>);
  readonly src = signal<string | null>(null);
  readonly failed = signal(false);
  private observer: IntersectionObserver | null = null;

  ngOnInit(): void {
    this.observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      this.observer?.disconnect();
      this.fetch();
    }, { rootMargin: '200px' });
    this.observer.observe(this.host.nativeElement as HTMLElement);
  }

  ngOnDestroy(): void {
    this.observer?.disconnect();
  }

  private fetch(): void {
    this.api.thumbnail(this.file().file_id, SIZE).subscribe({
      next: (blob) => {
        const reader = new FileReader();
        reader.onload = () => this.src.set(String(reader.result));
        reader.readAsDataURL(blob);
      },
      error: () => this.failed.set(true),
    });
  }
}
