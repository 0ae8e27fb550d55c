export interface TrendDay {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  count: number;
}

/** The last `n` UTC calendar days, oldest first, with their counts from the search's
 * `created_day` facet (days without uploads are 0). */
export function trendDays(now: Date, n: number, facet: { value: string; count: number }[]): TrendDay[] {
  const counts = new Map(facet.map((f) => [f.value, f.count]));
  const out: TrendDay[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - i));
    const day = d.toISOString().slice(0, 10);
    out.push({ day, count: counts.get(day) ?? 0 });
  }
  return out;
}

/** Start of the first of the last `n` UTC days. */
export function trendStart(now: Date, n: number): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (n - 1))).toISOString();
}
