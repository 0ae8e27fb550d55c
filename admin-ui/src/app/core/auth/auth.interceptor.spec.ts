import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';

import { storeSession, tokenFor } from '../../../testing/tokens';
import { authInterceptor } from './auth.interceptor';
import { AuthService } from './auth.service';

function setup() {
  TestBed.configureTestingModule({
    providers: [provideRouter([]), provideHttpClient(withInterceptors([authInterceptor])), provideHttpClientTesting()],
  });
  return {
    http: TestBed.inject(HttpClient),
    ctrl: TestBed.inject(HttpTestingController),
    auth: TestBed.inject(AuthService),
    router: TestBed.inject(Router),
  };
}

describe('authInterceptor', () => {
  beforeEach(() => sessionStorage.clear());
  afterEach(() => TestBed.inject(HttpTestingController).verify());

  it('adds the bearer token to API calls only', () => {
    const access = tokenFor();
    storeSession(access);
    const { http, ctrl } = setup();
    http.get('/api/v1/audit').subscribe();
    http.get('/assets/x.json').subscribe();
    expect(ctrl.expectOne('/api/v1/audit').request.headers.get('Authorization')).toBe(`Bearer ${access}`);
    expect(ctrl.expectOne('/assets/x.json').request.headers.has('Authorization')).toBe(false);
  });

  it('never sends a token to login or refresh', () => {
    storeSession(tokenFor());
    const { http, ctrl } = setup();
    http.post('/api/v1/admin-auth/login', {}).subscribe();
    expect(ctrl.expectOne('/api/v1/admin-auth/login').request.headers.has('Authorization')).toBe(false);
  });

  it('refreshes first when the token is about to expire, once for concurrent calls', () => {
    storeSession(tokenFor({ expInS: 10 }), 'r-old');
    const { http, ctrl, auth } = setup();
    const fresh = tokenFor();
    http.get('/api/v1/sagas').subscribe();
    http.get('/api/v1/audit').subscribe();
    const refresh = ctrl.expectOne('/api/v1/admin-auth/refresh');
    expect(refresh.request.body).toEqual({ refresh_token: 'r-old' });
    refresh.flush({ access_token: fresh, refresh_token: 'r-new', token_type: 'Bearer', expires_in: 1800 });
    expect(ctrl.expectOne('/api/v1/sagas').request.headers.get('Authorization')).toBe(`Bearer ${fresh}`);
    expect(ctrl.expectOne('/api/v1/audit').request.headers.get('Authorization')).toBe(`Bearer ${fresh}`);
    expect(JSON.parse(sessionStorage.getItem('artstore.session')!).refresh).toBe('r-new');
    expect(auth.accessToken()).toBe(fresh);
  });

  it('on 401 refreshes once and retries once', () => {
    const old = tokenFor();
    storeSession(old, 'r1');
    const { http, ctrl } = setup();
    const fresh = tokenFor({ name: 'again' });
    let body: unknown;
    http.get('/api/v1/audit').subscribe((b) => (body = b));
    ctrl.expectOne('/api/v1/audit').flush({ error: { code: 'INVALID_TOKEN', message: 'x' } }, { status: 401, statusText: 'Unauthorized' });
    ctrl.expectOne('/api/v1/admin-auth/refresh').flush({ access_token: fresh, refresh_token: 'r2', token_type: 'Bearer', expires_in: 1800 });
    const retry = ctrl.expectOne('/api/v1/audit');
    expect(retry.request.headers.get('Authorization')).toBe(`Bearer ${fresh}`);
    retry.flush({ ok: true });
    expect(body).toEqual({ ok: true });
  });

  it('a second 401 after the retry is returned to the caller, not looped', () => {
    storeSession(tokenFor(), 'r1');
    const { http, ctrl } = setup();
    let status = 0;
    http.get('/api/v1/audit').subscribe({ error: (e) => (status = e.status) });
    ctrl.expectOne('/api/v1/audit').flush(null, { status: 401, statusText: 'Unauthorized' });
    ctrl.expectOne('/api/v1/admin-auth/refresh').flush({ access_token: tokenFor(), refresh_token: 'r2', token_type: 'Bearer', expires_in: 1800 });
    ctrl.expectOne('/api/v1/audit').flush(null, { status: 401, statusText: 'Unauthorized' });
    ctrl.expectNone('/api/v1/admin-auth/refresh');
    expect(status).toBe(401);
  });

  it('ends the session and goes to login when the refresh fails', async () => {
    storeSession(tokenFor(), 'r1');
    const { http, ctrl, auth, router } = setup();
    const nav = vi.spyOn(router, 'navigate').mockResolvedValue(true);
    let status = 0;
    http.get('/api/v1/audit').subscribe({ error: (e) => (status = e.status) });
    ctrl.expectOne('/api/v1/audit').flush(null, { status: 401, statusText: 'Unauthorized' });
    ctrl.expectOne('/api/v1/admin-auth/refresh').flush({ error: { code: 'INVALID_REFRESH_TOKEN', message: 'x' } }, { status: 401, statusText: 'Unauthorized' });
    expect(status).toBe(401);
    expect(auth.isLoggedIn()).toBe(false);
    expect(sessionStorage.getItem('artstore.session')).toBeNull();
    expect(nav).toHaveBeenCalledWith(['/login'], expect.anything());
  });

  it('passes other errors through untouched', () => {
    storeSession(tokenFor());
    const { http, ctrl } = setup();
    let status = 0;
    http.get('/api/v1/audit').subscribe({ error: (e) => (status = e.status) });
    ctrl.expectOne('/api/v1/audit').flush(null, { status: 403, statusText: 'Forbidden' });
    ctrl.expectNone('/api/v1/admin-auth/refresh');
    expect(status).toBe(403);
  });
});
