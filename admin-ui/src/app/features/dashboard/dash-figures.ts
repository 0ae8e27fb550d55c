import { Component, OnInit, computed, inject, signal } from '@angular/core';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { RouterLink } from '@angular/router';

import { I18nService } from '../../core/i18n/i18n.service';
import { I18N_PIPES } from '../../core/i18n/pipes';
import { ActionPipe } from '../../shared/audit-action';
import { LoadState } from '../../shared/load-state';
import { Activity, CapacityHistory, DashboardApi, FixityReport, GrafanaLinks, SERIES_COLOURS, linePoints } from './dashboard.api';

/** Capacity over time per storage element, fixity results, ingest/download/error rates and
 * links into Grafana (issue 16). Each panel loads, fails and retries on its own. */
@Component({
  selector: 'app-dash-figures',
  imports: [RouterLink, MatButtonToggleModule, LoadState, ActionPipe, ...I18N_PIPES],
  template: `
    <div class="figs">
      <section class="panel" data-testid="dash-capacity">
        <div class="section-head">
          <h2>{{ 'figs.capacity' | t }}</h2>
          <mat-button-toggle-group [value]="capHours()" (change)="loadCapacity($event.value)" hideSingleSelectionIndicator data-testid="capacity-range">
            @for (h of ranges; track h) { <mat-button-toggle [value]="h">{{ rangeLabel(h) }}</mat-button-toggle> }
          </mat-button-toggle-group>
        </div>
        <app-load-state [loading]="!capacity() && !capError()" [error]="capError()" [empty]="!!capacity() && !capacity()!.series.length"
                        emptyText="figs.noSamples" failedText="figs.capacityFailed" (retry)="loadCapacity(capHours())" />
        @if (capacity(); as c) {
          @if (c.series.length) {
            <div class="chart-box">
              <div class="y"><span>100%</span><span>50%</span><span>0%</span></div>
              <div class="plot">
                <svg viewBox="0 0 100 100" preserveAspectRatio="none" class="lines" data-testid="capacity-chart" role="img" [attr.aria-label]="'figs.capacity' | t">
                  <line x1="0" y1="50" x2="100" y2="50" class="grid" />
                  @for (s of c.series; track s.storage_element_id; let i = $index) {
                    <polyline [attr.points]="line(s.points, c)" [attr.stroke]="colour(i)" fill="none" vector-effect="non-scaling-stroke" stroke-width="2" />
                  }
                </svg>
                @for (s of c.series; track s.storage_element_id; let i = $index) {
                  @if (lastXY(s, c); as p) {
                    <span class="dot" [style.left.%]="p[0]" [style.top.%]="p[1]" [style.background]="colour(i)" [attr.title]="s.name"></span>
                  }
                }
              </div>
            </div>
            <div class="x muted"><span>{{ c.since | dt }}</span><span>{{ 'figs.now' | t }}</span></div>
            <ul class="legend">
              @for (s of c.series; track s.storage_element_id; let i = $index) {
                <li [attr.data-testid]="'capacity-' + s.name"><span class="swatch" [style.background]="colour(i)"></span>
                  <a [routerLink]="['/storage-elements', s.storage_element_id]">{{ s.name }}</a>
                  <span class="muted">{{ 'figs.usedOf' | t: { used: (last(s).used_bytes | bytes), cap: (last(s).capacity_bytes | bytes) } }}</span></li>
              }
            </ul>
          }
        }
      </section>

      <section class="panel" data-testid="dash-fixity">
        <h2>{{ 'figs.fixity' | t }}</h2>
        <app-load-state [loading]="!fixity() && !fixError()" [error]="fixError()" [empty]="!!fixity() && !fixity()!.items.length"
                        emptyText="figs.noSamples" failedText="figs.fixityFailed" (retry)="loadFixity()" />
        @if (fixity(); as f) {
          @if (f.items.length) {
            <div class="nums">
              <div><span class="big ok" data-testid="fixity-verified">{{ f.totals.verified | num }}</span><span class="muted">{{ 'figs.verified' | t }}</span></div>
              <div><span class="big" [class.bad]="!!f.totals.quarantined" data-testid="fixity-quarantined">{{ f.totals.quarantined | num }}</span><span class="muted">{{ 'figs.quarantined' | t }}</span></div>
              <div><span class="big">{{ f.totals.never_verified | num }}</span><span class="muted">{{ 'figs.neverVerified' | t }}</span></div>
            </div>
            <p class="muted" data-testid="fixity-last">{{ 'figs.lastCheck' | t: { at: f.totals.last_verified_at ? (f.totals.last_verified_at | dt) : '—' } }}</p>
            <table class="rows">
              <tr class="muted"><th></th><th>{{ 'figs.verified' | t }}</th><th>{{ 'figs.quarantined' | t }}</th><th>{{ 'figs.lastCheckShort' | t }}</th></tr>
              @for (i of f.items; track i.storage_element_id) {
                <tr [attr.data-testid]="'fixity-' + i.name">
                  <td><a [routerLink]="['/storage-elements', i.storage_element_id]">{{ i.name }}</a></td>
                  <td>{{ i.verified | num }} / {{ i.files | num }}</td>
                  <td [class.bad]="!!i.quarantined">{{ i.quarantined | num }}</td>
                  <td class="muted">{{ i.last_verified_at ? (i.last_verified_at | dt) : '—' }}</td>
                </tr>
              }
            </table>
          }
        }
      </section>

      <section class="panel wide" data-testid="dash-activity-rates">
        <div class="section-head">
          <h2>{{ 'figs.activity' | t }}</h2>
          <mat-button-toggle-group [value]="actHours()" (change)="loadActivity($event.value)" hideSingleSelectionIndicator data-testid="activity-range">
            @for (h of ranges.slice(0, 2); track h) { <mat-button-toggle [value]="h">{{ rangeLabel(h) }}</mat-button-toggle> }
          </mat-button-toggle-group>
        </div>
        <app-load-state [loading]="!activity() && !actError()" [error]="actError()" failedText="figs.activityFailed" (retry)="loadActivity(actHours())" />
        @if (activity(); as a) {
          <div class="nums">
            <div><span class="big" data-testid="activity-uploads">{{ a.totals.uploads | num }}</span><span class="muted"><span class="swatch up"></span>{{ 'figs.uploads' | t }}</span></div>
            <div><span class="big" data-testid="activity-downloads">{{ a.totals.downloads | num }}</span><span class="muted"><span class="swatch down"></span>{{ 'figs.downloads' | t }}</span></div>
            <div><span class="big" [class.bad]="!!a.totals.errors" data-testid="activity-errors">{{ a.totals.errors | num }}</span><span class="muted"><span class="swatch err"></span>{{ 'figs.errors' | t }}</span></div>
          </div>
          <div class="bars" data-testid="activity-chart">
            @for (b of a.buckets; track b.at) {
              <div class="col" [attr.title]="(b.at | dt) + ' — ' + ('figs.bucketTitle' | t: { up: b.uploads, down: b.downloads, err: b.errors })">
                <div class="bar err" [style.height.%]="pct(b.errors, actMax())"></div>
                <div class="bar down" [style.height.%]="pct(b.downloads, actMax())"></div>
                <div class="bar up" [style.height.%]="pct(b.uploads, actMax())"></div>
              </div>
            }
          </div>
          <div class="x muted"><span>{{ a.since | dt }}</span><span>{{ 'figs.now' | t }}</span></div>
          @if (a.errors_by_action.length) {
            <p class="muted errs" data-testid="activity-error-kinds">{{ 'figs.errorKinds' | t }}
              @for (e of a.errors_by_action; track e.action; let last = $last) { <a [routerLink]="['/audit']" [queryParams]="{ action: e.action }">{{ e.action | action }}</a> ({{ e.count | num }}){{ last ? '' : ',' }} }</p>
          }
          <p class="muted note">{{ 'figs.activityNote' | t }}</p>
        }
      </section>

      @if (links()?.grafana_url) {
        <section class="panel wide" data-testid="dash-grafana">
          <h2>{{ 'figs.grafana' | t }}</h2>
          <div class="links">
            @for (k of linkKeys; track k) {
              @if (links()!.dashboards[k]; as href) {
                <a [href]="href" target="_blank" rel="noopener" [attr.data-testid]="'grafana-' + k">{{ 'figs.grafana.' + k | t }} ↗</a>
              }
            }
          </div>
        </section>
      }
    </div>
  `,
  styles: `
    .figs { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; margin-bottom: 16px; }
    .wide { grid-column: 1 / -1; }
    h2 { font-size: 16px; margin: 0 0 12px; }
    .section-head { display: flex; justify-content: space-between; align-items: center; gap: 8px; flex-wrap: wrap; }
    .chart-box { display: flex; gap: 6px; height: 160px; }
    .y { display: flex; flex-direction: column; justify-content: space-between; font-size: 11px; color: #6b6f76; }
    .plot { position: relative; flex: 1; height: 100%; }
    .lines { display: block; height: 100%; width: 100%; border-left: 1px solid #d0d3d8; border-bottom: 1px solid #d0d3d8; box-sizing: border-box; }
    .dot { position: absolute; width: 8px; height: 8px; border-radius: 50%; transform: translate(-50%, -50%); border: 1px solid #fff; }
    .lines .grid { stroke: #eceef1; stroke-width: 1; vector-effect: non-scaling-stroke; }
    .x { display: flex; justify-content: space-between; font-size: 11px; margin-top: 4px; }
    .legend { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-direction: column; gap: 4px; font-size: 13px; }
    .legend li { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
    .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
    .swatch.up, .bar.up { background: #3d6fb6; } .swatch.down, .bar.down { background: #7fb069; } .swatch.err, .bar.err { background: #c9463d; }
    .nums { display: flex; gap: 24px; flex-wrap: wrap; margin-bottom: 8px; }
    .nums > div { display: flex; flex-direction: column; }
    .big { font-size: 24px; font-weight: 600; color: #1f3a5f; } .big.ok { color: #1b5e20; } .bad { color: #b3261e !important; }
    .rows { width: 100%; border-collapse: collapse; font-size: 13px; } .rows td, .rows th { text-align: left; padding: 4px 6px 4px 0; border-bottom: 1px solid #f0f1f3; font-weight: normal; }
    .bars { display: flex; align-items: flex-end; gap: 2px; height: 120px; border-bottom: 1px solid #d0d3d8; }
    .bars .col { flex: 1; height: 100%; display: flex; flex-direction: column-reverse; justify-content: flex-start; }
    .bars .bar { width: 100%; }
    .links { display: flex; gap: 16px; flex-wrap: wrap; }
    .errs a { margin: 0 2px; } .note { font-size: 11px; }
    @media (max-width: 959px) { .figs { grid-template-columns: minmax(0, 1fr); } }
    @media (max-width: 599px) { .nums { gap: 14px; } .big { font-size: 20px; } .chart-box { height: 120px; } .bars { height: 90px; } }
  `,
})
export class DashFigures implements OnInit {
  private readonly api = inject(DashboardApi);
  private readonly i18n = inject(I18nService);
  readonly ranges = [24, 24 * 7, 24 * 30];
  readonly linkKeys = ['overview', 'storage', 'ingest', 'security'];
  readonly capHours = signal(24 * 7);
  readonly actHours = signal(24);
  readonly capacity = signal<CapacityHistory | null>(null);
  readonly capError = signal<string | null>(null);
  readonly fixity = signal<FixityReport | null>(null);
  readonly fixError = signal<string | null>(null);
  readonly activity = signal<Activity | null>(null);
  readonly actError = signal<string | null>(null);
  readonly links = signal<GrafanaLinks | null>(null);
  readonly actMax = computed(() => Math.max(1, ...(this.activity()?.buckets ?? []).map((b) => b.uploads + b.downloads + b.errors)));
  private loadedAt = Date.now();

  ngOnInit(): void {
    this.loadCapacity(this.capHours());
    this.loadFixity();
    this.loadActivity(this.actHours());
    this.api.links().subscribe({ next: (l) => this.links.set(l), error: () => undefined });
  }

  loadCapacity(hours: number): void {
    this.capHours.set(hours);
    this.capError.set(null);
    this.capacity.set(null);
    this.api.capacity(hours).subscribe({
      next: (c) => {
        this.loadedAt = Date.now();
        this.capacity.set(c);
      },
      error: (e) => this.capError.set(this.i18n.error(e)),
    });
  }

  loadFixity(): void {
    this.fixError.set(null);
    this.fixity.set(null);
    this.api.fixity().subscribe({ next: (f) => this.fixity.set(f), error: (e) => this.fixError.set(this.i18n.error(e)) });
  }

  loadActivity(hours: number): void {
    this.actHours.set(hours);
    this.actError.set(null);
    this.activity.set(null);
    this.api.activity(hours).subscribe({ next: (a) => this.activity.set(a), error: (e) => this.actError.set(this.i18n.error(e)) });
  }

  line(points: CapacityHistory['series'][number]['points'], c: CapacityHistory): string {
    return linePoints(points, Date.parse(c.since), this.loadedAt);
  }

  /** Where the latest sample sits (percent of the plot): a dot, visible even for one sample. */
  lastXY(s: CapacityHistory['series'][number], c: CapacityHistory): [number, number] | null {
    const p = s.points[s.points.length - 1];
    if (!p) return null;
    const [x, y] = linePoints([p], Date.parse(c.since), this.loadedAt).split(',').map(Number);
    return [x, y];
  }

  last(s: CapacityHistory['series'][number]) {
    return s.points[s.points.length - 1];
  }

  colour(i: number): string {
    return SERIES_COLOURS[i % SERIES_COLOURS.length];
  }

  pct(n: number, max: number): number {
    return (100 * n) / max;
  }

  rangeLabel(hours: number): string {
    return hours <= 24 ? this.i18n.t('figs.hours', { n: hours }) : this.i18n.t('figs.days', { n: hours / 24 });
  }
}
