/** Claims the UI reads from an access token (RS256 JWT signed by the admin module). */
export interface AccessClaims {
  sub: string;
  name?: string;
  role?: string;
  scope?: string;
  ptype?: string;
  exp: number;
}

/** Decodes a JWT payload without verifying it: the services verify; the UI only reads the
 * expiry and scopes to schedule refreshes and hide actions the user cannot perform. */
export function decodeJwt(token: string): AccessClaims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims?.exp === 'number' ? (claims as AccessClaims) : null;
  } catch {
    return null;
  }
}
