import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { Page, cleanParams } from '../../core/api/models';

export interface RetentionSchedule {
  id: string;
  name: string;
  description: string | null;
  period_days: number;
  trigger: 'upload' | 'metadata_date' | string;
  date_field: string | null;
  action: 'review' | 'destroy' | string;
  created_by: string | null;
  created_at: string;
}

export interface ScheduleCreate {
  name: string;
  description?: string | null;
  period_days: number;
  trigger: 'upload' | 'metadata_date';
  date_field?: string | null;
  action: 'review' | 'destroy';
}

export interface LegalHold {
  id: string;
  name: string;
  reason: string;
  owner: string;
  created_by: string | null;
  created_at: string;
  released_at: string | null;
  released_by: string | null;
  release_reason: string | null;
  status: 'active' | 'released' | string;
  file_count: number;
}

export interface HoldFile {
  file_id: string;
  placed_at: string;
  placed_by: string | null;
}

export interface Placement {
  placed: string[];
  not_found: string[];
  failed: { file_id?: string; storage_element_id?: string; error?: string }[];
}

/** Retention schedules, legal holds and a file's retain_until (admin module, records:*). */
@Injectable({ providedIn: 'root' })
export class RecordsApi {
  private readonly http = inject(HttpClient);

  schedules(limit = 100, offset = 0): Observable<Page<RetentionSchedule>> {
    return this.http.get<Page<RetentionSchedule>>('/api/v1/retention-schedules', { params: { limit, offset } });
  }
  createSchedule(body: ScheduleCreate): Observable<RetentionSchedule> {
    return this.http.post<RetentionSchedule>('/api/v1/retention-schedules', body);
  }
  holds(f: { status?: string; limit?: number; offset?: number }): Observable<Page<LegalHold>> {
    return this.http.get<Page<LegalHold>>('/api/v1/legal-holds', { params: cleanParams({ ...f }) });
  }
  hold(id: string): Observable<LegalHold> {
    return this.http.get<LegalHold>(`/api/v1/legal-holds/${id}`);
  }
  createHold(body: { name: string; reason: string; owner?: string | null }): Observable<LegalHold> {
    return this.http.post<LegalHold>('/api/v1/legal-holds', body);
  }
  holdFiles(id: string, limit: number, offset: number): Observable<Page<HoldFile>> {
    return this.http.get<Page<HoldFile>>(`/api/v1/legal-holds/${id}/files`, { params: { limit, offset } });
  }
  place(id: string, body: { file_ids: string[] } | { tag: string }): Observable<Placement> {
    return this.http.post<Placement>(`/api/v1/legal-holds/${id}/files`, body);
  }
  release(id: string, reason: string): Observable<LegalHold> {
    return this.http.post<LegalHold>(`/api/v1/legal-holds/${id}/release`, { reason });
  }
  releaseFile(id: string, fileId: string, reason: string): Observable<void> {
    return this.http.post<void>(`/api/v1/legal-holds/${id}/files/${fileId}/release`, { reason });
  }
  setRetainUntil(fileId: string, retainUntil: string): Observable<{ retain_until: string }> {
    return this.http.put<{ retain_until: string }>(`/api/v1/files/${fileId}/retain-until`, { retain_until: retainUntil });
  }
  setClass(fileId: string, schedule: string): Observable<{ schedule: string; action: string; retain_until: string }> {
    return this.http.put<{ schedule: string; action: string; retain_until: string }>(`/api/v1/files/${fileId}/retention-class`, { schedule });
  }
}
