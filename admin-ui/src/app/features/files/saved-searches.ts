import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Injectable, inject, signal } from '@angular/core';
import { Params } from '@angular/router';
import { Observable, catchError, concatMap, from, of, switchMap, tap, toArray } from 'rxjs';

import { AuthService } from '../../core/auth/auth.service';

export interface SavedSearch {
  id: string;
  name: string;
  params: Params;
}

const API = '/api/v1/saved-searches';

/** URL parameters as the server keeps them: strings, or lists of strings (tag=a&tag=b). */
export function asStrings(params: Params): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}

/** Named searches (their URL parameters), kept per administrator by the admin module, so they
 * follow the administrator to any browser. Lists saved in this browser by earlier versions
 * (localStorage) are moved to the server once, on first load. */
@Injectable({ providedIn: 'root' })
export class SavedSearches {
  private readonly http = inject(HttpClient);
  private readonly auth = inject(AuthService);
  readonly list = signal<SavedSearch[]>([]);
  readonly loading = signal(false);
  readonly error = signal<unknown>(null);

  private legacyKey(): string {
    return `artstore.savedSearches.${this.auth.username() ?? ''}`;
  }

  /** Loads the list; `imported` gets how many local searches were moved to the server. */
  load(imported?: (n: number) => void): void {
    this.loading.set(true);
    this.error.set(null);
    const local = this.legacy();
    const moved = local.length
      ? from(local).pipe(
          // One that exists already (same name) is kept as it is on the server.
          concatMap((s) => this.http.post(API, { name: s.name, params: asStrings(s.params) }).pipe(catchError(() => of(null)))),
          toArray(),
          tap((res) => {
            localStorage.removeItem(this.legacyKey());
            imported?.(res.filter(Boolean).length);
          }),
        )
      : of([]);
    moved.pipe(switchMap(() => this.fetch())).subscribe({
      next: () => this.loading.set(false),
      error: (e) => {
        this.loading.set(false);
        this.error.set(e);
      },
    });
  }

  /** Saves under `name`, replacing an earlier search of that name. */
  save(name: string, params: Params): Observable<unknown> {
    const same = this.list().find((s) => s.name === name);
    const replace: Observable<unknown> = same ? this.http.delete(`${API}/${same.id}`) : of(null);
    return replace.pipe(
      switchMap(() => this.http.post<SavedSearch>(API, { name, params: asStrings(params) })),
      switchMap(() => this.fetch()),
    );
  }

  remove(s: SavedSearch): Observable<unknown> {
    return this.http.delete(`${API}/${s.id}`).pipe(
      catchError((e) => (e instanceof HttpErrorResponse && e.status === 404 ? of(null) : Promise.reject(e))),
      switchMap(() => this.fetch()),
    );
  }

  private fetch(): Observable<unknown> {
    return this.http.get<{ items: SavedSearch[] }>(API).pipe(tap((r) => this.list.set(r.items)));
  }

  private legacy(): { name: string; params: Params }[] {
    try {
      const raw = JSON.parse(localStorage.getItem(this.legacyKey()) ?? '[]');
      return Array.isArray(raw) ? raw.filter((s) => s && typeof s.name === 'string' && s.params && typeof s.params === 'object') : [];
    } catch {
      return [];
    }
  }
}
