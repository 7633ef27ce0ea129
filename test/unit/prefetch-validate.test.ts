import test from 'ava';
import { BadRequestError } from '../../src/http/errors.js';
import { isCalendarDate, parseListQuery, parsePrefetchRequest } from '../../src/prefetch/validate.js';

function parameterOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof BadRequestError) return err.extras.parameter as string;
    throw err;
  }
  return undefined;
}

test('a full request is parsed and normalized', (t) => {
  t.deepEqual(parsePrefetchRequest({ patient: { id: ' 123 ', issuer: 'HOSP' }, studyDate: { from: '20240101', to: '20241231' }, modalities: ['ct', 'MR', 'CT'] }), {
    patient: { id: '123', issuer: 'HOSP' },
    criteria: { studyDate: { from: '20240101', to: '20241231' }, modalities: ['CT', 'MR'] },
  });
  t.deepEqual(parsePrefetchRequest({ patient: { id: 'P' }, studyDate: { to: '20240101' }, modalities: [] }), { patient: { id: 'P' }, criteria: { studyDate: { to: '20240101' } } });
  t.deepEqual(parsePrefetchRequest({ patient: { id: 'P' }, studyDate: {} }), { patient: { id: 'P' }, criteria: {} });
});

test('each mistake is a 400 naming the field', (t) => {
  const cases: Array<[unknown, string]> = [
    [null, 'body'],
    [[], 'body'],
    [{}, 'patient'],
    [{ patient: 'P' }, 'patient'],
    [{ patient: {} }, 'patient.id'],
    [{ patient: { id: 12 } }, 'patient.id'],
    [{ patient: { id: '   ' } }, 'patient.id'],
    [{ patient: { id: 'A?' } }, 'patient.id'],
    [{ patient: { id: 'A\\B' } }, 'patient.id'],
    [{ patient: { id: 'x'.repeat(65) } }, 'patient.id'],
    [{ patient: { id: 'P', issuer: '' } }, 'patient.issuer'],
    [{ patient: { id: 'P', name: 'Doe' } }, 'patient.name'],
    [{ patient: { id: 'P' }, studyDate: '20240101' }, 'studyDate'],
    [{ patient: { id: 'P' }, studyDate: { from: '2024-01-01' } }, 'studyDate.from'],
    [{ patient: { id: 'P' }, studyDate: { to: '20241301' } }, 'studyDate.to'],
    [{ patient: { id: 'P' }, studyDate: { from: '20240102', to: '20240101' } }, 'studyDate'],
    [{ patient: { id: 'P' }, studyDate: { since: '20240101' } }, 'studyDate.since'],
    [{ patient: { id: 'P' }, modalities: 'CT' }, 'modalities'],
    [{ patient: { id: 'P' }, modalities: ['CT', 7] }, 'modalities[1]'],
    [{ patient: { id: 'P' }, modalities: Array(21).fill('CT') }, 'modalities'],
    [{ patient: { id: 'P' }, limit: 3 }, 'limit'],
  ];
  for (const [body, parameter] of cases) t.is(parameterOf(() => parsePrefetchRequest(body)), parameter, JSON.stringify(body));
});

test('messages say what is expected', (t) => {
  const err = t.throws(() => parsePrefetchRequest({ patient: { id: 'P' }, studyDate: { from: '2024-01-01' } }), { instanceOf: BadRequestError });
  t.regex(err!.message, /must be a date written YYYYMMDD \(e\.g\. 20240302\), got "2024-01-01"/);
  const wildcard = t.throws(() => parsePrefetchRequest({ patient: { id: 'P*' } }));
  t.regex(wildcard!.message, /must name one patient exactly/);
});

test('calendar dates', (t) => {
  t.true(isCalendarDate('20240229'));
  t.false(isCalendarDate('20230229'));
  t.false(isCalendarDate('20240431'));
  t.false(isCalendarDate('2024011'));
  t.false(isCalendarDate('17991231'));
});

test('list query: statuses and limit', (t) => {
  t.deepEqual(parseListQuery({}), { limit: 50 });
  t.deepEqual(parseListQuery({ status: 'running,queued', limit: '10' }), { statuses: ['running', 'queued'], limit: 10 });
  t.is(parameterOf(() => parseListQuery({ status: 'sleeping' })), 'status');
  t.is(parameterOf(() => parseListQuery({ limit: '0' })), 'limit');
  t.is(parameterOf(() => parseListQuery({ limit: '501' })), 'limit');
  t.is(parameterOf(() => parseListQuery({ limit: ['1', '2'] })), 'limit');
  t.is(parameterOf(() => parseListQuery({ patient: 'x' })), 'patient');
});
