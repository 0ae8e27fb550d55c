import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import { storeSession, tokenFor } from '../../../testing/tokens';
import { I18nService } from '../../core/i18n/i18n.service';
import { ServiceAccountsPage } from './service-accounts.page';

const account = {
  id: 'a1', client_id: 'erp', name: 'ERP', description: null, role: 'USER', status: 'active', is_system: false,
  rate_limit_per_minute: null, secret_created_at: '2026-01-01T00:00:00Z', secret_expires_at: null, last_used_at: null,
  created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', created_by: null,
};

async function render(scope: string) {
  storeSession(tokenFor({ scope }));
  TestBed.configureTestingModule({
    imports: [ServiceAccountsPage],
    providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
  });
  TestBed.inject(I18nService).setLang('en');
  const f = TestBed.createComponent(ServiceAccountsPage);
  f.detectChanges();
  const req = TestBed.inject(HttpTestingController).expectOne((r) => r.url === '/api/v1/service-accounts');
  expect(req.request.params.get('limit')).toBe('20');
  req.flush({ items: [account], total: 1, limit: 20, offset: 0 });
  await f.whenStable();
  return f.nativeElement as HTMLElement;
}

describe('ServiceAccountsPage', () => {
  beforeEach(() => sessionStorage.clear());

  it('shows create and row actions to an accounts admin', async () => {
    const el = await render('accounts:read accounts:admin');
    expect(el.querySelector('[data-testid=sa-row-erp]')!.textContent).toContain('ERP');
    expect(el.querySelector('[data-testid=sa-add]')).not.toBeNull();
    expect(el.querySelector('[data-testid=sa-actions-erp]')).not.toBeNull();
  });

  it('hides every write action from a read-only user', async () => {
    const el = await render('accounts:read');
    expect(el.querySelector('[data-testid=sa-row-erp]')).not.toBeNull();
    expect(el.querySelector('[data-testid=sa-add]')).toBeNull();
    expect(el.querySelector('[data-testid=sa-actions-erp]')).toBeNull();
  });
});
