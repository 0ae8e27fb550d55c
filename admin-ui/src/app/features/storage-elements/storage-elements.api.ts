import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { Page, cleanParams } from '../../core/api/models';

export type SeMode = 'edit' | 'rw' | 'ro' | 'ar';

export interface StorageElement {
  id: string;
  name: string;
  description?: string | null;
  api_url: string;
  mode: SeMode;
  status: 'online' | 'offline' | 'degraded' | string;
  draining?: boolean;
  priority: number;
  backend: string;
  capacity_bytes: number;
  used_bytes: number;
  file_count: number;
  usage_percent?: number | null;
  retention_days?: number | null;
  retention_warning_days?: number | null;
  retention_ends_at?: string | null;
  retention_days_left?: number | null;
  retention_state?: 'none' | 'ok' | 'warning' | 'expired';
  free_bytes?: number;
  se_version?: string | null;
  last_seen_at?: string | null;
  last_checked_at?: string | null;
  last_error?: string | null;
  failure_domain?: string;
  /** Set once an operator declared the SE lost (it will not come back). */
  lost_at?: string | null;
  lost_reason?: string | null;
  created_at?: string;
  updated_at?: string;
}

/** What `discover` previews: the SE's own /api/v1/info. */
export interface DiscoveredInfo {
  id: string;
  name: string;
  mode: SeMode;
  backend: string;
  capacity_bytes: number;
  used_bytes: number;
  file_count: number;
  priority: number;
  retention_days?: number | null;
  version: string;
  status?: string;
  api_url?: string;
  already_registered?: boolean;
}

export interface SeRegister {
  api_url: string;
  name?: string;
  description?: string | null;
  priority?: number;
  retention_days?: number | null;
}

export type SeUpdate = Partial<Pick<StorageElement, 'name' | 'description' | 'priority' | 'retention_days' | 'retention_warning_days'>>;

/** The one-way mode steps an administrator may take (`edit` never changes). */
export const NEXT_MODE: Partial<Record<SeMode, SeMode>> = { rw: 'ro', ro: 'ar' };

export function usagePercent(se: Pick<StorageElement, 'usage_percent' | 'used_bytes' | 'capacity_bytes'>): number {
  if (typeof se.usage_percent === 'number') return se.usage_percent;
  return se.capacity_bytes > 0 ? (100 * se.used_bytes) / se.capacity_bytes : 0;
}

/** Days left in the SE's retention period (negative once over), or null when it has none.
 * The period runs from registration (`retention_ends_at` from the admin module). */
export function retentionDaysLeft(se: StorageElement, now = Date.now()): number | null {
  let end: number | null = null;
  if (se.retention_ends_at) end = new Date(se.retention_ends_at).getTime();
  else if (se.retention_days && se.created_at) end = new Date(se.created_at).getTime() + se.retention_days * 86_400_000;
  if (end === null || isNaN(end)) return null;
  return Math.floor((end - now) / 86_400_000);
}

@Injectable({ providedIn: 'root' })
export class StorageElementsApi {
  private readonly http = inject(HttpClient);
  private readonly base = '/api/v1/storage-elements';

  list(filters: { mode?: string; status?: string; limit?: number; offset?: number } = {}): Observable<Page<StorageElement>> {
    return this.http.get<Page<StorageElement>>(this.base, { params: cleanParams({ limit: 200, ...filters }) });
  }
  get(id: string): Observable<StorageElement> {
    return this.http.get<StorageElement>(`${this.base}/${id}`);
  }
  discover(api_url: string): Observable<DiscoveredInfo> {
    return this.http.post<DiscoveredInfo>(`${this.base}/discover`, { api_url });
  }
  register(body: SeRegister): Observable<StorageElement> {
    return this.http.post<StorageElement>(this.base, body);
  }
  update(id: string, body: SeUpdate): Observable<StorageElement> {
    return this.http.patch<StorageElement>(`${this.base}/${id}`, body);
  }
  remove(id: string): Observable<void> {
    return this.http.delete<void>(`${this.base}/${id}`);
  }
  sync(id: string): Observable<StorageElement> {
    return this.http.post<StorageElement>(`${this.base}/${id}/sync`, {});
  }
  syncAll(): Observable<unknown> {
    return this.http.post(`${this.base}/sync`, {});
  }
  declareLost(id: string, reason: string): Observable<StorageElement> {
    return this.http.post<StorageElement>(`${this.base}/${id}/lost`, { reason });
  }
  changeMode(id: string, target_mode: SeMode, reason: string): Observable<{ id: string; type: string; state: string }> {
    return this.http.post<{ id: string; type: string; state: string }>(`${this.base}/${id}/mode`, { target_mode, reason });
  }
}
