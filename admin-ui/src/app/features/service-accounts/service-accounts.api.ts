import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { Page, cleanParams } from '../../core/api/models';

export const SA_ROLES = ['ADMIN', 'USER', 'AUDITOR', 'READONLY', 'RECORDS_MANAGER'] as const;
export type SaRole = (typeof SA_ROLES)[number];

export interface ServiceAccount {
  id: string;
  client_id: string;
  name: string;
  description: string | null;
  role: SaRole | string;
  status: 'active' | 'suspended' | 'deleted' | string;
  is_system: boolean;
  rate_limit_per_minute: number | null;
  secret_created_at: string;
  secret_expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
  created_by: string | null;
}

export interface ServiceAccountWithSecret extends ServiceAccount {
  client_secret: string;
}

export interface ServiceAccountCreate {
  name: string;
  role: SaRole;
  description?: string | null;
  client_id?: string | null;
  rate_limit_per_minute?: number | null;
}

export interface SaFilter {
  q?: string;
  role?: string;
  status?: string;
  limit?: number;
  offset?: number;
}

@Injectable({ providedIn: 'root' })
export class ServiceAccountsApi {
  private readonly http = inject(HttpClient);
  private readonly base = '/api/v1/service-accounts';

  list(f: SaFilter): Observable<Page<ServiceAccount>> {
    return this.http.get<Page<ServiceAccount>>(this.base, { params: cleanParams({ ...f }) });
  }
  create(body: ServiceAccountCreate): Observable<ServiceAccountWithSecret> {
    return this.http.post<ServiceAccountWithSecret>(this.base, body);
  }
  suspend(id: string): Observable<ServiceAccount> {
    return this.http.post<ServiceAccount>(`${this.base}/${id}/suspend`, {});
  }
  activate(id: string): Observable<ServiceAccount> {
    return this.http.post<ServiceAccount>(`${this.base}/${id}/activate`, {});
  }
  rotateSecret(id: string): Observable<ServiceAccountWithSecret> {
    return this.http.post<ServiceAccountWithSecret>(`${this.base}/${id}/rotate-secret`, {});
  }
  remove(id: string): Observable<void> {
    return this.http.delete<void>(`${this.base}/${id}`);
  }
}
