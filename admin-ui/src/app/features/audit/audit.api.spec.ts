import { AuditEvent, auditToCsv } from './audit.api';

const ev = (over: Partial<AuditEvent>): AuditEvent => ({
  id: 'i', seq: 1, created_at: '2026-01-01T00:00:00Z', action: 'a', actor: null, resource_type: null,
  resource_id: null, outcome: 'success', details: {}, request_id: null, mac: 'm', ...over,
});

describe('auditToCsv', () => {
  it('writes a BOM, a header and RFC 4180 quoting', () => {
    const csv = auditToCsv([ev({ actor: 'Иван, "админ"', details: { reason: 'line1\nline2' } })]);
    expect(csv.startsWith('\ufeffseq,created_at,action,actor,')).toBe(true);
    const row = csv.split('\r\n')[1];
    expect(row).toContain('"Иван, ""админ"""');
    expect(csv).toContain('"{""reason"":""line1\\nline2""}"');
  });

  it('leaves empty cells for nulls', () => {
    expect(auditToCsv([ev({})]).split('\r\n')[1]).toBe('1,2026-01-01T00:00:00Z,a,,,,success,,{},m');
  });
});
