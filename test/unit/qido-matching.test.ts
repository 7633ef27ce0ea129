import test from 'ava';
import { fuzzyNameMatches, matchesAll, type DicomJson } from '../../src/dicomweb/qido/matching.js';
import { parseQidoQuery } from '../../src/dicomweb/qido/params.js';

const ctx = { level: 'study' as const, ignoredParameters: [] };
const study: DicomJson = {
  '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Müller^Jürgen', Ideographic: '' }] },
  '00100020': { vr: 'LO', Value: ['PAT-001'] },
  '00080020': { vr: 'DA', Value: ['20210315'] },
  '00080030': { vr: 'TM', Value: ['101500.123'] },
  '00080061': { vr: 'CS', Value: ['CT', 'SR'] },
  '00201206': { vr: 'IS', Value: [3] },
  '0020000D': { vr: 'UI', Value: ['1.2.3.4'] },
  '00400275': { vr: 'SQ', Value: [{ '00400009': { vr: 'SH', Value: ['SPS-9'] } }] },
};

function matches(query: string): boolean {
  const q = parseQidoQuery(query, ctx);
  return matchesAll(study, q.filters, q);
}

test('single value, wildcard and case of person names', (t) => {
  t.true(matches('PatientID=PAT-001'));
  t.false(matches('PatientID=pat-001'));
  t.true(matches('PatientName=müller^jürgen'));
  t.true(matches('PatientName=M*'));
  t.true(matches('PatientName=M?ller*'));
  t.false(matches('PatientName=Muller*'));
});

test('fuzzy matching folds case and accents, by name component', (t) => {
  t.true(matches('PatientName=muller&fuzzymatching=true'));
  t.true(matches('PatientName=JURG&fuzzymatching=true'));
  t.true(matches('PatientName=jurgen%5Emuller&fuzzymatching=true'));
  t.false(matches('PatientName=schmidt&fuzzymatching=true'));
  t.true(fuzzyNameMatches('dvorak', 'Dvořák^Anežka'));
  t.true(fuzzyNameMatches('celik ayse', 'Çelik^Ayşe'));
});

test('date and time ranges at the precision given', (t) => {
  t.true(matches('StudyDate=20210101-20211231'));
  t.true(matches('StudyDate=-20210315'));
  t.false(matches('StudyDate=20210316-'));
  t.true(matches('StudyTime=10-11'));
  t.true(matches('StudyTime=1015'));
  t.false(matches('StudyTime=1100-'));
});

test('multi-valued attributes match any value; lists match any of', (t) => {
  t.true(matches('ModalitiesInStudy=SR'));
  t.true(matches('ModalitiesInStudy=MR,CT'));
  t.false(matches('ModalitiesInStudy=MR'));
  t.true(matches('StudyInstanceUID=9.9,1.2.3.4'));
  t.false(matches('StudyInstanceUID=1.2.3'));
});

test('numbers and nested sequence paths', (t) => {
  t.true(matches('NumberOfStudyRelatedSeries=3'));
  t.false(matches('NumberOfStudyRelatedSeries=4'));
  t.true(matches('RequestAttributesSequence.ScheduledProcedureStepID=SPS-9'));
  t.false(matches('RequestAttributesSequence.ScheduledProcedureStepID=SPS-1'));
});

test('an absent attribute matches only universally, unless emptyvaluematching=true', (t) => {
  t.false(matches('AccessionNumber=A1'));
  t.true(matches('AccessionNumber='));
  t.true(matches('AccessionNumber=A1&emptyvaluematching=true'));
});
