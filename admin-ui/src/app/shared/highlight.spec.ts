import { TestBed } from '@angular/core/testing';

import { Highlight, completeSnippet, decodeEntities, highlightRuns } from './highlight';

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

describe('completeSnippet', () => {
  const full = 'Акт приёмки по «Договору поставки №5» от марта. Оплата в течение десяти дней после подписания акта сторонами.';

  it('says "…" where the headline cut the text', () => {
    expect(completeSnippet('Акт приёмки по «<mark>Договору</mark> поставки №5» от марта. Оплата', full)).toBe(
      'Акт приёмки по «<mark>Договору</mark> поставки №5» от марта. Оплата …',
    );
    expect(completeSnippet('<mark>Оплата</mark> в течение десяти дней после подписания акта сторонами.', full)).toBe(
      '… <mark>Оплата</mark> в течение десяти дней после подписания акта сторонами.',
    );
  });

  it('puts back a closing quote and full stop instead of an ellipsis', () => {
    expect(completeSnippet('Акт приёмки по «<mark>Договору</mark> поставки №5', 'Акт приёмки по «Договору поставки №5».')).toBe(
      'Акт приёмки по «<mark>Договору</mark> поставки №5».',
    );
  });

  it('joins fragments with "…" and leaves a whole text alone', () => {
    expect(completeSnippet('по «<mark>Договору</mark> поставки ... <mark>акта</mark> сторонами', full)).toBe(
      '… по «<mark>Договору</mark> поставки … <mark>акта</mark> сторонами.',
    );
    expect(completeSnippet('a &lt;b&gt; <mark>c</mark>', 'a <b> c')).toBe('a &lt;b&gt; <mark>c</mark>');
  });
});
