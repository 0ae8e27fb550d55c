import { HttpClient, HttpResponse } from '@angular/common/http';
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

export interface DispositionCandidate {
  file_id: string;
  original_filename: string | null;
  size: number | null;
  retention_class: string | null;
  action: string;
  retain_until: string;
}

export interface DispositionItem {
  file_id: string;
  outcome: string;
  reason: string | null;
  record: { original_filename?: string; sha256?: string; size?: number } | null;
}

export interface DispositionBatch {
  id: string;
  status: 'proposed' | 'approved' | 'rejected' | 'executing' | 'executed' | string;
  reason: string;
  proposed_by: string;
  proposed_by_subject: string;
  proposed_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
  saga_id: string | null;
  executed_at: string | null;
  audit_seq_from: number | null;
  audit_seq_to: number | null;
  certificate_file_id: string | null;
  certificate_pdf_file_id: string | null;
  counts: Record<string, number>;
  items: DispositionItem[] | null;
}

export interface RangeVerification {
  valid: boolean;
  checked: number;
  seq_from: number;
  seq_to: number;
  reason: string | null;
  position: number | null;
}

/** Retention schedules, legal holds, disposition and a file's retain_until (admin module, records:*). */
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
  candidates(limit: number, offset: number): Observable<Page<DispositionCandidate>> {
    return this.http.get<Page<DispositionCandidate>>('/api/v1/disposition/candidates', { params: { limit, offset } });
  }
  candidateCount(): Observable<{ count: number }> {
    return this.http.get<{ count: number }>('/api/v1/disposition/candidates/count');
  }
  batches(limit: number, offset: number): Observable<Page<DispositionBatch>> {
    return this.http.get<Page<DispositionBatch>>('/api/v1/disposition/batches', { params: { limit, offset } });
  }
  batch(id: string): Observable<DispositionBatch> {
    return this.http.get<DispositionBatch>(`/api/v1/disposition/batches/${id}`);
  }
  propose(fileIds: string[], reason: string): Observable<DispositionBatch> {
    return this.http.post<DispositionBatch>('/api/v1/disposition/batches', { file_ids: fileIds, reason });
  }
  decide(id: string, decision: 'approve' | 'reject', reason: string | null): Observable<DispositionBatch> {
    return this.http.post<DispositionBatch>(`/api/v1/disposition/batches/${id}/${decision}`, reason ? { reason } : {});
  }
  certificate(id: string, format: 'json' | 'pdf'): Observable<HttpResponse<Blob>> {
    return this.http.get(`/api/v1/disposition/batches/${id}/certificate`, {
      params: format === 'pdf' ? { format } : {}, responseType: 'blob', observe: 'response',
    });
  }
  verifyCertificate(id: string): Observable<RangeVerification> {
    return this.http.get<RangeVerification>(`/api/v1/disposition/batches/${id}/certificate/verify`);
  }
  setRetainUntil(fileId: string, retainUntil: string): Observable<{ retain_until: string }> {
    return this.http.put<{ retain_until: string }>(`/api/v1/files/${fileId}/retain-until`, { retain_until: retainUntil });
  }
  setClass(fileId: string, schedule: string): Observable<{ schedule: string; action: string; retain_until: string }> {
    return this.http.put<{ schedule: string; action: string; retain_until: string }>(`/api/v1/files/${fileId}/retention-class`, { schedule });
  }
}
