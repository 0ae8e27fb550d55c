import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

export interface KeyStatus {
  active_kid: string;
  active_created_at: string;
  next_rotation_at: string;
  rotation_interval_hours: number;
  access_token_ttl_seconds: number;
  published: { kid: string; status: string; created_at: string; publish_until: string | null }[];
}

@Injectable({ providedIn: 'root' })
export class KeysApi {
  private readonly http = inject(HttpClient);

  status(): Observable<KeyStatus> {
    return this.http.get<KeyStatus>('/api/v1/jwt-keys/status');
  }
  rotate(): Observable<{ kid: string; previous_kid: string | null }> {
    return this.http.post<{ kid: string; previous_kid: string | null }>('/api/v1/jwt-keys/rotate', {});
  }
}
