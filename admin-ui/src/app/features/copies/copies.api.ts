import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

/** A file the last scan judged: the SEs holding a healthy copy against its target. */
export interface CopyEntry {
  file_id: string;
  healthy: string[];
  target: number;
  quarantined: string[];
  missing: string[];
  sha256: string | null;
}

export interface RepairOutcome {
  file_id: string;
  source?: string;
  target?: string;
  rewritten?: boolean;
  error?: string;
}

/** `GET /api/v1/copies/report`: the last finished scan of the repairer. */
export interface CopiesReport {
  scanned_at: string | null;
  saga_id: string | null;
  saga_state?: string;
  /** The SE a run was started for (it repaired only that SE's files); null: every file. */
  storage_element_id?: string | null;
  files_seen: number;
  under_replicated_count: number;
  lost_count: number;
  under_replicated: CopyEntry[];
  lost: CopyEntry[];
  /** SE name → files whose only healthy copy is there. */
  sole_copies: Record<string, number>;
  unseen_storage_elements: string[];
  repaired?: RepairOutcome[] | null;
  failed?: RepairOutcome[] | null;
}

@Injectable({ providedIn: 'root' })
export class CopiesApi {
  private readonly http = inject(HttpClient);

  report(): Observable<CopiesReport> {
    return this.http.get<CopiesReport>('/api/v1/copies/report');
  }
  /** Starts a repair run, of every file or only of one SE's (or answers the one already
   * running) → its saga. */
  repair(storageElementId?: string): Observable<{ id: string; state: string }> {
    const body = storageElementId ? { storage_element_id: storageElementId } : {};
    return this.http.post<{ id: string; state: string }>('/api/v1/copies/repair', body);
  }
}
