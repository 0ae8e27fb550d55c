import { Directive, OnInit, inject, signal } from '@angular/core';
import { PageEvent } from '@angular/material/paginator';
import { Observable } from 'rxjs';

import { Page } from '../core/api/models';
import { Notifier } from './notify';

/**
 * Paging state and loading for the list pages (accounts, users, audit, sagas): a page supplies
 * `fetch(limit, offset)` and its template binds `items()`, `total()`, `loading()`, `limit`,
 * `page`, `onPage($event)` and `reload()`.
 */
@Directive()
export abstract class PagedListPage<T> implements OnInit {
  protected readonly notify = inject(Notifier);
  readonly items = signal<T[]>([]);
  readonly total = signal(0);
  readonly loading = signal(false);
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
    if (!quiet) this.loading.set(true);
    this.fetch(this.limit, this.page * this.limit).subscribe({
      next: (p) => {
        this.items.set(p.items);
        this.total.set(p.total);
        this.loading.set(false);
      },
      error: (e) => {
        this.loading.set(false);
        if (!quiet) this.notify.error(e);
      },
    });
  }
}
