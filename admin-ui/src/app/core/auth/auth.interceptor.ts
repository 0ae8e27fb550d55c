import { HttpErrorResponse, HttpInterceptorFn, HttpRequest } from '@angular/common/http';
import { inject } from '@angular/core';
import { catchError, of, switchMap, throwError } from 'rxjs';

import { AuthService } from './auth.service';

const PUBLIC_PATHS = ['/api/v1/admin-auth/login', '/api/v1/admin-auth/refresh'];

function withToken(req: HttpRequest<unknown>, token: string | null): HttpRequest<unknown> {
  return token ? req.clone({ setHeaders: { Authorization: `Bearer ${token}` } }) : req;
}

/** Adds the Bearer token to API calls, refreshes it shortly before it expires, and on a 401
 * refreshes once and retries once; when the refresh fails the session ends. */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  const auth = inject(AuthService);
  if (!req.url.startsWith('/api/') || PUBLIC_PATHS.some((p) => req.url.startsWith(p))) {
    return next(req);
  }
  const token$ = auth.needsRefresh()
    ? auth.refresh().pipe(catchError(() => of(auth.accessToken())))
    : of(auth.accessToken());

  return token$.pipe(
    switchMap((token) =>
      next(withToken(req, token)).pipe(
        catchError((err: unknown) => {
          if (!(err instanceof HttpErrorResponse) || err.status !== 401 || !auth.isLoggedIn()) {
            return throwError(() => err);
          }
          let retry$;
          try {
            retry$ = auth.refresh();
          } catch {
            auth.expire();
            return throwError(() => err);
          }
          return retry$.pipe(
            catchError(() => {
              auth.expire();
              return throwError(() => err);
            }),
            switchMap((fresh) => next(withToken(req, fresh))),
          );
        }),
      ),
    ),
  );
};
