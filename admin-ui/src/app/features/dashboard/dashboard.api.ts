import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

export interface CapacityPoint {
  at: string;
  used_bytes: number;
  capacity_bytes: number;
  file_count: number;
}

export interface CapacitySeries {
  storage_element_id: string;
  name: string;
  mode: string | null;
  points: CapacityPoint[];
}

export interface CapacityHistory {
  since: string;
  step_seconds: number;
  series: CapacitySeries[];
}

export interface FixityCounts {
  files: number;
  verified: number | null;
  quarantined: number | null;
  never_verified: number | null;
  last_verified_at: string | null;
}

export interface FixityItem extends FixityCounts {
  storage_element_id: string;
  name: string;
  sampled_at: string;
}

export interface FixityReport {
  items: FixityItem[];
  totals: FixityCounts;
}

export interface ActivityBucket {
  at: string;
  uploads: number;
  downloads: number;
  errors: number;
}

export interface Activity {
  since: string;
  step_seconds: number;
  buckets: ActivityBucket[];
  totals: { uploads: number; downloads: number; errors: number };
  errors_by_action: { action: string; count: number }[];
}

export interface GrafanaLinks {
  grafana_url: string | null;
  dashboards: Record<string, string>;
}

/** The dashboard's figures (admin module, storage:read), from its own database. */
@Injectable({ providedIn: 'root' })
export class DashboardApi {
  private readonly http = inject(HttpClient);

  capacity(hours: number): Observable<CapacityHistory> {
    return this.http.get<CapacityHistory>('/api/v1/dashboard/capacity', { params: { hours } });
  }
  fixity(): Observable<FixityReport> {
    return this.http.get<FixityReport>('/api/v1/dashboard/fixity');
  }
  activity(hours: number): Observable<Activity> {
    return this.http.get<Activity>('/api/v1/dashboard/activity', { params: { hours } });
  }
  links(): Observable<GrafanaLinks> {
    return this.http.get<GrafanaLinks>('/api/v1/dashboard/links');
  }
}

export const SERIES_COLOURS = ['#3d6fb6', '#c4622d', '#2e8b57', '#8e44ad', '#b8860b', '#d6336c', '#17a2b8', '#6c757d'];

/** A polyline's points: x over [since, now], y = used / capacity (0–100 %), in a 0–100 box. */
export function linePoints(points: CapacityPoint[], since: number, now: number): string {
  const span = Math.max(1, now - since);
  return points
    .map((p) => {
      const x = (100 * (Date.parse(p.at) - since)) / span;
      const y = 100 - (p.capacity_bytes ? (100 * p.used_bytes) / p.capacity_bytes : 0);
      return `${Math.max(0, Math.min(100, x)).toFixed(2)},${Math.max(0, Math.min(100, y)).toFixed(2)}`;
    })
    .join(' ');
}
