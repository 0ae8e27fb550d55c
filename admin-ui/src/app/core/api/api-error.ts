import { HttpErrorResponse } from '@angular/common/http';

/** A human-readable message for a failed call, from the SPEC error shape when present. */
export function errorMessage(err: unknown): string {
  if (err instanceof HttpErrorResponse) {
    const body = err.error;
    if (body && typeof body === 'object') {
      if (body.error && typeof body.error === 'object' && body.error.message) {
        return `${body.error.code ?? err.status}: ${body.error.message}`;
      }
      if (typeof body.error === 'string') {
        return body.error_description ? `${body.error}: ${body.error_description}` : body.error;
      }
      if (body.detail) return typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);
    }
    if (err.status === 0) return 'Network error: the service is unreachable';
    return `${err.status} ${err.statusText}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export function errorCode(err: unknown): string | null {
  if (err instanceof HttpErrorResponse && err.error?.error?.code) return err.error.error.code;
  return null;
}
