import { HttpClient } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { Observable, finalize, map, shareReplay, tap } from 'rxjs';

import { Me, TokenResponse } from '../api/models';
import { decodeJwt } from './jwt';

const STORAGE_KEY = 'artstore.session';
/** Refresh this many seconds before the access token expires. */
export const REFRESH_LEEWAY_S = 60;

interface Session {
  access: string;
  refresh: string;
}

/** Holds the admin user's tokens as signals. The session lives in sessionStorage so a reload
 * keeps it but closing the tab ends it; the refresh token is rotated by the server on each use. */
@Injectable({ providedIn: 'root' })
export class AuthService {
  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);

  private readonly session = signal<Session | null>(this.load());
  private inflight: Observable<string> | null = null;

  readonly me = signal<Me | null>(null);
  readonly accessToken = computed(() => this.session()?.access ?? null);
  readonly claims = computed(() => {
    const t = this.accessToken();
    return t ? decodeJwt(t) : null;
  });
  readonly isLoggedIn = computed(() => this.session() !== null);
  readonly role = computed(() => this.claims()?.role ?? null);
  readonly username = computed(() => this.me()?.username ?? this.claims()?.name ?? this.claims()?.sub ?? '');
  readonly scopes = computed(() => new Set((this.claims()?.scope ?? '').split(' ').filter(Boolean)));

  /** True when the token grants every scope given (what the services will check). */
  can(...scopes: string[]): boolean {
    const have = this.scopes();
    return scopes.every((s) => have.has(s));
  }

  login(username: string, password: string): Observable<void> {
    return this.http
      .post<TokenResponse>('/api/v1/admin-auth/login', { username, password })
      .pipe(
        tap((t) => this.store({ access: t.access_token, refresh: t.refresh_token })),
        map(() => undefined),
      );
  }

  /** Exchanges the refresh token once, however many callers ask at the same time. */
  refresh(): Observable<string> {
    if (this.inflight) return this.inflight;
    const refreshToken = this.session()?.refresh;
    if (!refreshToken) throw new Error('no refresh token');
    this.inflight = this.http
      .post<TokenResponse>('/api/v1/admin-auth/refresh', { refresh_token: refreshToken })
      .pipe(
        tap((t) => this.store({ access: t.access_token, refresh: t.refresh_token ?? refreshToken })),
        map((t) => t.access_token),
        finalize(() => (this.inflight = null)),
        shareReplay(1),
      );
    return this.inflight;
  }

  /** Whether the access token is missing or expires within the leeway. */
  needsRefresh(nowS = Date.now() / 1000): boolean {
    const c = this.claims();
    return !!this.session()?.refresh && (!c || c.exp - nowS < REFRESH_LEEWAY_S);
  }

  loadMe(): Observable<Me> {
    return this.http.get<Me>('/api/v1/admin-auth/me').pipe(tap((m) => this.me.set(m)));
  }

  changePassword(current_password: string, new_password: string): Observable<unknown> {
    return this.http.post('/api/v1/admin-auth/change-password', { current_password, new_password });
  }

  logout(): void {
    const refresh = this.session()?.refresh;
    if (refresh) {
      this.http.post('/api/v1/admin-auth/logout', { refresh_token: refresh }).subscribe({ error: () => undefined });
    }
    this.clear();
    void this.router.navigate(['/login']);
  }

  /** The session can no longer be used (refresh failed): back to the login page. */
  expire(): void {
    if (!this.session()) return;
    this.clear();
    const returnUrl = this.router.url.startsWith('/login') ? undefined : this.router.url;
    void this.router.navigate(['/login'], { queryParams: returnUrl ? { returnUrl } : {} });
  }

  private clear(): void {
    this.session.set(null);
    this.me.set(null);
    sessionStorage.removeItem(STORAGE_KEY);
  }

  private store(s: Session): void {
    this.session.set(s);
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
  }

  private load(): Session | null {
    try {
      const raw = sessionStorage.getItem(STORAGE_KEY);
      const s = raw ? (JSON.parse(raw) as Session) : null;
      return s?.access && s?.refresh ? s : null;
    } catch {
      return null;
    }
  }
}
