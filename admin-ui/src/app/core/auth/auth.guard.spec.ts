import { provideHttpClient } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { ActivatedRouteSnapshot, RouterStateSnapshot, UrlTree, provideRouter } from '@angular/router';

import { storeSession, tokenFor } from '../../../testing/tokens';
import { authGuard, scopeGuard } from './auth.guard';
import { AuthService } from './auth.service';

const route = {} as ActivatedRouteSnapshot;
const state = (url: string) => ({ url }) as RouterStateSnapshot;

function run(guard: typeof authGuard, url = '/audit') {
  TestBed.configureTestingModule({ providers: [provideRouter([]), provideHttpClient()] });
  return TestBed.runInInjectionContext(() => guard(route, state(url)));
}

describe('guards', () => {
  beforeEach(() => sessionStorage.clear());

  it('authGuard sends a signed-out visitor to login with the return URL', () => {
    const result = run(authGuard, '/files?q=x') as UrlTree;
    expect(result.toString()).toBe('/login?returnUrl=%2Ffiles%3Fq%3Dx');
  });

  it('authGuard lets a signed-in user through', () => {
    storeSession(tokenFor());
    expect(run(authGuard)).toBe(true);
  });

  it('scopeGuard needs every scope named', () => {
    storeSession(tokenFor({ role: 'readonly', scope: 'files:read storage:read accounts:read' }));
    expect((run(scopeGuard('audit:read')) as UrlTree).toString()).toBe('/dashboard');
    TestBed.resetTestingModule();
    expect(run(scopeGuard('files:read', 'storage:read'))).toBe(true);
  });

  it('can() reads scopes from the token', () => {
    storeSession(tokenFor({ scope: 'files:read' }));
    TestBed.configureTestingModule({ providers: [provideRouter([]), provideHttpClient()] });
    const auth = TestBed.inject(AuthService);
    expect(auth.can('files:read')).toBe(true);
    expect(auth.can('files:read', 'files:write')).toBe(false);
  });
});
