import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

/** One copy's integrity check (admin module, `POST /api/v1/files/{id}/verify`). */
export interface CopyCheck {
  storage_element_id: string;
  storage_element_name: string;
  mode: string;
  /** ok, mismatch, missing, unreadable, error, archived, busy or unreachable. */
  outcome: string;
  fixity_status: string | null;
  quarantined: boolean | null;
  last_verified_at: string | null;
  message: string | null;
}

export interface IntegrityReport {
  file_id: string;
  checked_at: string;
  copies: CopyCheck[];
}

/** The file-page actions of issue 16, all served by the admin module. */
@Injectable({ providedIn: 'root' })
export class FileActionsApi {
  private readonly http = inject(HttpClient);

  /** Re-hash every copy now (storage:admin); each SE records it as its scrubber does. */
  verify(id: string): Observable<IntegrityReport> {
    return this.http.post<IntegrityReport>(`/api/v1/files/${id}/verify`, {});
  }
  /** A temporary file's expiry, only later (files:write, owner or storage:admin). */
  extendExpiry(id: string, expiresAt: string): Observable<{ expires_at: string }> {
    return this.http.put<{ expires_at: string }>(`/api/v1/files/${id}/expires-at`, { expires_at: expiresAt });
  }
  /** Keep the file at least until then, only later (records:write). */
  retainUntil(id: string, retainUntil: string): Observable<{ retain_until: string }> {
    return this.http.put<{ retain_until: string }>(`/api/v1/files/${id}/retain-until`, { retain_until: retainUntil });
  }
}

/** The chosen calendar day at the time of day of `current` (UTC), as ISO 8601 — so "a month
 * later" means the same hour, and a day picked in any time zone is that day. */
export function onDay(day: Date, current: string | null): string {
  const base = current ? new Date(current) : new Date(Date.UTC(2000, 0, 1, 23, 59, 59));
  return new Date(Date.UTC(day.getFullYear(), day.getMonth(), day.getDate(),
    base.getUTCHours(), base.getUTCMinutes(), base.getUTCSeconds())).toISOString();
}

/** Midnight (local) of the day after `iso`: the earliest day the picker offers. */
export function dayAfter(iso: string | null, now = new Date()): Date {
  const from = iso ? new Date(iso) : now;
  return new Date(from.getFullYear(), from.getMonth(), from.getDate() + 1);
}
