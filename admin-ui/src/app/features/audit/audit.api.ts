import { HttpClient } from '@angular/common/http';
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
}

export interface AuditFilter {
  action?: string;
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
  verify(): Observable<AuditVerify> {
    return this.http.get<AuditVerify>('/api/v1/audit/verify');
  }
}

const CSV_COLUMNS: (keyof AuditEvent)[] = [
  'seq', 'created_at', 'action', 'actor', 'resource_type', 'resource_id', 'outcome', 'request_id', 'details', 'mac',
];

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV of audit events (details as JSON), with a BOM so spreadsheet tools read UTF-8. */
export function auditToCsv(events: AuditEvent[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of events) lines.push(CSV_COLUMNS.map((c) => csvCell(e[c])).join(','));
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}
