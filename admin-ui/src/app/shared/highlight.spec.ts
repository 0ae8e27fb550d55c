import { TestBed } from '@angular/core/testing';

import { Highlight, decodeEntities, highlightRuns } from './highlight';

describe('highlightRuns', () => {
  it('splits marked runs and decodes the escaped text', () => {
    expect(highlightRuns('a &lt;b&gt; <mark>Договор</mark> &amp; &#8470;<mark>7</mark>.\u200btxt')).toEqual([
      { text: 'a <b> ', mark: false },
      { text: 'Договор', mark: true },
      { text: ' & №', mark: false },
      { text: '7', mark: true },
      { text: '.txt', mark: false },
    ]);
  });

  it('keeps unknown entities as they are', () => {
    expect(decodeEntities('&bogus; &#x41;')).toBe('&bogus; A');
  });
});

describe('Highlight', () => {
  it('renders text, not HTML, with no spaces added between runs', () => {
    const f = TestBed.createComponent(Highlight);
    f.componentRef.setInput('text', 'x&lt;img src=x onerror=alert(1)&gt;<mark>y</mark>z');
    f.detectChanges();
    const el = f.nativeElement as HTMLElement;
    expect(el.textContent).toBe('x<img src=x onerror=alert(1)>yz');
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('mark')!.textContent).toBe('y');
  });
});
