export interface TrendDay {
  from: string;
  to: string;
  count: number;
}

/** The last `n` local calendar days as [from, to) ISO instants, oldest first. */
export function dayWindows(now: Date, n: number): Omit<TrendDay, 'count'>[] {
  const out: Omit<TrendDay, 'count'>[] = [];
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  for (let i = n - 1; i >= 0; i--) {
    const from = new Date(start);
    from.setDate(start.getDate() - i);
    const to = new Date(from);
    to.setDate(from.getDate() + 1);
    to.setMilliseconds(-1);
    out.push({ from: from.toISOString(), to: to.toISOString() });
  }
  return out;
}
