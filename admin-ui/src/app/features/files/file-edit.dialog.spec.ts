import { parseTags } from './file-edit.dialog';

describe('parseTags', () => {
  it('trims, drops blanks and repeats, keeps the order', () => {
    expect(parseTags(' акт, 2026 ,, акт,договор ')).toEqual(['акт', '2026', 'договор']);
  });
  it('gives no tags for an empty field', () => {
    expect(parseTags('  ')).toEqual([]);
  });
});
