import { dispositionFilename } from '../../shared/download';
import { uploadFormData } from './files.api';

describe('uploadFormData', () => {
  it('puts every form field before the file part', () => {
    const file = new File(['abc'], 'Отчёт 2024.pdf', { type: 'application/pdf' });
    const fd = uploadFormData({
      file, retention_policy: 'temporary', ttl_days: 7, description: 'описание', tags: ['a,b', 'c'],
      version: '2', metadata: { dept: 'финансы' }, compress: true,
    });
    const keys = [...fd.keys()];
    expect(keys).toEqual(['retention_policy', 'ttl_days', 'description', 'tags', 'version', 'metadata', 'compress', 'file']);
    expect(fd.get('tags')).toBe('["a,b","c"]');
    expect(JSON.parse(fd.get('metadata') as string)).toEqual({ dept: 'финансы' });
    expect((fd.get('file') as File).name).toBe('Отчёт 2024.pdf');
  });

  it('sends no ttl for permanent files and omits empty fields', () => {
    const fd = uploadFormData({ file: new File(['x'], 'x.txt'), retention_policy: 'permanent', ttl_days: 30, tags: [], metadata: {} });
    expect([...fd.keys()]).toEqual(['retention_policy', 'file']);
  });
});

describe('dispositionFilename', () => {
  it('prefers the RFC 5987 UTF-8 name', () => {
    const h = `attachment; filename="Dogovor.txt"; filename*=UTF-8''%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80.txt`;
    expect(dispositionFilename(h, 'f')).toBe('Договор.txt');
  });
  it('falls back to the plain name, then to the default', () => {
    expect(dispositionFilename('attachment; filename="a b.txt"', 'f')).toBe('a b.txt');
    expect(dispositionFilename(null, 'fallback.bin')).toBe('fallback.bin');
  });
});
