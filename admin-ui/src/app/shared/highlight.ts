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

@Component({
  selector: 'app-highlight',
  // One line on purpose: whitespace between the runs would show up inside words.
  template: `@for (r of runs(); track $index) {@if (r.mark) {<mark>{{ r.text }}</mark>} @else {<span>{{ r.text }}</span>}}`,
})
export class Highlight {
  readonly text = input.required<string>();
  readonly runs = computed(() => highlightRuns(this.text()));
}
