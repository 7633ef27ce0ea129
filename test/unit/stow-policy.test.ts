import test from 'ava';
import { PolicySet, checkLocalPolicy, BUILT_IN_POLICY } from '../../src/dicomweb/stow/policy.js';
import { expandSopClasses, SOP_CLASS_GROUPS } from '../../src/dicomweb/stow/sop-classes.js';
import { normalizeName, patientDifference } from '../../src/dicomweb/stow/patient.js';
import { stowPolicySchema } from '../../src/config/schema.js';
import { InstanceFailure } from '../../src/dicomweb/stow/outcome.js';
import type { InstanceFacts } from '../../src/dicomweb/stow/validate.js';

const policy = (raw: unknown) => stowPolicySchema.parse(raw);
const request = (path: string, headers: Record<string, string> = {}, policyName?: string) => ({ path, header: (n: string) => headers[n], ...(policyName && { policyName }) });

test('the first matching policy applies; an authentication layer may name one; otherwise the built-in', (t) => {
  const set = new PolicySet([
    policy({ name: 'ai', match: { header: { name: 'X-Client', value: 'ai' } }, allowedSopClasses: ['SR'] }),
    policy({ name: 'study-uploads', match: { pathPrefix: '/studies/' }, requireExistingStudy: true }),
  ]);
  t.is(set.select(request('/studies', { 'x-client': 'ai' })).name, 'ai');
  t.is(set.select(request('/studies/1.2.3')).name, 'study-uploads');
  t.is(set.select(request('/studies')).name, BUILT_IN_POLICY.name);
  t.is(set.select(request('/studies', {}, 'ai')).name, 'ai');
});

test('policy config is validated: group names or UIDs only', (t) => {
  t.throws(() => policy({ name: 'x', allowedSopClasses: ['CT'] }));
  t.throws(() => policy({ name: 'x', allowedSopClasses: [] }));
  t.notThrows(() => policy({ name: 'x', allowedSopClasses: ['KO', '1.2.840.10008.5.1.4.1.1.2'] }));
});

test('SOP class groups expand to their UIDs', (t) => {
  const set = expandSopClasses(['SR', 'SEG', '1.2.3']);
  t.true(set.has('1.2.840.10008.5.1.4.1.1.88.33'));
  t.false(set.has(SOP_CLASS_GROUPS.KO[0]));
  t.true(set.has('1.2.840.10008.5.1.4.1.1.66.4'));
  t.true(set.has('1.2.3'));
});

test('local policy checks: SOP class 0x0122, size 0xA700', (t) => {
  const [compiled] = [new PolicySet([policy({ name: 'ai', allowedSopClasses: ['SR'], maxInstanceBytes: 1000 })]).select(request('/studies'))];
  const facts: InstanceFacts = { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2', studyUid: '1.3', seriesUid: '1.4', transferSyntaxUid: '1.2.840.10008.1.2.1', size: 10 };
  t.is((t.throws(() => checkLocalPolicy(compiled!, facts)) as InstanceFailure).code, 0x0122);
  const sr = { ...facts, sopClassUid: '1.2.840.10008.5.1.4.1.1.88.11', size: 5000 };
  t.is((t.throws(() => checkLocalPolicy(compiled!, sr)) as InstanceFailure).code, 0xa700);
  t.notThrows(() => checkLocalPolicy(compiled!, { ...sr, size: 999 }));
});

test('patient names compare on the alphabetic group, case and trailing separators ignored', (t) => {
  t.is(normalizeName('Doe^Jane^^^'), 'DOE^JANE');
  t.is(normalizeName('Yamada^Tarou=山田^太郎'), 'YAMADA^TAROU');
  t.is(patientDifference({ id: 'A', name: 'doe^jane' }, { id: 'A', name: 'Doe^Jane' }), undefined);
  t.regex(patientDifference({ id: 'B' }, { id: 'A' })!, /PatientID/);
  t.regex(patientDifference({ id: 'A', name: 'Roe^Jane' }, { id: 'A', name: 'Doe^Jane' })!, /PatientName/);
  t.is(patientDifference({ id: 'A', birthDate: '19700101' }, { id: 'A' }), undefined, 'unknown in the archive: not compared');
  t.regex(patientDifference({ id: 'A' }, { id: 'A', birthDate: '19700101' })!, /PatientBirthDate/);
});
