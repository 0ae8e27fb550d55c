import { HttpErrorResponse, HttpResponse } from '@angular/common/http';

/** The file name from a Content-Disposition header (RFC 6266 `filename*` preferred). */
export function dispositionFilename(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const star = /filename\*\s*=\s*([^']*)''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[2].trim().replace(/^"|"$/g, ''));
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : fallback;
}

export function saveBlob(res: HttpResponse<Blob>, fallbackName: string): void {
  const name = dispositionFilename(res.headers.get('Content-Disposition'), fallbackName);
  const url = URL.createObjectURL(res.body as Blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A failed call made with `responseType: 'blob'` carries its SPEC error body as a Blob: read it
 * back into JSON so the message shown is the service's own. */
export async function withJsonError(err: unknown): Promise<unknown> {
  if (!(err instanceof HttpErrorResponse) || !(err.error instanceof Blob)) return err;
  try {
    const body = JSON.parse(await err.error.text());
    return new HttpErrorResponse({ error: body, headers: err.headers, status: err.status, statusText: err.statusText, url: err.url ?? undefined });
  } catch {
    return err;
  }
}
