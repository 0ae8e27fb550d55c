import { Component, DestroyRef, OnInit, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatDatepickerModule } from '@angular/material/datepicker';
import { MatDialog } from '@angular/material/dialog';
import { MatExpansionModule } from '@angular/material/expansion';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSortModule, Sort } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { ActivatedRoute, Params, Router, RouterLink } from '@angular/router';
import { Subscription, catchError, concatMap, from, map, of, toArray } from 'rxjs';
import { saveBlob, withJsonError } from '../../shared/download';
import { Notifier } from '../../shared/notify';

import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { Highlight, completeSnippet } from '../../shared/highlight';
import { LoadState } from '../../shared/load-state';
import { StatusChip } from '../../shared/status-chip';
import { StorageElementsApi } from '../storage-elements/storage-elements.api';
import { FacetValue, FilesApi, SearchHit, SearchMode, SearchRequest } from './files.api';
import { UploadDialog } from './upload.dialog';
import { BulkData, BulkDialog } from './bulk.dialog';
import { SavedSearch, SavedSearches, asStrings } from './saved-searches';
import { Thumb, hasThumbnail } from './thumb';

const FACET_FIELDS = ['tags', 'content_type', 'retention_policy', 'storage_element_id'] as const;
type FacetField = (typeof FACET_FIELDS)[number];
const PAGE_SIZES = [20, 50, 100];

/** Everything that defines a search, as it appears in the URL (shareable; Back restores it). */
export interface SearchState {
  q: string;
  mode: SearchMode;
  sort: string;
  order: '' | 'asc' | 'desc';
  ext: string;
  tags: string[];
  by: string;
  smin: number | null;
  smax: number | null;
  from: string;
  to: string;
  status: string;
  ct: string[];
  rp: string;
  se: string[];
  page: number;
  size: number;
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const num = (v: string | undefined) => (v === undefined || v === '' || isNaN(Number(v)) ? null : Number(v));

export function stateFromParams(p: Params): SearchState {
  const mode = ['fulltext', 'partial', 'exact'].includes(p['mode']) ? p['mode'] : 'fulltext';
  const size = Number(p['size']);
  return {
    q: p['q'] ?? '',
    mode,
    sort: ['created_at', 'size', 'name'].includes(p['sort']) ? p['sort'] : 'relevance',
    order: p['order'] === 'asc' || p['order'] === 'desc' ? p['order'] : '',
    ext: p['ext'] ?? '',
    tags: list(p['tag']),
    by: p['by'] ?? '',
    smin: num(p['smin']),
    smax: num(p['smax']),
    from: /^\d{4}-\d{2}-\d{2}$/.test(p['from'] ?? '') ? p['from'] : '',
    to: /^\d{4}-\d{2}-\d{2}$/.test(p['to'] ?? '') ? p['to'] : '',
    status: ['active', 'expired', 'deleted'].includes(p['status']) ? p['status'] : '',
    ct: list(p['ct']),
    rp: p['rp'] === 'temporary' || p['rp'] === 'permanent' ? p['rp'] : '',
    se: list(p['se']),
    page: Math.max(0, Number(p['page']) || 0),
    size: PAGE_SIZES.includes(size) ? size : 20,
  };
}

/** The URL's query parameters for a state, leaving out defaults so links stay short. */
export function stateToParams(s: SearchState): Params {
  const out: Params = {};
  const put = (k: string, v: unknown, dflt: unknown = '') => {
    if (v !== null && v !== undefined && v !== dflt && !(Array.isArray(v) && !v.length)) out[k] = v;
  };
  put('q', s.q.trim());
  put('mode', s.mode, 'fulltext');
  put('sort', s.sort, 'relevance');
  put('order', s.order);
  put('ext', s.ext.trim());
  put('tag', s.tags);
  put('by', s.by.trim());
  put('smin', s.smin);
  put('smax', s.smax);
  put('from', s.from);
  put('to', s.to);
  put('status', s.status);
  put('ct', s.ct);
  put('rp', s.rp);
  put('se', s.se);
  put('page', s.page, 0);
  put('size', s.size, 20);
  return out;
}

const isoDay = (d: Date | null) =>
  d ? `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}` : '';
const fromIsoDay = (s: string) => (s ? new Date(s + 'T00:00:00') : null);

@Component({
  selector: 'app-files',
  imports: [
    FormsModule, RouterLink, MatButtonModule, MatButtonToggleModule, MatFormFieldModule, MatInputModule, MatSelectModule,
    MatTableModule, MatSortModule, MatPaginatorModule, MatProgressBarModule, MatExpansionModule, MatDatepickerModule,
    MatCheckboxModule, StatusChip, Highlight, LoadState, Thumb, ...I18N_PIPES,
  ],
  templateUrl: './files.page.html',
  styleUrl: './files.page.scss',
})
export class FilesPage implements OnInit {
  private readonly api = inject(FilesApi);
  private readonly seApi = inject(StorageElementsApi);
  private readonly dialog = inject(MatDialog);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  private readonly auth = inject(AuthService);
  private readonly i18n = inject(I18nService);
  private readonly destroyRef = inject(DestroyRef);
  readonly canWrite = () => this.auth.can('files:write');
  readonly canDelete = () => this.auth.can('files:delete');
  readonly facetFields = FACET_FIELDS;
  readonly pageSizes = PAGE_SIZES;
  readonly columns = ['select', 'name', 'size', 'type', 'retention', 'uploaded_by', 'created'];
  readonly items = signal<SearchHit[]>([]);
  readonly total = signal(0);
  readonly facets = signal<Record<string, FacetValue[]>>({});
  readonly loading = signal(false);
  readonly error = signal<string | null>(null);
  readonly seNames = signal<Record<string, string>>({});
  readonly searched = signal(false);
  readonly snippet = completeSnippet;
  readonly hasThumbnail = hasThumbnail;
  private readonly notify = inject(Notifier);
  /** Files ticked for a bulk action; kept across pages and new searches until cleared. */
  readonly selection = signal<Map<string, SearchHit>>(new Map());
  readonly bulkBusy = signal(false);
  readonly saved = inject(SavedSearches);
  readonly naming = signal(false);
  savedName = '';
  /** The searched state (the URL's), which is what a saved search keeps. */
  readonly currentParams = signal<Params>({});

  /** The form's working copy; the URL holds the state that was searched. */
  s: SearchState = stateFromParams({});
  fromDate: Date | null = null;
  toDate: Date | null = null;
  readonly appliedCount = signal(0);
  private inflight: Subscription | null = null;

  ngOnInit(): void {
    if (this.auth.can('storage:read')) {
      this.seApi.list().subscribe({
        next: (p) => this.seNames.set(Object.fromEntries(p.items.map((s) => [s.id, s.name]))),
        error: () => undefined,
      });
    }
    this.saved.load((n) => n && this.notify.ok('saved.imported', { n }));
    this.route.queryParams.pipe(takeUntilDestroyed(this.destroyRef)).subscribe((p) => {
      this.s = stateFromParams(p);
      this.currentParams.set(stateToParams(this.s));
      this.fromDate = fromIsoDay(this.s.from);
      this.toDate = fromIsoDay(this.s.to);
      this.appliedCount.set(this.s.ct.length + this.s.se.length + this.s.tags.length + (this.s.rp ? 1 : 0));
      this.fetch();
    });
  }

  request(): SearchRequest {
    const s = this.s;
    const csv = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);
    return {
      q: s.q.trim() || undefined,
      mode: s.mode,
      content_type: s.ct,
      retention_policy: s.rp || null,
      storage_element_id: s.se,
      extension: csv(s.ext).map((e) => e.replace(/^\./, '').toLowerCase()),
      tags: s.tags,
      uploaded_by: s.by.trim() || undefined,
      size_min: s.smin !== null ? Math.round(s.smin * 1024) : null,
      size_max: s.smax !== null ? Math.round(s.smax * 1024) : null,
      created_from: s.from ? new Date(s.from + 'T00:00:00').toISOString() : null,
      created_to: s.to ? new Date(s.to + 'T23:59:59.999').toISOString() : null,
      status: s.status ? [s.status] : [],
      sort: s.sort === 'relevance' ? null : s.sort,
      order: s.order || null,
      facets: true,
      limit: s.size,
      offset: s.page * s.size,
    };
  }

  /** Puts the form's state into the URL; the URL change runs the search. */
  search(resetPage = false): void {
    if (resetPage) this.s.page = 0;
    this.s.from = isoDay(this.fromDate);
    this.s.to = isoDay(this.toDate);
    const params = stateToParams(this.s);
    const same = JSON.stringify(params) === JSON.stringify(stateToParams(stateFromParams(this.route.snapshot.queryParams)));
    if (same) this.fetch();
    else void this.router.navigate([], { relativeTo: this.route, queryParams: params });
  }

  fetch(): void {
    this.inflight?.unsubscribe();
    this.loading.set(true);
    this.error.set(null);
    this.inflight = this.api.search(this.request()).subscribe({
      next: (p) => {
        this.items.set(p.items);
        this.total.set(p.total);
        this.facets.set(p.facets ?? {});
        this.loading.set(false);
        this.searched.set(true);
      },
      error: (e) => {
        this.loading.set(false);
        this.items.set([]);
        this.total.set(0);
        this.facets.set({});
        this.error.set(this.i18n.error(e));
      },
    });
  }

  private values(field: FacetField): string[] {
    return { tags: this.s.tags, content_type: this.s.ct, retention_policy: this.s.rp ? [this.s.rp] : [], storage_element_id: this.s.se }[field];
  }

  toggleFacet(field: FacetField, value: string): void {
    const cur = this.values(field);
    const next = cur.includes(value) ? cur.filter((v) => v !== value) : [...cur, value];
    if (field === 'tags') this.s.tags = next;
    else if (field === 'content_type') this.s.ct = next;
    else if (field === 'storage_element_id') this.s.se = next;
    else this.s.rp = cur.includes(value) ? '' : value; // one retention policy at a time on the server
    this.search(true);
  }

  isSelected(field: FacetField, value: string): boolean {
    return this.values(field).includes(value);
  }

  facetLabel(field: string, value: string): string {
    if (field === 'storage_element_id') return this.seNames()[value] ?? value.slice(0, 8) + '…';
    if (field === 'retention_policy') return this.i18n.t('retention.' + value);
    return value;
  }

  sortBy(e: Sort): void {
    const field = { name: 'name', size: 'size', created: 'created_at' }[e.active] ?? 'relevance';
    this.s.sort = e.direction ? field : 'relevance';
    this.s.order = e.direction;
    this.search(true);
  }

  sortActive(): string {
    return { name: 'name', size: 'size', created_at: 'created' }[this.s.sort] ?? '';
  }

  saveSearch(): void {
    const name = this.savedName.trim();
    if (!name) return;
    const { page: _page, ...params } = this.currentParams();
    this.saved.save(name, params).subscribe({
      next: () => {
        this.naming.set(false);
        this.savedName = '';
      },
      error: (e) => this.notify.error(e),
    });
  }

  removeSaved(s: SavedSearch): void {
    this.saved.remove(s).subscribe({ error: (e) => this.notify.error(e) });
  }

  savedError(): string | null {
    return this.saved.error() ? this.i18n.error(this.saved.error()) : null;
  }

  isCurrent(s: SavedSearch): boolean {
    const { page: _page, ...cur } = this.currentParams();
    return JSON.stringify(asStrings(cur)) === JSON.stringify(asStrings(s.params));
  }

  hasParams(): boolean {
    return Object.keys(this.currentParams()).some((k) => k !== 'page' && k !== 'size');
  }

  isTicked(f: SearchHit): boolean {
    return this.selection().has(f.file_id);
  }

  tick(f: SearchHit, on: boolean): void {
    this.selection.update((m) => {
      const next = new Map(m);
      if (on) next.set(f.file_id, f);
      else next.delete(f.file_id);
      return next;
    });
  }

  allTicked(): boolean {
    return this.items().length > 0 && this.items().every((f) => this.isTicked(f));
  }

  tickPage(on: boolean): void {
    for (const f of this.items()) this.tick(f, on);
  }

  clearSelection(): void {
    this.selection.set(new Map());
  }

  finalizable(): SearchHit[] {
    return [...this.selection().values()].filter((f) => f.retention_policy === 'temporary' && !f.finalized_at && f.status === 'active');
  }

  /** Starts a finalize saga for each ticked temporary file, one after another. */
  bulkFinalize(): void {
    const files = this.finalizable();
    if (!files.length) return;
    this.bulkBusy.set(true);
    from(files)
      .pipe(
        concatMap((f) => this.api.finalize(f.file_id).pipe(map(() => true), catchError(() => of(false)))),
        toArray(),
      )
      .subscribe((results) => {
        this.bulkBusy.set(false);
        const ok = results.filter(Boolean).length;
        this.notify.ok('bulk.finalized', { ok, n: results.length });
        this.clearSelection();
      });
  }

  /** Ticked files that can be read (not archived, not deleted). */
  downloadable(): SearchHit[] {
    return [...this.selection().values()].filter((f) => f.storage_element_mode !== 'ar' && f.status !== 'deleted');
  }

  /** The ticked files as one ZIP, streamed by the query module. */
  bulkDownload(): void {
    const files = this.downloadable();
    if (!files.length) return;
    this.bulkBusy.set(true);
    this.api.archive(files.map((f) => f.file_id)).subscribe({
      next: (res) => {
        saveBlob(res, 'artstore.zip');
        this.bulkBusy.set(false);
      },
      error: (e) => {
        this.bulkBusy.set(false);
        void withJsonError(e).then((err) => this.notify.error(err));
      },
    });
  }

  /** Ticked files that may be deleted: active, on an edit SE (permanent ones leave by retention). */
  deletable(): SearchHit[] {
    return [...this.selection().values()].filter((f) => f.status === 'active' && f.storage_element_mode === 'edit' && !f.finalized_at);
  }

  taggable(): SearchHit[] {
    return [...this.selection().values()].filter((f) => f.status === 'active' && ['edit', 'rw'].includes(f.storage_element_mode ?? ''));
  }

  bulkDelete(): void {
    const files = this.deletable();
    this.openBulk({
      title: this.i18n.t('bulk.deleteTitle'),
      message: this.i18n.t('bulk.deleteMessage', { n: files.length, skipped: this.selection().size - files.length }),
      confirm: this.i18n.t('bulk.deleteConfirm', { n: files.length }),
      danger: true,
      files,
      run: (f) => this.api.remove(f.file_id),
    });
  }

  bulkTag(): void {
    const files = this.taggable();
    this.openBulk({
      title: this.i18n.t('bulk.tagTitle'),
      message: this.i18n.t('bulk.tagMessage', { n: files.length, skipped: this.selection().size - files.length }),
      confirm: this.i18n.t('bulk.tagConfirm'),
      askTags: true,
      files,
      run: (f, tags) => this.api.update(f.file_id, { tags: [...new Set([...f.tags, ...tags])] }),
    });
  }

  bulkUntag(): void {
    const files = this.taggable();
    const present = [...new Set(files.flatMap((f) => f.tags))].sort();
    this.openBulk({
      title: this.i18n.t('bulk.untagTitle'),
      message: this.i18n.t('bulk.untagMessage', { n: files.length, skipped: this.selection().size - files.length, present: present.join(', ') || '—' }),
      confirm: this.i18n.t('bulk.untagConfirm'),
      askTags: true,
      files,
      // A file without any of the tags is left alone (no change, no audit entry).
      run: (f, tags) => {
        const keep = f.tags.filter((t) => !tags.includes(t));
        return keep.length === f.tags.length ? of(null) : this.api.update(f.file_id, { tags: keep });
      },
    });
  }

  /** After a bulk action the files that succeeded are unticked and the list is searched again
   * (the catalogue follows the storage elements' events, so the change may show a moment later). */
  private openBulk(data: BulkData): void {
    this.dialog
      .open<BulkDialog, BulkData, string[]>(BulkDialog, { data, width: '560px', maxWidth: '96vw', disableClose: true })
      .afterClosed()
      .subscribe((ok) => {
        if (!ok?.length) return;
        this.selection.update((m) => {
          const next = new Map(m);
          for (const id of ok) next.delete(id);
          return next;
        });
        this.fetch();
      });
  }

  clear(): void {
    void this.router.navigate([], { relativeTo: this.route, queryParams: {} });
  }

  onPage(e: PageEvent): void {
    this.s.page = e.pageIndex;
    this.s.size = e.pageSize;
    this.search();
  }

  open(hit: SearchHit): void {
    void this.router.navigate(['/files', hit.file_id]);
  }

  upload(): void {
    this.dialog.open(UploadDialog, { width: '720px', maxWidth: '96vw' }).afterClosed().subscribe((r) => r && this.fetch());
  }
}
