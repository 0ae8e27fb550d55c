import { HttpClient, HttpEvent, HttpResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { Page, cleanParams } from '../../core/api/models';
import { AuditEvent } from '../audit/audit.api';

export interface FileMeta {
  file_id: string;
  original_filename: string;
  extension: string;
  size: number;
  content_type: string;
  sha256: string;
  created_at: string;
  updated_at: string;
  uploaded_by: { id: string; name: string };
  description: string | null;
  version: string | null;
  tags: string[];
  retention_policy: 'temporary' | 'permanent' | string;
  ttl_days: number | null;
  expires_at: string | null;
  status: string;
  compressed: boolean;
  compression_algorithm: string | null;
  stored_size: number | null;
  custom: Record<string, unknown>;
  finalized_at: string | null;
  last_verified_at: string | null;
  storage_element_id: string;
  storage_element_mode: string | null;
  /** Every copy the catalogue knows of (issue 10). */
  copies?: FileCopy[];
  /** Records management (issue 15): the sidecar's retain_until, class and legal hold ids. */
  retain_until?: string | null;
  retention_class?: string | null;
  legal_holds?: string[];
  /** Text extraction for search and previews (issue 12). */
  text_extraction?: TextExtraction;
}

export interface TextExtraction {
  state: 'pending' | 'done' | 'failed' | 'skipped' | string;
  reason: string | null;
}

export interface FileText {
  file_id: string;
  text_extraction: TextExtraction;
  method: string | null;
  pages: number | null;
  length: number;
  truncated: boolean;
  content: string;
}

export interface FileUpdate {
  description?: string | null;
  version?: string | null;
  tags?: string[];
  custom?: Record<string, unknown>;
}

export interface FileCopy {
  storage_element_id: string;
  state: 'active' | 'expected' | 'deleted' | string;
  last_verified_at: string | null;
}

export interface SearchHit extends FileMeta {
  rank?: number | null;
  highlights?: Record<string, string> | null;
  /** A passage of the document's text, HTML-escaped, matched words in <mark>. */
  snippet?: string | null;
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface SearchPage extends Page<SearchHit> {
  facets?: Record<string, FacetValue[]> | null;
}

export type SearchMode = 'fulltext' | 'partial' | 'exact';

export interface SearchRequest {
  q?: string;
  mode?: SearchMode;
  content_type?: string[];
  extension?: string[];
  tags?: string[];
  uploaded_by?: string;
  size_min?: number | null;
  size_max?: number | null;
  created_from?: string | null;
  created_to?: string | null;
  retention_policy?: string | null;
  status?: string[];
  storage_element_id?: string[];
  se_mode?: string[];
  legal_hold?: string;
  sort?: string | null;
  order?: 'asc' | 'desc' | null;
  facets?: boolean;
  limit?: number;
  offset?: number;
}

export interface UploadForm {
  file: File;
  retention_policy: 'temporary' | 'permanent';
  ttl_days?: number | null;
  description?: string | null;
  tags?: string[];
  version?: string | null;
  metadata?: Record<string, unknown> | null;
  compress?: boolean;
}

export interface UploadResult {
  file_id: string;
  original_filename: string;
  size: number;
  sha256: string;
  content_type: string;
  retention_policy: string;
  expires_at: string | null;
  storage_element_id: string;
  compressed: boolean;
  stored_size: number;
  created_at: string;
}

/** The multipart body of an upload: form fields first, the file part last, because the ingester
 * streams and must know the options before the bytes arrive. */
export function uploadFormData(f: UploadForm): FormData {
  const fd = new FormData();
  fd.append('retention_policy', f.retention_policy);
  if (f.retention_policy === 'temporary' && f.ttl_days) fd.append('ttl_days', String(f.ttl_days));
  if (f.description) fd.append('description', f.description);
  if (f.tags?.length) fd.append('tags', JSON.stringify(f.tags));
  if (f.version) fd.append('version', f.version);
  if (f.metadata && Object.keys(f.metadata).length) fd.append('metadata', JSON.stringify(f.metadata));
  if (f.compress) fd.append('compress', 'true');
  fd.append('file', f.file, f.file.name);
  return fd;
}

@Injectable({ providedIn: 'root' })
export class FilesApi {
  private readonly http = inject(HttpClient);

  search(req: SearchRequest): Observable<SearchPage> {
    return this.http.post<SearchPage>('/api/v1/search', cleanBody(req));
  }
  /** Counts only (limit=1): used by the dashboard trends. */
  count(req: SearchRequest): Observable<SearchPage> {
    return this.http.get<SearchPage>('/api/v1/search', {
      params: cleanParams({ ...(req as Record<string, string>), limit: 1 }),
    });
  }
  get(id: string): Observable<FileMeta> {
    return this.http.get<FileMeta>(`/api/v1/files/${id}`);
  }
  upload(f: UploadForm): Observable<HttpEvent<UploadResult>> {
    return this.http.post<UploadResult>('/api/v1/files', uploadFormData(f), {
      reportProgress: true,
      observe: 'events',
    });
  }
  /** Downloads through HttpClient (the token rides in a header, never in a URL); the body is
   * held as a Blob, so this suits the admin UI's occasional downloads, not bulk transfer. */
  download(id: string): Observable<HttpEvent<Blob>> {
    return this.http.get(`/api/v1/files/${id}/download`, {
      responseType: 'blob',
      reportProgress: true,
      observe: 'events',
    });
  }
  /** The first `bytes` of a file (a Range request, so a large file is not downloaded whole). */
  head(id: string, bytes: number): Observable<HttpResponse<Blob>> {
    return this.http.get(`/api/v1/files/${id}/download`, {
      headers: { Range: `bytes=0-${bytes - 1}` },
      responseType: 'blob',
      observe: 'response',
    });
  }
  /** Bytes [begin, end) of a file: one Range request (pdf.js asks for the chunks it needs). */
  range(id: string, begin: number, end: number): Observable<ArrayBuffer> {
    return this.http.get(`/api/v1/files/${id}/download`, {
      headers: { Range: `bytes=${begin}-${end - 1}` },
      responseType: 'arraybuffer',
    });
  }
  /** The text extracted from the file (Office, RTF, HTML, scans); 409 while pending, 404 when none. */
  text(id: string, maxChars = 200_000): Observable<FileText> {
    return this.http.get<FileText>(`/api/v1/files/${id}/text`, { params: { max_chars: maxChars } });
  }
  /** A small JPEG of an image file, made (once) by the query module. */
  thumbnail(id: string, size: number): Observable<Blob> {
    return this.http.get(`/api/v1/files/${id}/thumbnail`, { params: { size }, responseType: 'blob' });
  }
  /** Several files as one ZIP, streamed by the query module (each member checked against its
   * SHA-256 there); the browser holds the answer as a Blob before saving it. */
  archive(ids: string[]): Observable<HttpResponse<Blob>> {
    return this.http.post('/api/v1/files/archive', { file_ids: ids }, { responseType: 'blob', observe: 'response' });
  }
  /** Changes metadata on every copy (admin module); absent fields stay as they are. */
  update(id: string, changes: FileUpdate): Observable<FileMeta> {
    return this.http.patch<FileMeta>(`/api/v1/files/${id}`, changes);
  }
  /** Deletes every copy (files on edit storage elements only). */
  remove(id: string): Observable<void> {
    return this.http.delete<void>(`/api/v1/files/${id}`);
  }
  /** The file's audit entries (admin module, audit:read), oldest first: uploads, reads,
   * downloads, changes, holds, deletion — each with the account and the client address. */
  history(id: string, limit = 100, offset = 0): Observable<Page<AuditEvent>> {
    return this.http.get<Page<AuditEvent>>(`/api/v1/files/${id}/history`, { params: { limit, offset } });
  }
  finalize(id: string): Observable<{ id: string; state: string }> {
    return this.http.post<{ id: string; state: string }>(`/api/v1/files/${id}/finalize`, {});
  }
}

function cleanBody(req: SearchRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req)) {
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) continue;
    out[k] = v;
  }
  return out;
}
