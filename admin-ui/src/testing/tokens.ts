/** Unsigned JWT-shaped tokens for tests: the UI only reads claims, the services verify. */
export function fakeJwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(o))))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  return `${b64({ alg: 'RS256', kid: 'k1' })}.${b64(claims)}.sig`;
}

export function tokenFor(opts: { role?: string; scope?: string; expInS?: number; name?: string } = {}): string {
  return fakeJwt({
    sub: 'u-1',
    name: opts.name ?? 'admin',
    role: opts.role ?? 'super_admin',
    scope: opts.scope ?? 'files:read files:write storage:read storage:admin accounts:read accounts:admin audit:read',
    exp: Math.floor(Date.now() / 1000) + (opts.expInS ?? 1800),
  });
}

export function storeSession(access: string, refresh = 'refresh-1'): void {
  sessionStorage.setItem('artstore.session', JSON.stringify({ access, refresh }));
}
