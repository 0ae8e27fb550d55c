import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { Page, cleanParams } from '../../core/api/models';

/** One entry of a saga's step log, oldest first: a step run or compensated, and how it ended. */
export interface SagaStep {
  step: string;
  phase: 'run' | 'compensate' | string;
  status: 'done' | 'waiting' | 'failed' | string;
  at: string;
  since?: string;
  detail?: string | null;
}

/** The steps of each saga type, in order (the admin module's saga definitions). */
export const SAGA_STEPS: Record<string, string[]> = {
  mode_transition: ['mark_draining', 'wait_in_flight', 'switch_mode', 'publish'],
  finalize: ['copy', 'verify', 'mark_source_finalized', 'wait_safety_margin', 'delete_source'],
  retention_cleanup: ['scan', 'delete'],
};

export interface Saga {
  id: string;
  type: string;
  state: 'running' | 'compensating' | 'completed' | 'compensated' | 'failed' | string;
  resource_id: string | null;
  current_step: string | null;
  payload?: Record<string, unknown>;
  steps: SagaStep[];
  next_attempt_at?: string;
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
  const total = SAGA_STEPS[s.type]?.length;
  if (!total) return 0;
  const done = new Set((s.steps ?? []).filter((st) => st.phase === 'run' && st.status === 'done').map((st) => st.step));
  return Math.min(100, Math.round((100 * done.size) / total));
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

/** The step log as a reader wants it: one line per step and phase, its latest entry (a step
 * logged "waiting" and then "done" shows once, as done, with the time it started waiting). */
export function latestSteps(steps: SagaStep[]): SagaStep[] {
  const byKey = new Map<string, SagaStep>();
  for (const st of steps ?? []) {
    const key = `${st.phase}:${st.step}`;
    const prev = byKey.get(key);
    byKey.delete(key); // re-insert so the order follows the latest entry
    byKey.set(key, prev ? { ...st, since: st.since ?? prev.since ?? prev.at } : st);
  }
  return [...byKey.values()];
}

/** What a saga works on, for a label: a file's name or an SE id from the payload. */
export function sagaSubject(s: Saga): { kind: 'file' | 'se' | 'other'; id: string | null; name: string | null } {
  const p = (s.payload ?? {}) as Record<string, unknown>;
  const attrs = p['attributes'] as { original_filename?: string } | undefined;
  if (s.type === 'finalize') return { kind: 'file', id: s.resource_id, name: attrs?.original_filename ?? null };
  if (s.type === 'mode_transition') return { kind: 'se', id: s.resource_id, name: null };
  return { kind: 'other', id: s.resource_id, name: null };
}
