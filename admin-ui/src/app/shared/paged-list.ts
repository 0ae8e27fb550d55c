import { Directive, OnInit, inject, signal } from '@angular/core';
import { PageEvent } from '@angular/material/paginator';
import { Observable } from 'rxjs';

import { Page } from '../core/api/models';
import { I18nService } from '../core/i18n/i18n.service';
import { Notifier } from './notify';

/**
 * Paging state and loading for the list pages (accounts, users, audit, sagas): a page supplies
 * `fetch(limit, offset)` and its template binds `items()`, `total()`, `loading()`, `error()`,
 * `loaded()`, `limit`, `page`, `onPage($event)` and `reload()` (an `app-load-state` shows the
 * loading / failed / empty states).
 */
@Directive()
export abstract class PagedListPage<T> implements OnInit {
  protected readonly notify = inject(Notifier);
  protected readonly i18n = inject(I18nService);
  readonly items = signal<T[]>([]);
  readonly total = signal(0);
  readonly loading = signal(false);
  /** The failure of the last (non-quiet) load, in the user's language. */
  readonly error = signal<string | null>(null);
  /** True once a load has answered, so "empty" is never shown before the first answer. */
  readonly loaded = signal(false);
  limit = 20;
  page = 0;

  protected abstract fetch(limit: number, offset: number): Observable<Page<T>>;

  ngOnInit(): void {
    this.load();
  }

  reload(): void {
    this.page = 0;
    this.load();
  }

  onPage(e: PageEvent): void {
    this.page = e.pageIndex;
    this.limit = e.pageSize;
    this.load();
  }

  /** `quiet`: a background refresh — no progress bar, no error toast. */
  load(quiet = false): void {
    if (!quiet) {
      this.loading.set(true);
      this.error.set(null);
    }
    this.fetch(this.limit, this.page * this.limit).subscribe({
      next: (p) => {
        this.items.set(p.items);
        this.total.set(p.total);
        this.loading.set(false);
        this.loaded.set(true);
      },
      error: (e) => {
        this.loading.set(false);
        if (quiet) return;
        this.items.set([]);
        this.total.set(0);
        this.error.set(this.i18n.error(e));
      },
    });
  }
}
