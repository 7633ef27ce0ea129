import test from 'ava';
import { UpstreamFailureError, UpstreamTimeoutError, UpstreamUnreachableError } from '../../src/http/errors.js';
import { CircuitOpenError } from '../../src/upstream/outcomes.js';
import { reasonOf } from '../../src/prefetch/errors.js';
import {
  cancelledMessage, criteriaText, doneMessage, failedMessage, fetchingMessage, formatBytes, partialMessage, pausedMessage, queuedMessage, studyLabel, unlinkedMessage,
} from '../../src/prefetch/messages.js';
import { countsOf, type JobStudy } from '../../src/prefetch/types.js';

function study(over: Partial<JobStudy>): JobStudy {
  return { studyUid: '1.2', position: 0, modalities: ['CT'], status: 'queued', series: 1, instances: 0, instancesDone: 0, instancesReused: 0, bytes: 0, ...over };
}

const FIVE = [
  study({ studyUid: '1', position: 0, status: 'done', studyDate: '20240405', description: 'MR KNEE', modalities: ['MR'], instances: 400, instancesDone: 400, bytes: 200e6 }),
  study({ studyUid: '2', position: 1, status: 'running', studyDate: '20240302', description: 'CT CHEST', instances: 300, instancesDone: 120, bytes: 60e6 }),
  study({ studyUid: '3', position: 2, studyDate: '20240101', instances: 200 }),
  study({ studyUid: '4', position: 3, studyDate: '20231201', instances: 204 }),
  study({ studyUid: '5', position: 4, studyDate: '20230101', instances: 100 }),
];

test('running: study n of m, its label and its progress', (t) => {
  t.is(fetchingMessage(FIVE, FIVE[1]!), "Fetching study 2 of 5 (CT 2024-03-02, 'CT CHEST'): 120 of 300 images");
  t.is(fetchingMessage(FIVE, study({ studyUid: '2', instances: 0 })), 'Fetching study 2 of 5 (CT): reading the list of images');
  t.is(
    fetchingMessage(FIVE, FIVE[1]!, { attempt: 2, of: 6, reason: 'the archive "PACS" did not answer (connection refused)' }),
    "Fetching study 2 of 5 (CT 2024-03-02, 'CT CHEST'): 120 of 300 images; the archive \"PACS\" did not answer (connection refused), trying again (attempt 2 of 6)",
  );
  t.is(studyLabel({ modalities: ['CT', 'SR'], studyDate: '20240302', description: "Chest 'lo-dose'" }), "CT/SR 2024-03-02, 'Chest ’lo-dose’'");
  t.is(studyLabel({ modalities: [] }), 'no description');
});

test('done, partial, failed, cancelled, paused, queued', (t) => {
  const done = FIVE.map((s) => ({ ...s, status: 'done' as const, instancesDone: s.instances, bytes: s.instances * 508_333 }));
  t.is(doneMessage(countsOf(done, 0), {}), 'Done: 5 studies, 1,204 images, 612 MB');
  t.is(doneMessage(countsOf([], 0), { studyDate: { from: '20240101', to: '20240331' }, modalities: ['CT'] }), 'Done: no studies of this patient in the archive match (dates 2024-01-01 to 2024-03-31, modalities CT)');
  const partial = done.map((s, i) => (i < 3 ? s : { ...s, status: 'failed' as const, instancesDone: 0, bytes: 0, error: 'the archive "PACS" did not answer (connection refused)' }));
  t.is(partialMessage(countsOf(partial, 0), partial, 200), 'Partial: 3 of 5 studies fetched (900 images, 457 MB); 2 failed: the archive "PACS" did not answer (connection refused)');
  const mixed = partial.map((s, i) => (i === 4 ? { ...s, error: '3 of 100 images could not be fetched: the archive "PACS" no longer holds it' } : s));
  t.regex(partialMessage(countsOf(mixed, 0), mixed, 200), /2 failed: the archive "PACS" did not answer \(connection refused\) \(1 study\); 3 of 100 images .* \(1 study\)$/);
  const capped = [...done.slice(0, 2), { ...done[2]!, status: 'skipped' as const, instancesDone: 0, bytes: 0 }];
  t.is(partialMessage(countsOf(capped, 0), capped, 2), 'Partial: 2 of 3 studies fetched (700 images, 356 MB); 1 not fetched: more than the limit of 2 studies per prefetch');
  const failed = partial.map((s) => ({ ...s, status: 'failed' as const, instancesDone: 0, bytes: 0, error: 'the archive "PACS" did not answer in time' }));
  t.is(failedMessage(countsOf(failed, 0), failed), 'Failed: none of the 5 studies could be fetched: the archive "PACS" did not answer in time');
  t.is(cancelledMessage(countsOf(FIVE, 0), 'dr.who', true), 'Cancelled by dr.who after 1 of 5 studies (520 images, 260 MB)');
  t.is(cancelledMessage(countsOf([], 0), 'anonymous', false), 'Cancelled before any study was fetched');
  t.is(pausedMessage(countsOf(FIVE, 0)), 'Paused: the gateway was shut down during this prefetch; it continues where it left off when the gateway starts again (520 of 1,204 images already fetched)');
  t.is(queuedMessage(0), 'Queued: starts as soon as a prefetch slot is free (prefetch.concurrentJobs)');
  t.is(queuedMessage(2), 'Queued: 2 prefetches waiting ahead of this one');
  t.regex(unlinkedMessage('R-12'), /not linked to a patient in the archive yet; reconciliation item R-12 lists the candidates/);
  t.is(criteriaText({}), 'any date, any modality');
});

test('sizes', (t) => {
  t.is(formatBytes(0), '0 MB');
  t.is(formatBytes(12_345), '12 kB');
  t.is(formatBytes(4_012_368), '4.0 MB');
  t.is(formatBytes(612e6), '612 MB');
  t.is(formatBytes(1.24e9), '1.2 GB');
  t.is(formatBytes(12.4e9), '12 GB');
});

test('archive failures become reasons a support desk understands', (t) => {
  t.is(reasonOf(new UpstreamUnreachableError('PACS', 'connection refused'), 'PACS').reason, 'the archive "PACS" did not answer (connection refused)');
  t.is(reasonOf(new UpstreamTimeoutError('PACS', 'waiting for the response headers'), 'PACS').reason, 'the archive "PACS" did not answer in time');
  t.regex(reasonOf(new CircuitOpenError('PACS', new Date(), 'x', 2), 'PACS').reason, /^the archive "PACS" did not answer \(it has been failing/);
  const quoted = new CircuitOpenError('PACS', new Date(), new UpstreamUnreachableError('PACS', 'connection refused').detail, 2);
  t.is(reasonOf(quoted, 'PACS').reason, 'the archive "PACS" did not answer (connection refused)', 'an open circuit reads like the failure that opened it');
  t.is(reasonOf(new UpstreamFailureError('PACS', 'failed while answering (HTTP 500).'), 'PACS').reason, 'the archive "PACS" failed: failed while answering (HTTP 500).');
  t.deepEqual(reasonOf(new Error('boom'), 'PACS'), { code: 'INTERNAL_ERROR', reason: 'an internal error of the gateway (logged)' });
});
