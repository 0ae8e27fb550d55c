import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';

import { tokenFor } from '../../../testing/tokens';
import { authInterceptor } from '../../core/auth/auth.interceptor';
import { AuthService } from '../../core/auth/auth.service';
import { I18nService } from '../../core/i18n/i18n.service';
import { LoginPage } from './login.page';

function setup() {
  TestBed.configureTestingModule({
    imports: [LoginPage],
    providers: [provideRouter([]), provideHttpClient(withInterceptors([authInterceptor])), provideHttpClientTesting()],
  });
  TestBed.inject(I18nService).setLang('en');
  const f = TestBed.createComponent(LoginPage);
  f.detectChanges();
  const el = f.nativeElement as HTMLElement;
  const type = (id: string, v: string) => {
    const input = el.querySelector(`[data-testid=${id}]`) as HTMLInputElement;
    input.value = v;
    input.dispatchEvent(new Event('input'));
  };
  return { f, el, type, ctrl: TestBed.inject(HttpTestingController) };
}

describe('LoginPage', () => {
  beforeEach(() => sessionStorage.clear());

  it('shows a translated message on bad credentials and stays signed out', async () => {
    const { f, el, type, ctrl } = setup();
    type('login-username', 'admin');
    type('login-password', 'bad');
    (el.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit'));
    ctrl.expectOne('/api/v1/admin-auth/login').flush(
      { error: { code: 'INVALID_CREDENTIALS', message: 'Invalid username or password' } },
      { status: 401, statusText: 'Unauthorized' },
    );
    await f.whenStable();
    expect(el.querySelector('[data-testid=login-error]')!.textContent).toContain('Wrong username or password');
    expect(TestBed.inject(AuthService).isLoggedIn()).toBe(false);
  });

  it('stores the session and goes to the dashboard on success', async () => {
    const { el, type, ctrl } = setup();
    const nav = vi.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    type('login-username', 'admin');
    type('login-password', 'good');
    (el.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit'));
    const req = ctrl.expectOne('/api/v1/admin-auth/login');
    expect(req.request.body).toEqual({ username: 'admin', password: 'good' });
    req.flush({ access_token: tokenFor(), refresh_token: 'r', token_type: 'Bearer', expires_in: 1800 });
    expect(TestBed.inject(AuthService).isLoggedIn()).toBe(true);
    expect(nav).toHaveBeenCalledWith('/dashboard');
  });
});
