import test from 'ava';
import { contentRange, parseRange, resolveRange } from '../../src/dicomweb/wado/bulkdata/range.js';
import { parseBulkPath } from '../../src/dicomweb/wado/bulkdata/handlers.js';

test('single byte ranges of the three forms', (t) => {
  t.deepEqual(parseRange('bytes=0-9'), { kind: 'from', start: 0, end: 9 });
  t.deepEqual(parseRange('bytes=100-'), { kind: 'from', start: 100 });
  t.deepEqual(parseRange('bytes=-50'), { kind: 'suffix', length: 50 });
  t.deepEqual(parseRange(' bytes = 5 - 6 '), { kind: 'from', start: 5, end: 6 });
});

test('ranges that are ignored (answered whole)', (t) => {
  for (const h of [undefined, '', 'bytes=', 'bytes=-', 'bytes=9-1', 'bytes=0-1,4-5', 'items=0-1', 'bytes=a-b']) t.is(parseRange(h), undefined, String(h));
});

test('resolving against the value length', (t) => {
  t.deepEqual(resolveRange({ kind: 'from', start: 0, end: 9 }, 100), { start: 0, end: 9 });
  t.deepEqual(resolveRange({ kind: 'from', start: 90, end: 200 }, 100), { start: 90, end: 99 });
  t.deepEqual(resolveRange({ kind: 'from', start: 10 }, 100), { start: 10, end: 99 });
  t.deepEqual(resolveRange({ kind: 'suffix', length: 10 }, 100), { start: 90, end: 99 });
  t.deepEqual(resolveRange({ kind: 'suffix', length: 1000 }, 100), { start: 0, end: 99 });
  t.is(resolveRange({ kind: 'from', start: 100 }, 100), 'unsatisfiable');
  t.is(resolveRange({ kind: 'suffix', length: 0 }, 100), 'unsatisfiable');
  t.is(contentRange({ start: 0, end: 9 }, 100), 'bytes 0-9/100');
});

test('bulk data paths: tags and item numbers only', (t) => {
  for (const ok of ['7fe00010', '7FE00010', '54000100/1/54001010', '00400275/0/0040a730/2/00091002']) t.is(parseBulkPath(ok), ok);
  for (const bad of ['', '7fe0001', '7fe000100', '7fe00010/', '54000100/1', '54000100/x/54001010', '../etc/passwd', '7fe00010?x=1', '7fe00010/1/7fe00010/%2e']) {
    t.throws(() => parseBulkPath(bad), { message: /not one this gateway hands out/ }, bad);
  }
});
