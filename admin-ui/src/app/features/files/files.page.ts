import { Component, OnInit, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatDialog } from '@angular/material/dialog';
import { MatExpansionModule } from '@angular/material/expansion';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { Router, RouterLink } from '@angular/router';

import { AuthService } from '../../core/auth/auth.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { Notifier } from '../../shared/notify';
import { StatusChip } from '../../shared/status-chip';
import { StorageElementsApi } from '../storage-elements/storage-elements.api';
import { Highlight } from '../../shared/highlight';
import { FacetValue, FilesApi, SearchHit, SearchMode, SearchRequest } from './files.api';
import { UploadDialog } from './upload.dialog';

const FACET_FIELDS = ['content_type', 'retention_policy', 'storage_element_id'] as const;
type FacetField = (typeof FACET_FIELDS)[number];

@Component({
  selector: 'app-files',
  imports: [
    FormsModule, RouterLink, MatButtonModule, MatButtonToggleModule, MatFormFieldModule, MatInputModule, MatSelectModule,
    MatTableModule, MatPaginatorModule, MatProgressBarModule, MatExpansionModule, StatusChip, Highlight, ...I18N_PIPES,
  ],
  templateUrl: './files.page.html',
  styleUrl: './files.page.scss',
})
export class FilesPage implements OnInit {
  private readonly api = inject(FilesApi);
  private readonly seApi = inject(StorageElementsApi);
  private readonly dialog = inject(MatDialog);
  private readonly notify = inject(Notifier);
  private readonly router = inject(Router);
  private readonly auth = inject(AuthService);
  readonly canWrite = () => this.auth.can('files:write');
  readonly facetFields = FACET_FIELDS;
  readonly columns = ['name', 'size', 'type', 'retention', 'uploaded_by', 'created'];
  readonly items = signal<SearchHit[]>([]);
  readonly total = signal(0);
  readonly facets = signal<Record<string, FacetValue[]>>({});
  readonly loading = signal(false);
  readonly seNames = signal<Record<string, string>>({});
  readonly searched = signal(false);

  q = '';
  mode: SearchMode = 'fulltext';
  sort = 'relevance';
  order: '' | 'asc' | 'desc' = '';
  extension = '';
  tags = '';
  uploadedBy = '';
  sizeMinKb: number | null = null;
  sizeMaxKb: number | null = null;
  createdFrom = '';
  createdTo = '';
  status = '';
  readonly selected = signal<Record<FacetField, string[]>>({ content_type: [], retention_policy: [], storage_element_id: [] });
  readonly activeFilterCount = computed(() => Object.values(this.selected()).reduce((n, v) => n + v.length, 0));
  limit = 20;
  page = 0;

  ngOnInit(): void {
    this.seApi.list().subscribe({
      next: (p) => this.seNames.set(Object.fromEntries(p.items.map((s) => [s.id, s.name]))),
      error: () => undefined,
    });
    this.search();
  }

  request(): SearchRequest {
    const sel = this.selected();
    const csv = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
    return {
      q: this.q.trim() || undefined,
      mode: this.mode,
      content_type: sel.content_type,
      retention_policy: sel.retention_policy[0] ?? null,
      storage_element_id: sel.storage_element_id,
      extension: csv(this.extension).map((e) => e.replace(/^\./, '').toLowerCase()),
      tags: csv(this.tags),
      uploaded_by: this.uploadedBy.trim() || undefined,
      size_min: this.sizeMinKb !== null && this.sizeMinKb !== undefined ? Math.round(this.sizeMinKb * 1024) : null,
      size_max: this.sizeMaxKb !== null && this.sizeMaxKb !== undefined ? Math.round(this.sizeMaxKb * 1024) : null,
      created_from: this.createdFrom ? new Date(this.createdFrom).toISOString() : null,
      created_to: this.createdTo ? new Date(this.createdTo + 'T23:59:59').toISOString() : null,
      status: this.status ? [this.status] : [],
      sort: this.sort === 'relevance' ? null : this.sort,
      order: this.order || null,
      facets: true,
      limit: this.limit,
      offset: this.page * this.limit,
    };
  }

  search(resetPage = false): void {
    if (resetPage) this.page = 0;
    this.loading.set(true);
    this.api.search(this.request()).subscribe({
      next: (p) => {
        this.items.set(p.items);
        this.total.set(p.total);
        this.facets.set(p.facets ?? {});
        this.loading.set(false);
        this.searched.set(true);
      },
      error: (e) => {
        this.loading.set(false);
        this.notify.error(e);
      },
    });
  }

  toggleFacet(field: FacetField, value: string): void {
    this.selected.update((s) => {
      const cur = s[field];
      // retention_policy is a single-value filter on the server
      const next = cur.includes(value) ? cur.filter((v) => v !== value) : field === 'retention_policy' ? [value] : [...cur, value];
      return { ...s, [field]: next };
    });
    this.search(true);
  }

  isSelected(field: string, value: string): boolean {
    return this.selected()[field as FacetField]?.includes(value) ?? false;
  }

  facetLabel(field: string, value: string): string {
    if (field === 'storage_element_id') return this.seNames()[value] ?? value.slice(0, 8);
    return value;
  }

  clear(): void {
    this.q = '';
    this.extension = this.tags = this.uploadedBy = this.createdFrom = this.createdTo = this.status = '';
    this.sizeMinKb = this.sizeMaxKb = null;
    this.sort = 'relevance';
    this.order = '';
    this.selected.set({ content_type: [], retention_policy: [], storage_element_id: [] });
    this.search(true);
  }

  onPage(e: PageEvent): void {
    this.page = e.pageIndex;
    this.limit = e.pageSize;
    this.search();
  }

  open(hit: SearchHit): void {
    void this.router.navigate(['/files', hit.file_id]);
  }

  upload(): void {
    this.dialog.open(UploadDialog, { width: '620px' }).afterClosed().subscribe((r) => r && this.search());
  }
}
