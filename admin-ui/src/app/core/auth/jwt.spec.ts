import { fakeJwt } from '../../../testing/tokens';
import { decodeJwt } from './jwt';

describe('decodeJwt', () => {
  it('reads claims including non-ASCII names', () => {
    const c = decodeJwt(fakeJwt({ sub: 'x', name: 'Пётр', exp: 123, scope: 'a b' }));
    expect(c).toEqual({ sub: 'x', name: 'Пётр', exp: 123, scope: 'a b' });
  });

  it('rejects garbage and tokens without exp', () => {
    expect(decodeJwt('not-a-token')).toBeNull();
    expect(decodeJwt('a.%%%.c')).toBeNull();
    expect(decodeJwt(fakeJwt({ sub: 'x' }))).toBeNull();
  });
});
