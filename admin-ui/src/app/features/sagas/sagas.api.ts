import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { Page, cleanParams } from '../../core/api/models';

export interface SagaStep {
  name: string;
  state?: string;
  status?: string;
  started_at?: string | null;
  finished_at?: string | null;
  error?: string | null;
  [key: string]: unknown;
}

export interface Saga {
  id: string;
  type: string;
  state: 'running' | 'compensating' | 'completed' | 'compensated' | 'failed' | string;
  resource_id: string | null;
  current_step: string | null;
  payload?: Record<string, unknown>;
  steps: SagaStep[];
  total_steps?: number | null;
  attempts: number;
  error: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

/** Share of steps finished, 0..100 (a terminal saga is 100). */
export function sagaProgress(s: Saga): number {
  if (['completed', 'compensated', 'failed'].includes(s.state)) return 100;
  const steps = s.steps ?? [];
  const total = s.total_steps ?? steps.length;
  if (!total) return 0;
  const done = steps.filter((st) => ['completed', 'done', 'succeeded'].includes(String(st.state ?? st.status))).length;
  return Math.min(100, Math.round((100 * done) / total));
}

@Injectable({ providedIn: 'root' })
export class SagasApi {
  private readonly http = inject(HttpClient);

  list(f: { type?: string; state?: string; resource_id?: string; limit?: number; offset?: number }): Observable<Page<Saga>> {
    return this.http.get<Page<Saga>>('/api/v1/sagas', { params: cleanParams({ ...f }) });
  }
  get(id: string): Observable<Saga> {
    return this.http.get<Saga>(`/api/v1/sagas/${id}`);
  }
}
