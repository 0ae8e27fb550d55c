import { stateFromParams, stateToParams } from './files.page';

describe('search state in the URL', () => {
  it('round-trips a full search and leaves defaults out', () => {
    const params = { q: 'договор', mode: 'partial', sort: 'size', order: 'asc', tag: ['a', 'b'], ct: 'text/plain', rp: 'temporary', from: '2026-11-01', page: '2', size: '50' };
    const state = stateFromParams(params);
    expect(state.tags).toEqual(['a', 'b']);
    expect(state.ct).toEqual(['text/plain']);
    expect(state.page).toBe(2);
    expect(stateToParams(state)).toEqual({ ...params, ct: ['text/plain'], page: 2, size: 50 });
    expect(stateToParams(stateFromParams({}))).toEqual({});
  });

  it('ignores values a hand-edited URL may carry', () => {
    const s = stateFromParams({ mode: 'fuzzy', sort: 'owner', order: 'up', from: 'yesterday', size: '7', page: '-3', status: 'gone' });
    expect(stateToParams(s)).toEqual({});
  });
});
