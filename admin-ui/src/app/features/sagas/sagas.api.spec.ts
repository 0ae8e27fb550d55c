import { Saga, latestSteps, sagaProgress } from './sagas.api';

const saga = (over: Partial<Saga>): Saga => ({
  id: 's', type: 'mode_transition', state: 'running', resource_id: null, current_step: null, steps: [],
  attempts: 0, error: null, created_by: null, created_at: '', updated_at: '', completed_at: null, ...over,
});

describe('sagaProgress', () => {
  it('counts distinct finished run steps against the type definition', () => {
    const steps = [
      { step: 'mark_draining', phase: 'run', status: 'done', at: '' },
      { step: 'wait_in_flight', phase: 'run', status: 'waiting', at: '' },
      { step: 'wait_in_flight', phase: 'run', status: 'done', at: '' },
    ];
    expect(sagaProgress(saga({ steps }))).toBe(50);
  });

  it('is complete for terminal states and zero for unknown types', () => {
    expect(sagaProgress(saga({ state: 'failed' }))).toBe(100);
    expect(sagaProgress(saga({ type: 'other' }))).toBe(0);
  });
});

describe('latestSteps', () => {
  it('lists a step once, with its latest status and the time it started waiting', () => {
    const steps = latestSteps([
      { step: 'copy', phase: 'run', status: 'done', at: 't1' },
      { step: 'wait_safety_margin', phase: 'run', status: 'waiting', at: 't2' },
      { step: 'wait_safety_margin', phase: 'run', status: 'done', at: 't3' },
      { step: 'copy', phase: 'compensate', status: 'done', at: 't4' },
    ]);
    expect(steps.map((s) => [s.step, s.phase, s.status, s.since ?? s.at])).toEqual([
      ['copy', 'run', 'done', 't1'],
      ['wait_safety_margin', 'run', 'done', 't2'],
      ['copy', 'compensate', 'done', 't4'],
    ]);
  });
});
