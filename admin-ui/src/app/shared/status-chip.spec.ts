import { TestBed } from '@angular/core/testing';

import { I18nService } from '../core/i18n/i18n.service';
import { StatusChip } from './status-chip';

function render(value: string, prefix = 'status') {
  const f = TestBed.createComponent(StatusChip);
  f.componentRef.setInput('value', value);
  f.componentRef.setInput('prefix', prefix);
  f.detectChanges();
  return f;
}

describe('StatusChip', () => {
  it('translates known values and follows the language', () => {
    const i18n = TestBed.inject(I18nService);
    i18n.setLang('en');
    const f = render('rw', 'mode');
    expect(f.nativeElement.textContent.trim()).toBe('read-write');
    i18n.setLang('ru');
    f.detectChanges();
    expect(f.nativeElement.textContent.trim()).toBe('чтение-запись');
  });

  it('shows an unknown value as it is, not a message key', () => {
    expect(render('quarantined').nativeElement.textContent.trim()).toBe('quarantined');
  });
});
