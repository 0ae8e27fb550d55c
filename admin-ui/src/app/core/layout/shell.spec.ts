import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import { storeSession, tokenFor } from '../../../testing/tokens';
import { I18nService } from '../i18n/i18n.service';
import { Shell } from './shell';

function navLinks(scope: string, role = 'admin'): string[] {
  storeSession(tokenFor({ scope, role }));
  TestBed.configureTestingModule({
    imports: [Shell],
    providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
  });
  TestBed.inject(I18nService).setLang('en');
  const f = TestBed.createComponent(Shell);
  f.detectChanges();
  TestBed.inject(HttpTestingController).expectOne('/api/v1/admin-auth/me').flush({ id: '1', username: 'u', role });
  const el = f.nativeElement as HTMLElement;
  return [...el.querySelectorAll('[data-testid^=nav-]')].map((a) => a.getAttribute('data-testid')!);
}

describe('Shell navigation', () => {
  beforeEach(() => sessionStorage.clear());

  it('offers every page to a super admin', () => {
    expect(navLinks('files:read storage:read accounts:read audit:read')).toEqual([
      'nav-dashboard', 'nav-storage-elements', 'nav-files', 'nav-service-accounts', 'nav-admin-users', 'nav-audit', 'nav-sagas',
    ]);
  });

  it('hides pages the token gives no scope for', () => {
    expect(navLinks('files:read', 'readonly')).toEqual(['nav-dashboard', 'nav-files']);
  });
});
