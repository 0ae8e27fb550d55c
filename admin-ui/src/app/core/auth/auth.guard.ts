import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';

import { AuthService } from './auth.service';

/** Lets signed-in users through; sends everyone else to the login page with a return URL. */
export const authGuard: CanActivateFn = (_route, state) => {
  const auth = inject(AuthService);
  if (auth.isLoggedIn()) return true;
  return inject(Router).createUrlTree(['/login'], { queryParams: { returnUrl: state.url } });
};

/** Route guard for pages that need scopes (e.g. the audit log needs `audit:read`). */
export function scopeGuard(...scopes: string[]): CanActivateFn {
  return () => {
    const auth = inject(AuthService);
    return auth.can(...scopes) ? true : inject(Router).createUrlTree(['/dashboard']);
  };
}
