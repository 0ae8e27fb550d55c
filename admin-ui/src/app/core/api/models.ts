/** The one list shape every service returns. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** The one error shape: {"error": {"code", "message", "details"}}. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export interface Me {
  id: string;
  username: string;
  email?: string | null;
  full_name?: string | null;
  role: string;
  status?: string;
  is_system?: boolean;
  last_login_at?: string | null;
}

/** Builds HttpParams-compatible records, dropping empty values. */
export function cleanParams(
  params: Record<string, string | number | boolean | null | undefined | string[]>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length) out[k] = v;
    } else {
      out[k] = String(v);
    }
  }
  return out;
}
