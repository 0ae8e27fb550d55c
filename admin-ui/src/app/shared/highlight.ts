import { Component, computed, input } from '@angular/core';

export interface Run {
  text: string;
  mark: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the HTML entities an escaped search headline may carry. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

/** Splits a search headline ("…<mark>word</mark>…", HTML-escaped by the query module) into plain
 * and marked runs of decoded text, so the template renders text and never HTML. Zero-width
 * spaces the search inserts to split file names into words are dropped. */
export function highlightRuns(s: string): Run[] {
  const runs: Run[] = [];
  const re = /<mark>([\s\S]*?)<\/mark>/g;
  const push = (text: string, mark: boolean) => {
    const clean = decodeEntities(text).replace(/\u200b/g, '');
    if (clean) runs.push({ text: clean, mark });
  };
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    push(s.slice(last, m.index), false);
    push(m[1], true);
    last = m.index + m[0].length;
  }
  push(s.slice(last), false);
  return runs;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const plainOf = (headline: string) => decodeEntities(headline.replace(/<\/?mark>/g, '')).replace(/\u200b/g, '').trim();
/** What a cut may leave off without saying so: closing quotes, brackets and end punctuation. */
const TAIL = /^[\s"'»“”’)\]}.,;:!?…]{1,4}$/;

/**
 * Marks a search snippet (a ts_headline of `full`) as an excerpt: "…" where text was cut at
 * either end or between fragments, and the closing quote or full stop the headline drops put
 * back, so "«Договор поставки»" never shows as "«Договор поставки".
 */
export function completeSnippet(headline: string, full: string | null | undefined): string {
  if (!full) return headline;
  const fragments = headline.split(' ... ');
  const first = plainOf(fragments[0]);
  const last = plainOf(fragments[fragments.length - 1]);
  const text = full.replace(/\s+/g, ' ');
  let out = fragments.map((f) => f.trim()).join(' … ');
  const start = text.indexOf(first);
  if (first && start > 0 && text.slice(0, start).trim()) out = '… ' + out;
  const at = text.lastIndexOf(last);
  if (last && at >= 0) {
    const rest = text.slice(at + last.length);
    if (TAIL.test(rest)) out += escapeHtml(rest.trimEnd());
    else if (rest.trim()) out += ' …';
  } else if (last) {
    out += ' …';
  }
  return out;
}

@Component({
  selector: 'app-highlight',
  // One line on purpose: whitespace between the runs would show up inside words.
  template: `@for (r of runs(); track $index) {@if (r.mark) {<mark>{{ r.text }}</mark>} @else {<span>{{ r.text }}</span>}}`,
})
export class Highlight {
  readonly text = input.required<string>();
  readonly runs = computed(() => highlightRuns(this.text()));
}
