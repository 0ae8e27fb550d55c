import { previewKind } from './preview';
import { asStrings } from './saved-searches';
import { hasThumbnail } from './thumb';

const file = (content_type: string, extra: Record<string, unknown> = {}) => ({
  content_type, size: 1000, storage_element_mode: 'edit', original_filename: 'x', status: 'active',
  text_extraction: { state: 'done', reason: null }, ...extra,
});

describe('previews', () => {
  it('chooses pages, text, picture or extracted text by type', () => {
    expect(previewKind(file('application/pdf'))).toBe('pdf');
    expect(previewKind(file('application/octet-stream', { original_filename: 'a.PDF' }))).toBe('pdf');
    expect(previewKind(file('text/plain; charset=utf-8'))).toBe('text');
    expect(previewKind(file('text/html'))).toBe('extracted');
    expect(previewKind(file('application/msword'))).toBe('extracted');
    expect(previewKind(file('image/png'))).toBe('image');
    expect(previewKind(file('image/tiff', { size: 50 * 1024 * 1024 }))).toBe('extracted');
    expect(previewKind(file('application/zip', { text_extraction: { state: 'skipped', reason: 'x' } }))).toBe('none');
    expect(previewKind(file('application/pdf', { storage_element_mode: 'ar' }))).toBe('none');
  });

  it('asks for thumbnails of readable images only', () => {
    expect(hasThumbnail(file('image/jpeg'))).toBe(true);
    expect(hasThumbnail(file('image/svg+xml'))).toBe(false);
    expect(hasThumbnail(file('image/png', { size: 60 * 1024 * 1024 }))).toBe(false);
    expect(hasThumbnail(file('image/png', { storage_element_mode: 'ar' }))).toBe(false);
  });

  it('keeps saved-search parameters as strings or lists of strings', () => {
    expect(asStrings({ q: 'a', size: 50, tag: ['x', 'y'], smin: null })).toEqual({ q: 'a', size: '50', tag: ['x', 'y'] });
  });
});
