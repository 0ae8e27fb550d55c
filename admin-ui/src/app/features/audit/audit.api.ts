import { HttpClient, HttpResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { Page, cleanParams } from '../../core/api/models';

export interface AuditEvent {
  id: string;
  seq: number;
  created_at: string;
  action: string;
  actor: string | null;
  resource_type: string | null;
  resource_id: string | null;
  outcome: 'success' | 'failure' | 'denied' | string;
  details: Record<string, unknown>;
  request_id: string | null;
  mac: string;
}

export interface AuditVerify {
  valid: boolean;
  checked: number;
  first_broken_id: string | null;
  position: number | null;
  reason: string | null;
  /** Where the walk began: the retention anchor (full) or the newest signed checkpoint. */
  mode?: 'full' | 'checkpoint' | 'range';
  start_seq?: number;
  end_seq?: number;
}

export interface AuditFilter {
  action?: string;
  /** Substring of the action code, any case. */
  action_contains?: string;
  actor?: string;
  resource_type?: string;
  resource_id?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit?: number;
  offset?: number;
}

@Injectable({ providedIn: 'root' })
export class AuditApi {
  private readonly http = inject(HttpClient);

  list(f: AuditFilter): Observable<Page<AuditEvent>> {
    return this.http.get<Page<AuditEvent>>('/api/v1/audit', { params: cleanParams({ ...f }) });
  }
  verify(mode: 'full' | 'checkpoint' = 'checkpoint'): Observable<AuditVerify> {
    return this.http.get<AuditVerify>('/api/v1/audit/verify', { params: { mode } });
  }
  /** The server's streamed export (oldest first, with prev_mac/mac so auditors can re-check the
   * chain offline); fetched with the token in a header, then saved from a Blob. */
  export(f: AuditFilter, format: 'csv' | 'jsonl'): Observable<HttpResponse<Blob>> {
    const { limit: _l, offset: _o, ...filters } = f;
    return this.http.get('/api/v1/audit/export', {
      params: cleanParams({ ...filters, format }),
      responseType: 'blob',
      observe: 'response',
    });
  }
}
