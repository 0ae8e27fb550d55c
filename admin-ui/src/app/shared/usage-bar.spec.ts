import { TestBed } from '@angular/core/testing';

import { UsageBar } from './usage-bar';

function render(percent: number) {
  const f = TestBed.createComponent(UsageBar);
  f.componentRef.setInput('percent', percent);
  f.detectChanges();
  return f.nativeElement as HTMLElement;
}

describe('UsageBar', () => {
  it('colours by the capacity alert levels and clamps', () => {
    expect(render(50).querySelector('.fill')!.className).toContain('ok');
    expect(render(85).querySelector('.fill')!.className).toContain('warn');
    expect(render(97).querySelector('.fill')!.className).toContain('crit');
    const over = render(140);
    expect(over.querySelector('.label')!.textContent).toBe('100.0%');
    expect(over.querySelector('[role=progressbar]')!.getAttribute('aria-valuenow')).toBe('100');
  });
});
