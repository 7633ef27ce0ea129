import test from 'ava';
import { narrowSearchToCaller } from '../../src/security/hooks.js';
import type { Principal } from '../../src/security/principal.js';

const caller = (restriction?: Principal['restriction'], params: Record<string, string> = {}) => ({
  state: { principal: { id: 'k', kind: 'apiKey', roles: new Set(['read']), ...(restriction && { restriction }) } as Principal },
  params,
});

test('a caller restricted to one patient searches that patient: PatientID and its issuer are added when absent', (t) => {
  const one = caller({ patientIds: ['P 1'], issuers: ['HOSP-A'] });
  t.is(narrowSearchToCaller(one, 'limit=1'), 'limit=1&PatientID=P%201&IssuerOfPatientID=HOSP-A');
  t.is(narrowSearchToCaller(one, ''), 'PatientID=P%201&IssuerOfPatientID=HOSP-A');
  t.is(narrowSearchToCaller(one, 'PatientID=X&limit=2'), 'PatientID=X&limit=2&IssuerOfPatientID=HOSP-A', 'a PatientID asked for stays (the filter hides what is not the caller\'s)');
  t.is(narrowSearchToCaller(one, '00100020=X&00100021=Y'), '00100020=X&00100021=Y', 'tag keys count too');
  t.is(narrowSearchToCaller(one, '%ZZ=1'), '%ZZ=1&PatientID=P%201&IssuerOfPatientID=HOSP-A', 'a malformed key is left to the QIDO parser');
});

test('unrestricted callers, patterns, several patients, study restrictions and study-scoped searches are left as they are', (t) => {
  t.is(narrowSearchToCaller(caller(), 'limit=1'), 'limit=1');
  t.is(narrowSearchToCaller(caller({ patientIds: ['P*'] }), 'limit=1'), 'limit=1');
  t.is(narrowSearchToCaller(caller({ patientIds: ['P1', 'P2'] }), 'limit=1'), 'limit=1');
  t.is(narrowSearchToCaller(caller({ patientIds: ['P1'], studies: ['1.2.3'] }), 'limit=1'), 'limit=1');
  t.is(narrowSearchToCaller(caller({ patientIds: ['P1'] }, { study: '1.2.3' }), 'limit=1'), 'limit=1');
  t.is(narrowSearchToCaller(caller({ patientIds: ['P1'], issuers: ['H*'] }), ''), 'PatientID=P1', 'an issuer pattern is not added');
});
