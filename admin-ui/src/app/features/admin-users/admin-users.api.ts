import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { Page, cleanParams } from '../../core/api/models';

export const ADMIN_ROLES = ['super_admin', 'admin', 'readonly', 'records_manager', 'auditor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export interface AdminUser {
  id: string;
  username: string;
  email: string | null;
  full_name: string | null;
  role: AdminRole | string;
  status: 'active' | 'disabled' | 'deleted' | string;
  is_system: boolean;
  locked_until: string | null;
  last_login_at: string | null;
  password_changed_at: string;
  created_at: string;
  updated_at: string;
}

export interface AdminUserCreate {
  username: string;
  password: string;
  role: AdminRole;
  email?: string | null;
  full_name?: string | null;
}

export interface AdminUserUpdate {
  role?: AdminRole;
  status?: 'active' | 'disabled';
  email?: string | null;
  full_name?: string | null;
}

@Injectable({ providedIn: 'root' })
export class AdminUsersApi {
  private readonly http = inject(HttpClient);
  private readonly base = '/api/v1/admin-users';

  list(f: { q?: string; role?: string; status?: string; limit?: number; offset?: number }): Observable<Page<AdminUser>> {
    return this.http.get<Page<AdminUser>>(this.base, { params: cleanParams({ ...f }) });
  }
  create(body: AdminUserCreate): Observable<AdminUser> {
    return this.http.post<AdminUser>(this.base, body);
  }
  update(id: string, body: AdminUserUpdate): Observable<AdminUser> {
    return this.http.patch<AdminUser>(`${this.base}/${id}`, body);
  }
  resetPassword(id: string, new_password: string): Observable<unknown> {
    return this.http.post(`${this.base}/${id}/reset-password`, { new_password });
  }
  unlock(id: string): Observable<AdminUser> {
    return this.http.post<AdminUser>(`${this.base}/${id}/unlock`, {});
  }
  remove(id: string): Observable<void> {
    return this.http.delete<void>(`${this.base}/${id}`);
  }
}
